import type { RequestHandler, Router } from 'express';
import type { Registry } from 'prom-client';
import type { Server } from 'socket.io';
import type { FastRoute } from '../shared/http/fast-lane';
import type { ApiModule } from '../shared/http/openapi';
import type { Platform } from '../shared/platform';
import type { NavItem } from '../web/views';
import { analyticsWebModule } from './analytics';
import { authWebModule } from './auth';
import { bookingsWebModule } from './bookings';
import { campaignsWebModule } from './campaigns';
import { financeWebModule } from './finance';
import type { Modules } from './container';
import { notificationsWebModule } from './notifications';
import { ordersWebModule } from './orders';
import { paymentsWebModule } from './payments';
import { promotionsWebModule } from './promotions';
import { reviewsCampaignSection, reviewsWebModule } from './reviews';
import { ticketsWebModule } from './tickets';
import { validationWebModule } from './validation';
import { venuesWebModule } from './venues';

/**
 * What a module contributes to the web process. `middleware` runs for every request after
 * the session (the auth module puts the actor on the request there); `api` routers are mounted
 * under their prefix and documented in OpenAPI; `pages` are server-rendered pages.
 */
export interface WebModule {
  name: string;
  middleware?: RequestHandler[];
  /**
   * Hot routes served ahead of the Express router (shared/http/fast-lane.ts). For a route that
   * authenticates by a header alone and takes no cookie (a gate device's scans), the app's common
   * layers run (request id, metrics, security headers, cache policy, the JSON body parser); the
   * session, the modules' middleware and the general /api limit do not, since they would do
   * nothing for such a request but cost CPU. A `session` route (a browser's reservation) runs
   * those too, as the app does. Either way, what is skipped is the matching of every other layer
   * and router; a fast route is mounted on its normal router too, for every request it does not take.
   */
  fastRoutes?: FastRoute[];
  api?: ApiModule[];
  pages?: Router;
  nav?: NavItem[];
  /** Socket.io handlers (rooms to join); called once per web process. */
  sockets?: (io: Server) => void;
  /**
   * Full paths (e.g. a provider's webhook), or "METHOD path", the general /api rate limit does not
   * apply to here: the webhook has its own, and a hot route may count the general limit itself in
   * its own limiter's round trip (createRateLimits with apiRateLimit).
   */
  apiRateLimitExempt?: string[];
  /** Registers the module's own figures on the web process's /metrics registry. */
  metrics?: (registry: Registry) => void;
  /** Paths whose JSON body's raw bytes are kept for the route (rawBodyOf), e.g. a provider's webhook. */
  rawBodyPaths?: string[];
}

/** Mounts a module on the web process, from the process's services (built once, in the container). */
export type WebModuleFactory = (platform: Platform, modules: Modules) => WebModule;

/**
 * What the buyer's pages read across modules: a booking whose refund is asked for but not
 * completed still has VALID tickets, but offers no PDF or new refund (they stop on completion).
 */
function pageReads(m: Modules) {
  return {
    async refundInProgress(bookingId: string): Promise<boolean> {
      const { refunds } = await m.payments.listBookingPayments(bookingId);
      return refunds.some((r) => r.status === 'PENDING' && r.cancelsBooking);
    },
  };
}

/** Every module of the web process, in mount order. */
export const webModules: WebModuleFactory[] = [
  (platform, m) =>
    authWebModule(platform, async (actor) =>
      (await m.campaigns.listMyCampaigns(actor)).map((c) => ({ id: c.id, title: c.title, status: c.status })),
    ),
  (platform, m) =>
    campaignsWebModule(platform, m.campaigns, m.storage, [reviewsCampaignSection(m.reviews)], (actor) =>
      m.venues.listVenues(actor),
    ),
  (platform, m) => bookingsWebModule(platform, m.bookings, pageReads(m)),
  (platform, m) => paymentsWebModule(platform, m.payments),
  (platform, m) => ticketsWebModule(platform, m.tickets, pageReads(m)),
  (platform, m) => validationWebModule(platform, m.validation),
  (platform, m) => analyticsWebModule(platform, m.analytics, m.adminStats),
  (platform, m) => financeWebModule(platform, m.finance),
  (platform, m) => ordersWebModule(platform, m.orders),
  (platform, m) => promotionsWebModule(platform, m.promotions),
  (platform, m) => venuesWebModule(platform, m.venues),
  (platform, m) => reviewsWebModule(platform, m.reviews),
  (platform, m) => notificationsWebModule(platform, m.inAppNotifications),
];
