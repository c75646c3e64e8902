import type { Platform } from '../../shared/platform';
import type { WebModule } from '../registry';
import { registerGateSockets } from './validation.live';
import { validationPages } from './validation.pages';
import { SCAN_PATH, validationRoutes } from './validation.routes';
import type { ScanService } from './validation.scan';
import type { ValidationService } from './validation.service';

/*
 * Validation module: gates, scanner devices and scans. Public API: the services (built once, in
 * the container), the web module (API, gate pages, sockets), what the realtime worker pushes
 * (gate counts, conflicts, revocations) and the check-in counter for analytics.
 */
export { createValidationService, type ValidationService, type ValidationDeps } from './validation.service';
export { createScanService, type ScanService, type ScanAnswer } from './validation.scan';
export {
  describeConflict,
  getGateCounts,
  gateRoomOf,
  revocationPushes,
  GATE_COUNTS_EVENT,
  GATE_CONFLICT_EVENT,
  GATE_REVOCATION_EVENT,
  type GateCounts,
} from './validation.live';
export { ValidationEvents, type TicketScannedPayload } from './validation.events';
export { DEVICE_COOKIE, deviceCsrfToken, type Scanner } from './validation.auth';
export { SCAN_REASONS, type ScanReason, type ScanInput } from './validation.schemas';

/** The validation module's services for one process (built in src/modules/container.ts): devices, gates and history; the scan decision. */
export interface ValidationModule {
  service: ValidationService;
  scans: ScanService;
}

/** The gate API, the scanner and seller pages, and the gate rooms. */
export function validationWebModule(platform: Platform, validation: ValidationModule): WebModule {
  const routes = validationRoutes(platform, validation.service, validation.scans);
  return {
    name: 'validation',
    api: [routes],
    // A gate device's scan with its secret in a header and no cookie skips the session.
    fastRoutes: routes.fastRoutes,
    pages: validationPages(platform, validation.service),
    // Gate devices have their own per-device limit (SCAN_RATE_LIMIT_MAX): a venue's phones share one IP.
    apiRateLimitExempt: [SCAN_PATH],
    sockets: (io) => registerGateSockets(io, platform),
  };
}
