export const PROMO_KINDS = ['PERCENT', 'FIXED'] as const;
export type PromoKind = (typeof PROMO_KINDS)[number];
export type PromoUseStatus = 'HELD' | 'CONFIRMED' | 'RELEASED';

/** A promo code as the repository returns it: plain data, money as numbers (minor units). */
export interface PromoCodeRecord {
  id: string;
  campaignId: string;
  sellerId: string;
  code: string;
  kind: PromoKind;
  percentOff: number | null;
  amountOffMinor: number | null;
  currency: string;
  /** The discount applies to these ticket types; empty: to every type. */
  ticketTypeIds: string[];
  /** Hidden ticket types this code makes bookable. */
  unlocksTicketTypeIds: string[];
  validFrom: Date | null;
  validUntil: Date | null;
  maxUses: number | null;
  maxUsesPerBuyer: number | null;
  /** Uses not given back (held or confirmed bookings). */
  uses: number;
  batchId: string | null;
  active: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** What a seller sets on a code (the code itself, or generated ones in a batch). */
export interface PromoCodeInput {
  kind: PromoKind;
  percentOff?: number;
  amountOffMinor?: number;
  ticketTypeIds?: string[];
  unlocksTicketTypeIds?: string[];
  validFrom?: Date | null;
  validUntil?: Date | null;
  maxUses?: number | null;
  maxUsesPerBuyer?: number | null;
}

/** A code with how it did: confirmed bookings, their revenue (net) and the discount given. */
export interface PromoCodeStats extends PromoCodeRecord {
  confirmedBookings: number;
  heldBookings: number;
  revenueMinor: number;
  discountMinor: number;
}

/** A booking line as the discount sees it. */
export interface DiscountLine {
  ticketTypeId: string;
  lineTotalMinor: number;
}

export interface Discount {
  promoCodeId: string;
  code: string;
  discountMinor: number;
  /** Each line's share, in the order of the lines given; they sum to discountMinor. */
  lineDiscounts: number[];
}
