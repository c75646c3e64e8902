/** Events the campaigns module publishes (routing key = name). Payloads carry ids only. */
export const CampaignEvents = {
  published: 'campaign.published',
  updated: 'campaign.updated',
  paused: 'campaign.paused',
  resumed: 'campaign.resumed',
  ended: 'campaign.ended',
  cancelled: 'campaign.cancelled',
  /** A ticket type crossed its low-stock threshold (campaigns.low-stock.ts). */
  stockLow: 'campaign.stock-low',
} as const;

export interface CampaignEventPayload {
  campaignId: string;
  sellerId: string;
}
export interface CampaignUpdatedPayload extends CampaignEventPayload {
  /** Every field the request set (a PUT sets them all, changed or not). */
  fields: string[];
  ticketTypeIds?: string[];
  /**
   * What buyers are told about (the notifications consumer): the date and place fields whose
   * VALUE changed, with what they were. Absent when none did.
   */
  changed?: Array<'startsAt' | 'endsAt' | 'timezone' | 'venue'>;
  previousStartsAt?: string;
  previousVenue?: string;
}

/** A ticket type's available stock fell to its low-stock threshold or below (once per crossing). */
export type StockLowPayload = {
  campaignId: string;
  sellerId: string;
  ticketTypeId: string;
  available: number;
  threshold: number;
  capacity: number;
};
export interface CampaignCancelledPayload extends CampaignEventPayload {
  reason: string;
}
