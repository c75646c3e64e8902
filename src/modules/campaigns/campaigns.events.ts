/** Events the campaigns module publishes (routing key = name). Payloads carry ids only. */
export const CampaignEvents = {
  published: 'campaign.published',
  updated: 'campaign.updated',
  paused: 'campaign.paused',
  resumed: 'campaign.resumed',
  ended: 'campaign.ended',
  cancelled: 'campaign.cancelled',
} as const;

export interface CampaignEventPayload {
  campaignId: string;
  sellerId: string;
}
export interface CampaignUpdatedPayload extends CampaignEventPayload {
  fields: string[];
  ticketTypeIds?: string[];
}
export interface CampaignCancelledPayload extends CampaignEventPayload {
  reason: string;
}
