import type { CampaignRecord, TicketTypeRecord } from './campaigns.types';
import { isLowStock, lowStockThresholdOf } from './campaigns.low-stock';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function campaignDto(c: CampaignRecord) {
  return {
    id: c.id,
    sellerId: c.sellerId,
    kind: c.kind,
    title: c.title,
    slug: c.slug,
    description: c.description,
    venue: {
      name: c.venueName,
      address: c.venueAddress,
      city: c.city,
      country: c.country,
      latitude: c.latitude,
      longitude: c.longitude,
    },
    startsAt: iso(c.startsAt),
    endsAt: iso(c.endsAt),
    timezone: c.timezone,
    saleStartsAt: iso(c.saleStartsAt),
    saleEndsAt: iso(c.saleEndsAt),
    currency: c.currency,
    coverImageUrl: c.coverImageKey ? `/media/${c.coverImageKey}` : null,
    tags: c.tags,
    maxTicketsPerCustomer: c.maxTicketsPerCustomer,
    entryRules: { mode: c.entryMode, scansPerTicket: c.scansPerTicket },
    refundPolicy: c.refundPolicy,
    refundDeadlineHours: c.refundDeadlineHours,
    status: c.status,
    cancelReason: c.cancelReason,
    publishedAt: iso(c.publishedAt),
    createdAt: iso(c.createdAt),
    updatedAt: iso(c.updatedAt),
  };
}

/** Public view of a ticket type: live availability, never the hidden link's access code. */
export function ticketTypeDto(t: TicketTypeRecord, currency: string, opts: { manager?: boolean } = {}) {
  return {
    id: t.id,
    campaignId: t.campaignId,
    name: t.name,
    code: t.code,
    description: t.description,
    priceMinor: t.priceMinor,
    currency,
    capacity: t.capacity,
    sold: t.sold,
    reserved: t.reserved,
    available: t.capacity - t.sold - t.reserved,
    minPerOrder: t.minPerOrder,
    maxPerOrder: t.maxPerOrder,
    saleStartsAt: iso(t.saleStartsAt),
    saleEndsAt: iso(t.saleEndsAt),
    entriesPerTicket: t.entriesPerTicket,
    hidden: t.hidden,
    sortOrder: t.sortOrder,
    attributes: t.attributes,
    seatZone: t.seatZone,
    lowStockThreshold: lowStockThresholdOf(t),
    lowStock: isLowStock(t),
    ...(opts.manager ? { lowStockThresholdSet: t.lowStockLimit } : {}),
    ...(opts.manager ? { accessCode: t.accessCode, hasBookings: t.hasBookings } : {}),
  };
}
