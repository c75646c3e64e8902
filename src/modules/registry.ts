import type { RequestHandler, Router } from 'express';
import type { Server } from 'socket.io';
import type { ApiModule } from '../shared/http/openapi';
import type { Platform } from '../shared/platform';
import type { NavItem } from '../web/views';
import { analyticsWebModuleWith } from './analytics';
import { authModule } from './auth';
import { bookingsWebModule } from './bookings';
import { campaignsWebModule } from './campaigns';
import { paymentsWebModule } from './payments';
import { campaignKeyOnPublish, ticketsWebModule } from './tickets';
import { getCampaignCheckIns, validationWebModule } from './validation';

/**
 * What a module contributes to the web process. `middleware` runs for every request after
 * the session (the auth module puts the actor on the request there); `api` routers are mounted
 * under their prefix and documented in OpenAPI; `pages` are server-rendered pages.
 */
export interface WebModule {
  name: string;
  middleware?: RequestHandler[];
  api?: ApiModule[];
  pages?: Router;
  nav?: NavItem[];
  /** Socket.io handlers (rooms to join); called once per web process. */
  sockets?: (io: Server) => void;
  /** Full paths (e.g. a provider's webhook) the general per-IP /api rate limit does not apply to. */
  apiRateLimitExempt?: string[];
}

export type WebModuleFactory = (platform: Platform) => WebModule;

/** Every module of the web process, in mount order. */
export const webModules: WebModuleFactory[] = [
  authModule,
  // A campaign gets its ticket signing key in the same transaction that publishes it.
  (platform) => campaignsWebModule(platform, { onPublish: campaignKeyOnPublish(platform) }),
  bookingsWebModule,
  paymentsWebModule,
  ticketsWebModule,
  validationWebModule,
  // Check-ins are the validation module's counted entry scans.
  analyticsWebModuleWith(getCampaignCheckIns),
];
