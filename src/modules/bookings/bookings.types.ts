export const BOOKING_STATUSES = ['PENDING', 'CONFIRMED', 'EXPIRED', 'CANCELLED', 'REFUNDED'] as const;
export type BookingStatus = (typeof BOOKING_STATUSES)[number];
export const ISSUANCES = ['SINGLE', 'SEPARATE'] as const;
export type Issuance = (typeof ISSUANCES)[number];

/** One ticket type of a booking, with the unit price and entries as they were when it was made. */
export interface BookingItemRecord {
  id: string;
  bookingId: string;
  ticketTypeId: string;
  ticketTypeName: string;
  unitPriceMinor: number;
  quantity: number;
  entriesPerTicket: number;
  lineTotalMinor: number;
  /** This line's share of the booking's promo discount (0 without a code). */
  discountMinor: number;
}

/** A booking as the repository returns it: plain data, no Prisma types. */
export interface BookingRecord {
  id: string;
  reference: string;
  userId: string;
  campaignId: string;
  sellerId: string;
  status: BookingStatus;
  issuance: Issuance;
  currency: string;
  totalMinor: number;
  expiresAt: Date;
  paymentRef: string | null;
  confirmedAt: Date | null;
  expiredAt: Date | null;
  cancelledAt: Date | null;
  /** Why it was CANCELLED: null when by its buyer; CAMPAIGN_CANCELLED when the seller cancelled the campaign. */
  cancelCause: 'CAMPAIGN_CANCELLED' | null;
  refundedAt: Date | null;
  /** The promo code applied at reservation, and its discount; totalMinor is already net of it. */
  promoCodeId: string | null;
  promoCode: string | null;
  discountMinor: number;
  createdAt: Date;
  updatedAt: Date;
  items: BookingItemRecord[];
  /** Seated items: the seats, when the reader loaded them (reservation answers, getBooking). */
  seats?: BookingSeat[];
  /** When the buyer extended the hold (once at most); absent when not loaded. */
  holdExtendedAt?: Date | null;
  /** When a late payment found its seats sold and got other seats of the same zone; absent when not loaded. */
  seatsChangedAt?: Date | null;
}

/**
 * What issuing a booking's tickets needs of it (the tickets worker's read, bookingForIssueSql):
 * its state, buyer, issuance, lines and seats. A BookingRecord with seats has all of it.
 */
export interface BookingForIssue {
  id: string;
  reference: string;
  userId: string;
  campaignId: string;
  status: BookingStatus;
  issuance: Issuance;
  items: Array<Pick<BookingItemRecord, 'ticketTypeId' | 'quantity' | 'entriesPerTicket'>>;
  seats?: BookingSeat[];
}

/** A seat of a booking, with its labels as they were when it was reserved. */
export interface BookingSeat {
  seatId: string;
  ticketTypeId: string;
  section: string;
  row: string;
  seat: string;
}

export interface ReserveInput {
  campaignId: string;
  /**
   * General admission: `quantity`. Seated types: `seatIds` (named seats; quantity = their number),
   * or `quantity` (with `together`: adjacent where a row allows) for the best available seats.
   */
  items: Array<{ ticketTypeId: string; quantity: number; seatIds?: string[]; together?: boolean }>;
  issuance: Issuance;
  /** The access code of a hidden ticket type's link, when the booking includes one. */
  accessCode?: string;
  /** A promo code of the campaign (any case). */
  promoCode?: string;
}
