import { COUNTER_EVENT, getCounters, roomOf } from '../../src/modules/campaigns';
import type { Db } from '../../src/shared/db';
import type { ConsumerSpec } from '../../src/shared/messaging/consumer';
import type { QueueTopology } from '../../src/shared/messaging/topology';
import type { Platform } from '../../src/shared/platform';
import { createEmitter } from '../../src/shared/realtime';
import { isUuid } from '../../src/shared/uuid';

/** The realtime worker's queues (declared by the relay from this constant; see workers/topology.ts). */
export const RealtimeQueues = {
  liveCounters: {
    name: 'campaigns.live-counters',
    events: ['booking.*', 'campaign.updated', 'campaign.published', 'refund.completed'],
  },
} as const satisfies Record<string, QueueTopology>;

/**
 * Worker side: every event that moves a campaign's counters (bookings reserved, confirmed,
 * expired, cancelled, refunded; ticket types changed) → the campaign's current counters, emitted
 * to its room through the Redis emitter so sockets on every web process receive them.
 *
 * Folded per campaign: the first event schedules a refresh LIVE_COUNTERS_INTERVAL_MS later, and
 * events arriving before it runs ride on it. The refresh reads the counters when it runs, after
 * the commits of every event it covers (an event is published only after its commit), so the
 * numbers are never older than the newest event; an event arriving while a refresh reads
 * schedules the next one. A hot sale then costs a few reads and broadcasts per second per
 * campaign instead of one per booking, for every browser watching. The numbers are absolute, so
 * a refresh lost with a crashed worker is healed by the next event or a client's join snapshot.
 */
export function liveCountersConsumer(platform: Platform): ConsumerSpec<{ campaignId?: string }> {
  const emitter = createEmitter(platform.redis, platform.config.REDIS_PREFIX);
  const intervalMs = platform.config.LIVE_COUNTERS_INTERVAL_MS;
  const scheduled = new Set<string>();

  async function broadcast(db: Db, campaignId: string): Promise<void> {
    for (const s of await getCounters(db, campaignId)) emitter.to(roomOf(campaignId)).emit(COUNTER_EVENT, s);
  }

  function schedule(campaignId: string): void {
    if (scheduled.has(campaignId)) return;
    scheduled.add(campaignId);
    const timer = setTimeout(() => {
      scheduled.delete(campaignId);
      broadcast(platform.prisma, campaignId).catch((err: unknown) =>
        platform.logger.warn('live counters refresh failed', { campaignId, err: (err as Error).message }),
      );
    }, intervalMs);
    // A pending refresh never keeps a stopping worker alive.
    timer.unref();
  }

  return {
    ...RealtimeQueues.liveCounters,
    concurrency: 8,
    // Absolute numbers re-read each time: a redelivered event only refreshes again.
    inbox: false,
    async handle(event, { db }) {
      const campaignId = event.payload.campaignId;
      if (!campaignId || !isUuid(campaignId)) return;
      if (intervalMs === 0) await broadcast(db, campaignId);
      else schedule(campaignId);
    },
  };
}
