export const CAMPAIGN_KINDS = ['EVENT', 'BAR', 'SPORTS', 'HOTEL', 'OTHER'] as const;
export type CampaignKind = (typeof CAMPAIGN_KINDS)[number];
export const CAMPAIGN_STATUSES = ['DRAFT', 'ACTIVE', 'PAUSED', 'ENDED', 'CANCELLED'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

/** A campaign as the repository returns it: plain data, no Prisma types. */
export interface CampaignRecord {
  id: string;
  sellerId: string;
  kind: CampaignKind;
  title: string;
  slug: string;
  description: string;
  venueName: string;
  venueAddress: string;
  city: string;
  country: string;
  latitude: number | null;
  longitude: number | null;
  startsAt: Date;
  endsAt: Date;
  timezone: string;
  saleStartsAt: Date | null;
  saleEndsAt: Date | null;
  currency: string;
  coverImageKey: string | null;
  tags: string[];
  maxTicketsPerCustomer: number;
  entryMode: 'SINGLE' | 'MULTI';
  scansPerTicket: number;
  refundPolicy: string;
  refundDeadlineHours: number | null;
  status: CampaignStatus;
  cancelReason: string | null;
  publishedAt: Date | null;
  endedAt: Date | null;
  cancelledAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface TicketTypeRecord {
  id: string;
  campaignId: string;
  name: string;
  code: string;
  description: string;
  priceMinor: number;
  capacity: number;
  reserved: number;
  sold: number;
  minPerOrder: number;
  maxPerOrder: number;
  saleStartsAt: Date | null;
  saleEndsAt: Date | null;
  entriesPerTicket: number;
  hidden: boolean;
  accessCode: string | null;
  sortOrder: number;
  attributes: Record<string, unknown>;
  /** Seated types: the price zone of the campaign's layout it sells (capacity = its seats); null = general admission. */
  seatZone: string | null;
  /** The seller's low-stock threshold (null: the default rule; 0: never): campaigns.low-stock.ts. */
  lowStockLimit: number | null;
  /** When the type last fell to its threshold; null while above it. */
  lowStockAt: Date | null;
  hasBookings: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface StockItem {
  ticketTypeId: string;
  quantity: number;
}

/** Absolute counters of one ticket type, as sent to browsers (`booking:counter`). */
export interface CounterSnapshot {
  campaignId: string;
  ticketTypeId: string;
  capacity: number;
  sold: number;
  reserved: number;
  available: number;
}
