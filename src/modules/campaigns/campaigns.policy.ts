import type { CampaignRecord } from './campaigns.types';

/**
 * The last moment a buyer may cancel a confirmed booking for a refund under the campaign's
 * policy: `refundDeadlineHours` before the start, or null when the campaign offers no refunds.
 */
export function refundDeadlineOf(c: Pick<CampaignRecord, 'startsAt' | 'refundDeadlineHours'>): Date | null {
  if (c.refundDeadlineHours === null || c.refundDeadlineHours === undefined) return null;
  return new Date(c.startsAt.getTime() - c.refundDeadlineHours * 3_600_000);
}
