import type { Server } from 'socket.io';
import type { Db } from '../../shared/db';
import type { Platform } from '../../shared/platform';
import { reportAudience } from '../../shared/realtime';
import * as repo from './campaigns.repository';
import { takenSeats } from './campaigns.seats.repository';
import { isUuid } from '../../shared/uuid';

/*
 * Live counters, web side (the consumer that broadcasts them runs in the realtime worker,
 * workers/realtime/handler.ts). Browsers join the room `campaign:<id>` and receive
 * `booking:counter` with ABSOLUTE numbers per ticket type: a message that is lost or arrives out
 * of order is healed by the next one, and a client that joins gets the current snapshot at once.
 * The numbers come from PostgreSQL (the source of truth); Redis only carries them.
 */

export const COUNTER_EVENT = 'booking:counter';
/**
 * Seated campaigns: `seat:states` with the ABSOLUTE lists of HELD and SOLD seat ids (every other
 * seat is AVAILABLE), sent the same way as the counters: on join, and by the realtime worker.
 */
export const SEATS_EVENT = 'seat:states';
export const roomOf = (campaignId: string) => `campaign:${campaignId}`;
/**
 * `stock:low` { campaignId, ticketTypeId, available, threshold, capacity }: a type fell to its
 * low-stock threshold (once per crossing, campaigns.low-stock.ts); pages show "Few left". Pages also
 * derive it from every counter and the threshold they were rendered with, so a missed one heals.
 */
export const STOCK_LOW_EVENT = 'stock:low';

/**
 * Web side: join/leave a campaign's room; the joining socket gets the snapshot. Joins of one
 * campaign that arrive while its snapshot is being read wait for the next read, which starts
 * after they joined the room (so no broadcast can slip between the read and their joining
 * unseen): a reconnect storm of thousands of browsers costs a few reads, not one each.
 */
export function registerCounterSockets(
  io: Server,
  platform: Pick<Platform, 'prisma' | 'redis' | 'config'>,
): void {
  const prisma: Db = platform.prisma;
  // How many browsers watch each campaign here: the realtime worker paces each campaign's
  // refreshes by it (its send budget, workers/realtime/handler.ts).
  reportAudience(io, platform.redis, platform.config.REDIS_PREFIX, (room) => room.startsWith(roomOf('')));
  const readSnapshot = coalesced((campaignId) => repo.counters(prisma, campaignId).catch(() => []));
  const readSeats = coalesced((campaignId) => takenSeats(prisma, campaignId).catch(() => null));
  io.on('connection', (socket) => {
    socket.on('campaign:join', async (campaignId: unknown, ack?: (r: { ok: boolean }) => void) => {
      if (typeof campaignId !== 'string' || !isUuid(campaignId)) return ack?.({ ok: false });
      await socket.join(roomOf(campaignId));
      for (const s of await readSnapshot(campaignId.toLowerCase())) socket.emit(COUNTER_EVENT, s);
      const seats = await readSeats(campaignId.toLowerCase());
      if (seats) socket.emit(SEATS_EVENT, { campaignId, ...seats });
      ack?.({ ok: true });
    });
    socket.on('campaign:leave', async (campaignId: unknown) => {
      if (typeof campaignId === 'string') await socket.leave(roomOf(campaignId));
    });
  });
}

/**
 * `read(key)` shared by the callers that ask while no read of that key has started: a caller
 * that asks while one is running gets the next one, started when it finishes.
 */
function coalesced<T>(read: (key: string) => Promise<T>): (key: string) => Promise<T> {
  const waiting = new Map<string, Promise<T>>();
  const running = new Map<string, Promise<unknown>>();
  return (key) => {
    const queued = waiting.get(key);
    if (queued) return queued;
    const next = (async () => {
      await running.get(key);
      waiting.delete(key);
      const p = read(key);
      running.set(key, p);
      try {
        return await p;
      } finally {
        if (running.get(key) === p) running.delete(key);
      }
    })();
    waiting.set(key, next);
    return next;
  };
}
