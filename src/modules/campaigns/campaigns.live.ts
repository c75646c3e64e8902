import type { Server } from 'socket.io';
import type { Db, Tx } from '../../shared/db';
import type { ConsumerSpec } from '../../shared/messaging/consumer';
import { createEmitter } from '../../shared/realtime';
import type { Platform } from '../../shared/platform';
import * as repo from './campaigns.repository';
import { isUuid } from '../../shared/uuid';

/*
 * Live counters. Browsers join the room `campaign:<id>` and receive `booking:counter` with
 * ABSOLUTE numbers per ticket type: a message that is lost or arrives out of order is healed by
 * the next one, and a client that joins gets the current snapshot at once. The numbers come from
 * PostgreSQL (the source of truth); Redis only carries them.
 */

export const COUNTER_EVENT = 'booking:counter';
export const roomOf = (campaignId: string) => `campaign:${campaignId}`;

/** Web side: join/leave a campaign's room; the joining socket gets the snapshot. */
export function registerCounterSockets(io: Server, prisma: Db): void {
  io.on('connection', (socket) => {
    socket.on('campaign:join', async (campaignId: unknown, ack?: (r: { ok: boolean }) => void) => {
      if (typeof campaignId !== 'string' || !isUuid(campaignId)) return ack?.({ ok: false });
      await socket.join(roomOf(campaignId));
      const snapshot = await repo.counters(prisma, campaignId).catch(() => []);
      for (const s of snapshot) socket.emit(COUNTER_EVENT, s);
      ack?.({ ok: true });
    });
    socket.on('campaign:leave', async (campaignId: unknown) => {
      if (typeof campaignId === 'string') await socket.leave(roomOf(campaignId));
    });
  });
}

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

  async function broadcast(db: Db | Tx, campaignId: string): Promise<void> {
    for (const s of await repo.counters(db, campaignId))
      emitter.to(roomOf(campaignId)).emit(COUNTER_EVENT, s);
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
    name: 'campaigns.live-counters',
    events: ['booking.*', 'campaign.updated', 'campaign.published', 'refund.completed'],
    concurrency: 8,
    // Absolute numbers re-read each time: a redelivered event only refreshes again.
    inbox: false,
    async handle(event, { tx }) {
      const campaignId = event.payload.campaignId;
      if (!campaignId || !isUuid(campaignId)) return;
      if (intervalMs === 0) await broadcast(tx, campaignId);
      else schedule(campaignId);
    },
  };
}
