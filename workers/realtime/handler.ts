import { COUNTER_EVENT, getCounters, getTakenSeats, roomOf, SEATS_EVENT } from '../../src/modules/campaigns';
import { TicketEvents, type TicketRevokedPayload } from '../../src/modules/tickets';
import {
  describeConflict,
  gateRoomOf,
  getGateCounts,
  revocationPushes,
  ValidationEvents,
  GATE_CONFLICT_EVENT,
  GATE_COUNTS_EVENT,
  GATE_REVOCATION_EVENT,
  type TicketScannedPayload,
} from '../../src/modules/validation';
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
  gateLive: {
    name: 'validation.live-gates',
    events: [ValidationEvents.scanned, TicketEvents.revoked],
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
    const seats = await getTakenSeats(db, campaignId);
    if (seats) emitter.to(roomOf(campaignId)).emit(SEATS_EVENT, { campaignId, ...seats });
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

/**
 * Gate rooms (`gate:<campaignId>`, see src/modules/validation/validation.live.ts): ticket.scanned
 * → the campaign's gate counts (folded per campaign over LIVE_COUNTERS_INTERVAL_MS, as the sales
 * counters above) and, for a conflict, `gate:conflict`; ticket.revoked → one `gate:revocation`
 * per ticket, to every connected device of the campaign, seconds after the refund.
 */
export function gateLiveConsumer(
  platform: Platform,
): ConsumerSpec<Partial<TicketScannedPayload> & Partial<TicketRevokedPayload>> {
  const emitter = createEmitter(platform.redis, platform.config.REDIS_PREFIX);
  const intervalMs = platform.config.LIVE_COUNTERS_INTERVAL_MS;
  const scheduled = new Set<string>();

  async function broadcast(db: Db, campaignId: string): Promise<void> {
    emitter
      .to(gateRoomOf(campaignId))
      .emit(GATE_COUNTS_EVENT, await getGateCounts(db, campaignId, platform.clock));
  }

  function schedule(campaignId: string): void {
    if (scheduled.has(campaignId)) return;
    scheduled.add(campaignId);
    const timer = setTimeout(() => {
      scheduled.delete(campaignId);
      broadcast(platform.prisma, campaignId).catch((err: unknown) =>
        platform.logger.warn('gate counts refresh failed', { campaignId, err: (err as Error).message }),
      );
    }, intervalMs);
    timer.unref();
  }

  return {
    ...RealtimeQueues.gateLive,
    concurrency: 8,
    // Counts are absolute and re-read; a revocation or conflict pushed twice is harmless (devices
    // key revocations by ticket id and keep their cursor), so no inbox row is needed.
    inbox: false,
    async handle(event, { db }) {
      const p = event.payload;
      const campaignId = p.campaignId;
      if (!campaignId || !isUuid(campaignId)) return;
      const room = emitter.to(gateRoomOf(campaignId));
      if (event.name === TicketEvents.revoked) {
        for (const push of revocationPushes(p)) room.emit(GATE_REVOCATION_EVENT, push);
        return;
      }
      if (p.conflict) room.emit(GATE_CONFLICT_EVENT, await describeConflict(db, p));
      if (!p.counted && !p.conflict) return;
      if (intervalMs === 0) await broadcast(db, campaignId);
      else schedule(campaignId);
    },
  };
}
