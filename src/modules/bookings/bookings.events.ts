import type { BookingStatus } from './bookings.types';

/**
 * Events the bookings module publishes (routing key = name). Every payload carries
 * `campaignId` and the ticket type ids, so the realtime worker can push that campaign's
 * counters. A refund is `booking.cancelled` with `status: 'REFUNDED'` and
 * `previousStatus: 'CONFIRMED'` (tickets to revoke); a hold cancelled by its owner has
 * `previousStatus: 'PENDING'` (nothing was issued).
 */
export const BookingEvents = {
  reserved: 'booking.reserved',
  confirmed: 'booking.confirmed',
  expired: 'booking.expired',
  cancelled: 'booking.cancelled',
  /** Stock came back and is held for someone on a waiting list (they are emailed a claim link). */
  waitlistOffered: 'booking.waitlist-offered',
  /** A waiting-list offer lapsed unclaimed: its stock went to the next in line or back on sale. */
  waitlistOfferExpired: 'booking.waitlist-offer-expired',
  /** An unpaid hold lapses in BOOKING_EXPIRY_WARNING_MINUTES (the scheduler; the buyer is notified). */
  expiring: 'booking.expiring',
} as const;

/** booking.expiring: which hold, whose, and the expiry it warns about (a later extension is warned again). */
export type BookingExpiringPayload = {
  bookingId: string;
  reference: string;
  campaignId: string;
  userId: string;
  ticketTypeIds: string[];
  expiresAt: string;
};

// A type alias (not an interface) so it fits the outbox's Record<string, unknown> payloads.
export type BookingEventPayload = {
  bookingId: string;
  reference: string;
  campaignId: string;
  sellerId: string;
  userId: string;
  status: BookingStatus;
  previousStatus: BookingStatus | null;
  ticketTypeIds: string[];
  items: Array<{ ticketTypeId: string; quantity: number }>;
  totalMinor: number;
  currency: string;
  paymentRef: string | null;
  /** booking.confirmed: true when the payment landed after the hold had lapsed and stock was taken again. */
  late?: boolean;
  /** booking.confirmed, late: its seats had been sold meanwhile and it got other seats of the same zones. */
  seatsChanged?: boolean;
  /** booking.cancelled of a PENDING hold: absent when its owner cancelled it, CAMPAIGN_CANCELLED when the seller cancelled the campaign. */
  cause?: 'CAMPAIGN_CANCELLED';
};

/** booking.waitlist-offered and booking.waitlist-offer-expired: `ticketTypeIds` and `campaignId` like the others, for live counters. */
export type WaitlistOfferPayload = {
  offerId: string;
  entryId: string;
  userId: string;
  campaignId: string;
  ticketTypeIds: string[];
  quantity: number;
  expiresAt: string;
};
