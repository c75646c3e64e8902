import { Prisma } from '../../generated/prisma/client';
import type { Clock } from '../../shared/clock';
import type { Db } from '../../shared/db';
import { createEvent } from '../../shared/messaging/events';
import { enqueue } from '../../shared/outbox';
import { CampaignEvents, type CampaignUpdatedPayload, type StockLowPayload } from './campaigns.events';
import type { CampaignRecord } from './campaigns.types';

/*
 * Low stock. Each ticket type has a threshold: the seller's (`low_stock_threshold`, 0 = never), or
 * by default min(10, ceil(10 % of capacity)): "10 % or 10 tickets", whichever is fewer, so a
 * 2,000-seat type says "few left" at 10, not at 200, and a 30-seat type at 3. A type is LOW when
 * 0 ≤ available ≤ threshold (and the threshold is above 0).
 *
 * Once per crossing: `low_stock_at` is set by ONE guarded UPDATE (`… AND low_stock_at IS NULL AND
 * available <= threshold`) and cleared by another when stock rises above the threshold again (an
 * expiry, a refund, a capacity increase). Only the statement that set it announces the crossing
 * (campaign.stock-low in the outbox, same transaction). Two workers checking at once serialise on
 * the row: the second re-evaluates the WHERE after the first commits and matches nothing. The
 * check runs after the sales that move stock (the realtime worker, on their events), never inside
 * the reservation transaction, so the hot inventory path gains no statement. If it ran late or
 * twice, nothing breaks: it reads absolute counters and the guard decides.
 */

/** The default threshold of a type of this capacity (the SQL below computes the same). */
export function defaultLowStockThreshold(capacity: number): number {
  return Math.min(10, Math.ceil(capacity / 10));
}

/** The threshold that applies to a type. */
export function lowStockThresholdOf(t: { capacity: number; lowStockLimit: number | null }): number {
  return t.lowStockLimit ?? defaultLowStockThreshold(t.capacity);
}

/** True when the type is at or below its threshold and the threshold is on. */
export function isLowStock(t: {
  capacity: number;
  sold: number;
  reserved: number;
  lowStockLimit: number | null;
}): boolean {
  const threshold = lowStockThresholdOf(t);
  return threshold > 0 && t.capacity - t.sold - t.reserved <= threshold;
}

const THRESHOLD = Prisma.sql`COALESCE(low_stock_threshold, LEAST(10, CEIL(capacity / 10.0)::int))`;

/**
 * Records the campaign's low-stock crossings: types that fell to their threshold since the last
 * check get `low_stock_at` and one campaign.stock-low event each; types back above it are cleared.
 * Answers the crossings recorded now (for the live channel).
 */
export async function recordLowStockCrossings(
  prisma: Db,
  clock: Clock,
  campaignId: string,
): Promise<StockLowPayload[]> {
  return prisma.$transaction(async (tx) => {
    const now = clock.now();
    await tx.$executeRaw`UPDATE ticket_types SET low_stock_at = NULL
      WHERE campaign_id = ${campaignId}::uuid AND low_stock_at IS NOT NULL
        AND (${THRESHOLD} <= 0 OR capacity - sold - reserved > ${THRESHOLD})`;
    const crossed = await tx.$queryRaw<
      Array<{
        ticketTypeId: string;
        available: number;
        threshold: number;
        capacity: number;
        sellerId: string;
      }>
    >`UPDATE ticket_types t SET low_stock_at = ${now}
      FROM campaigns c
      WHERE t.campaign_id = ${campaignId}::uuid AND c.id = t.campaign_id AND c.status = 'ACTIVE'
        AND t.low_stock_at IS NULL AND t.capacity > 0
        AND COALESCE(t.low_stock_threshold, LEAST(10, CEIL(t.capacity / 10.0)::int)) > 0
        AND t.capacity - t.sold - t.reserved <= COALESCE(t.low_stock_threshold, LEAST(10, CEIL(t.capacity / 10.0)::int))
      RETURNING t.id::text AS "ticketTypeId", (t.capacity - t.sold - t.reserved)::int AS available,
        COALESCE(t.low_stock_threshold, LEAST(10, CEIL(t.capacity / 10.0)::int))::int AS threshold,
        t.capacity::int AS capacity, c.seller_id::text AS "sellerId"`;
    const payloads: StockLowPayload[] = crossed.map((r) => ({ campaignId, ...r }));
    await enqueue(
      tx,
      payloads.map((p) => createEvent(CampaignEvents.stockLow, p, clock)),
    );
    return payloads;
  });
}

const BUYER_FACING = ['startsAt', 'endsAt', 'timezone'] as const;
const venueOf = (c: Pick<CampaignRecord, 'venueName' | 'venueAddress' | 'city'>) =>
  [c.venueName, c.venueAddress, c.city].filter(Boolean).join(', ');

/** The date and place changes buyers are told about (campaign.updated's `changed`), old against new. */
export function buyerFacingChanges(
  before: CampaignRecord,
  after: CampaignRecord,
): Pick<CampaignUpdatedPayload, 'changed' | 'previousStartsAt' | 'previousVenue'> {
  const changed: NonNullable<CampaignUpdatedPayload['changed']> = [];
  for (const f of BUYER_FACING) {
    const a = before[f];
    const b = after[f];
    if ((a instanceof Date ? a.getTime() : a) !== (b instanceof Date ? b.getTime() : b)) changed.push(f);
  }
  const venueChanged = venueOf(before) !== venueOf(after);
  if (venueChanged) changed.push('venue');
  if (!changed.length) return {};
  return {
    changed,
    ...(changed.includes('startsAt') ? { previousStartsAt: before.startsAt.toISOString() } : {}),
    ...(venueChanged ? { previousVenue: venueOf(before) } : {}),
  };
}
