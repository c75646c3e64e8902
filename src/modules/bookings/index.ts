import { Router } from 'express';
import type { WebModule } from '../registry';
import type { Platform } from '../../shared/platform';
import { bookingsPages, type BookingPageReads } from './bookings.pages';
import { bookingsRoutes, RESERVE_PATH } from './bookings.routes';
import type { BookingsService } from './bookings.service';
import { waitlistApi, waitlistPages } from './bookings.waitlist.routes';

/*
 * Bookings module: reservations that hold stock, their lifecycle and idempotent requests.
 * Public API: the service (reserve, cancel, and for the payments module confirmBooking,
 * refundBooking, getBookingForPayment; getBooking for tickets), the scheduler jobs
 * (expireDueBookings, purgeIdempotencyKeys) and the events it publishes.
 */
export {
  createBookingsService,
  requestHash,
  type BookingsService,
  type BookingForPayment,
  type ConfirmResult,
  type RefundResult,
  type RefundReason,
  type ReserveResult,
} from './bookings.service';
export {
  BookingEvents,
  type BookingEventPayload,
  type BookingExpiringPayload,
  type WaitlistOfferPayload,
} from './bookings.events';
export type { WaitlistEntryRecord, WaitlistOfferRecord } from './bookings.waitlist.repository';
export { bookingDto, type BookingDto } from './bookings.dto';
export { newReference, parseBookingReference } from './bookings.reference';
/** The request schema of POST /api/v1/bookings (scripts/bench-validation.ts measures it). */
export { reserveBody } from './bookings.routes';
export type { SalesStats, CampaignBookingFilter } from './bookings.repository';
export { BOOKING_STATUSES } from './bookings.types';
/** Platform-wide figures and search for the admin statistics; the seller's sales CSV. */
export {
  getCampaignSalesByDayAndType,
  getPlatformBookingStats,
  searchBookings,
  type PlatformBookingStats,
  type StatsRange,
} from './bookings.platform-stats';
export type { BookingPageReads } from './bookings.pages';
export { bookingForIssueSql } from './bookings.issue-read';
export type {
  BookingForIssue,
  BookingRecord,
  BookingItemRecord,
  BookingStatus,
  Issuance,
  ReserveInput,
} from './bookings.types';

/** The bookings API and pages (reserve, cancel, the buyer's bookings, waiting lists and their offers). */
export function bookingsWebModule(
  platform: Platform,
  service: BookingsService,
  reads: BookingPageReads,
): WebModule {
  const pages = Router();
  pages.use(bookingsPages(platform, service, reads));
  pages.use(waitlistPages(platform, service));
  const reserve = bookingsRoutes(platform, service);
  return {
    name: 'bookings',
    api: [reserve, waitlistApi(platform, service)],
    fastRoutes: reserve.fastRoutes,
    // The reserve route counts the general API limit in its own limiter's round trip.
    apiRateLimitExempt: [`POST ${RESERVE_PATH}`],
    pages,
    nav: [{ label: 'My bookings', href: '/bookings', when: (u) => Boolean(u) }],
  };
}
