/** Events the promotions module publishes (routing key = name). */
export const PromoEvents = {
  /** A booking took a use of a code (in the booking's transaction). */
  used: 'promo.used',
} as const;

export type PromoUsedPayload = {
  promoCodeId: string;
  bookingId: string;
  campaignId: string;
  userId: string;
  discountMinor: number;
  currency: string;
};
