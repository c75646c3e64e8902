import type { Platform } from '../../shared/platform';
import { createStorage } from '../../shared/storage';
import { createCampaignsService } from '../campaigns';
import { createTicketsService, ticketsDepsFromConfig } from '../tickets';
import type { WebModule } from '../registry';
import { registerGateSockets } from './validation.live';
import { validationPages } from './validation.pages';
import { SCAN_PATH, validationRoutes } from './validation.routes';
import { createScanService } from './validation.scan';
import { createValidationService } from './validation.service';
import { checkIns } from './validation.repository';

/*
 * Validation module: gates, scanner devices and scans. Public API: the web module (API, gate
 * pages, sockets), the live consumer for the realtime worker, the check-in counter for
 * analytics, and the services for the benchmark and tests.
 */
export { createValidationService, type ValidationService, type ValidationDeps } from './validation.service';
export { createScanService, type ScanService, type ScanAnswer } from './validation.scan';
export {
  gateLiveConsumer,
  getGateCounts,
  gateRoomOf,
  GATE_COUNTS_EVENT,
  GATE_CONFLICT_EVENT,
  GATE_REVOCATION_EVENT,
} from './validation.live';
export { TICKET_SCANNED, type TicketScannedPayload } from './validation.events';
export { DEVICE_COOKIE, deviceCsrfToken, type Scanner } from './validation.auth';
export { SCAN_REASONS, type ScanReason, type ScanInput } from './validation.schemas';
/** Gate entries of a campaign for analytics: counted entry scans, and tickets used at least once. */
export { checkIns as getCampaignCheckIns };

/** The services of the validation module for one process. */
export function createValidationModule(platform: Platform) {
  const tickets = createTicketsService(
    ticketsDepsFromConfig(platform.config, {
      prisma: platform.prisma,
      clock: platform.clock,
      storage: createStorage(platform.config),
    }),
  );
  const campaigns = createCampaignsService(platform);
  const deps = {
    prisma: platform.prisma,
    clock: platform.clock,
    config: platform.config,
    tickets,
    campaigns,
  };
  return { service: createValidationService(deps), scans: createScanService(deps) };
}

/** The gate API, the scanner and seller pages, and the gate rooms. */
export function validationWebModule(platform: Platform): WebModule {
  const { service, scans } = createValidationModule(platform);
  return {
    name: 'validation',
    api: [validationRoutes(platform, service, scans)],
    pages: validationPages(platform, service),
    // Gate devices have their own per-device limit (SCAN_RATE_LIMIT_MAX): a venue's phones share one IP.
    apiRateLimitExempt: [SCAN_PATH],
    sockets: (io) => registerGateSockets(io, platform),
  };
}
