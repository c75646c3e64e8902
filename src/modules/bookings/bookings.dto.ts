import type { BookingRecord } from './bookings.types';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** The booking as the API and pages show it: camelCase, ISO times in UTC, money in minor units. */
export function bookingDto(b: BookingRecord) {
  return {
    id: b.id,
    reference: b.reference,
    status: b.status,
    campaignId: b.campaignId,
    issuance: b.issuance,
    items: b.items.map((i) => ({
      ticketTypeId: i.ticketTypeId,
      name: i.ticketTypeName,
      quantity: i.quantity,
      unitPriceMinor: i.unitPriceMinor,
      lineTotalMinor: i.lineTotalMinor,
      discountMinor: i.discountMinor,
      entriesPerTicket: i.entriesPerTicket,
    })),
    /** Before the promo discount; totalMinor is what is paid. */
    subtotalMinor: b.totalMinor + b.discountMinor,
    discountMinor: b.discountMinor,
    promoCode: b.promoCode,
    ...(b.seats?.length ? { seats: b.seats } : {}),
    /** Set when a late payment found a picked seat sold and got other seats of the same zone. */
    ...(b.seatsChangedAt ? { seatsChangedAt: iso(b.seatsChangedAt) } : {}),
    totalMinor: b.totalMinor,
    currency: b.currency,
    expiresAt: iso(b.expiresAt),
    confirmedAt: iso(b.confirmedAt),
    expiredAt: iso(b.expiredAt),
    cancelledAt: iso(b.cancelledAt),
    refundedAt: iso(b.refundedAt),
    createdAt: iso(b.createdAt),
  };
}

export type BookingDto = ReturnType<typeof bookingDto>;
