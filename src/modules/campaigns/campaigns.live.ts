import type { Server } from 'socket.io';
import type { Db } from '../../shared/db';
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

/** Web side: join/leave a campaign's room; the joining socket gets the snapshot. */
export function registerCounterSockets(io: Server, prisma: Db): void {
  io.on('connection', (socket) => {
    socket.on('campaign:join', async (campaignId: unknown, ack?: (r: { ok: boolean }) => void) => {
      if (typeof campaignId !== 'string' || !isUuid(campaignId)) return ack?.({ ok: false });
      await socket.join(roomOf(campaignId));
      const snapshot = await repo.counters(prisma, campaignId).catch(() => []);
      for (const s of snapshot) socket.emit(COUNTER_EVENT, s);
      const seats = await takenSeats(prisma, campaignId).catch(() => null);
      if (seats) socket.emit(SEATS_EVENT, { campaignId, ...seats });
      ack?.({ ok: true });
    });
    socket.on('campaign:leave', async (campaignId: unknown) => {
      if (typeof campaignId === 'string') await socket.leave(roomOf(campaignId));
    });
  });
}
