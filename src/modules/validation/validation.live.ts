import type { Server } from 'socket.io';
import type { Clock } from '../../shared/clock';
import type { Db, Tx } from '../../shared/db';
import type { ConsumerSpec } from '../../shared/messaging/consumer';
import type { Platform } from '../../shared/platform';
import { createEmitter } from '../../shared/realtime';
import { getTicketTypesByIds } from '../campaigns';
import { TICKET_REVOKED, type TicketRevokedPayload } from '../tickets';
import { checkRoomToken } from './validation.auth';
import { TICKET_SCANNED, type TicketScannedPayload } from './validation.events';
import * as repo from './validation.repository';

/*
 * Live gate counts, conflicts and revocations over Socket.io. Gate pages and the seller's gates
 * page join `gate:<campaignId>` with a room token (an HMAC the server handed them with the page
 * or the bootstrap; see roomToken), because what is said there (who is inside, revoked ticket
 * ids) is the campaign staff's business, unlike the public sales counters of `campaign:<id>`.
 *
 * `gate:counts` carries ABSOLUTE numbers read from PostgreSQL, folded per campaign like the
 * sales counters (campaigns.live.ts): a lost or reordered message is healed by the next one,
 * and a joining socket gets the current numbers at once. `gate:conflict` and `gate:revocation`
 * are per fact; a device that missed one catches up with its cursor (revocations?after=).
 */

export const GATE_COUNTS_EVENT = 'gate:counts';
export const GATE_CONFLICT_EVENT = 'gate:conflict';
export const GATE_REVOCATION_EVENT = 'gate:revocation';
export const gateRoomOf = (campaignId: string) => `gate:${campaignId}`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Tally {
  entries: number;
  exits: number;
  inside: number;
}

export interface GateCounts {
  campaignId: string;
  at: string;
  totals: Tally;
  gates: Array<{ gateId: string | null; name: string } & Tally>;
  ticketTypes: Array<{ ticketTypeId: string | null; name: string } & Tally>;
}

function add(into: Tally, entries: number, exits: number): void {
  into.entries += entries;
  into.exits += exits;
  into.inside = into.entries - into.exits;
}

/** Entries, exits and inside now, per gate and per ticket type (counted scans only). */
export async function getGateCounts(db: Db | Tx, campaignId: string, clock: Clock): Promise<GateCounts> {
  const [rows, gates] = await Promise.all([repo.countScans(db, campaignId), repo.listGates(db, campaignId)]);
  const typeIds = [...new Set(rows.map((r) => r.ticketTypeId).filter((t): t is string => !!t))];
  const types = new Map(
    (typeIds.length ? await getTicketTypesByIds(db, typeIds) : []).map((t) => [t.id, t.name]),
  );
  const totals: Tally = { entries: 0, exits: 0, inside: 0 };
  const byGate = new Map<string | null, { gateId: string | null; name: string } & Tally>(
    gates.map((g) => [g.id, { gateId: g.id, name: g.name, entries: 0, exits: 0, inside: 0 }]),
  );
  const byType = new Map<string | null, { ticketTypeId: string | null; name: string } & Tally>();
  for (const r of rows) {
    add(totals, r.entries, r.exits);
    let g = byGate.get(r.gateId);
    if (!g)
      byGate.set(r.gateId, (g = { gateId: r.gateId, name: 'No gate', entries: 0, exits: 0, inside: 0 }));
    add(g, r.entries, r.exits);
    let t = byType.get(r.ticketTypeId);
    if (!t) {
      const name = (r.ticketTypeId && types.get(r.ticketTypeId)) || 'Ticket';
      byType.set(
        r.ticketTypeId,
        (t = { ticketTypeId: r.ticketTypeId, name, entries: 0, exits: 0, inside: 0 }),
      );
    }
    add(t, r.entries, r.exits);
  }
  return {
    campaignId,
    at: clock.now().toISOString(),
    totals,
    gates: [...byGate.values()],
    ticketTypes: [...byType.values()].sort((a, b) => a.name.localeCompare(b.name)),
  };
}

/** Web side: `gate:join` { campaignId, token } → the room and the current counts; `gate:leave`. */
export function registerGateSockets(io: Server, platform: Platform): void {
  const { prisma, clock, config } = platform;
  io.on('connection', (socket) => {
    socket.on('gate:join', async (msg: unknown, ack?: unknown) => {
      const reply = typeof ack === 'function' ? (ack as (r: { ok: boolean }) => void) : () => undefined;
      const { campaignId, token } = (msg && typeof msg === 'object' ? msg : {}) as Record<string, unknown>;
      if (typeof campaignId !== 'string' || !UUID.test(campaignId)) return reply({ ok: false });
      const id = campaignId.toLowerCase();
      if (!checkRoomToken(config.SESSION_SECRET, id, token, clock.now())) return reply({ ok: false });
      await socket.join(gateRoomOf(id));
      const counts = await getGateCounts(prisma, id, clock).catch(() => null);
      if (counts) socket.emit(GATE_COUNTS_EVENT, counts);
      reply({ ok: true });
    });
    socket.on('gate:leave', async (msg: unknown) => {
      const campaignId = (msg as { campaignId?: unknown } | null)?.campaignId;
      if (typeof campaignId === 'string') await socket.leave(gateRoomOf(campaignId.toLowerCase()));
    });
  });
}

/**
 * Worker side (realtime worker): ticket.scanned → the campaign's counts (folded per campaign
 * over LIVE_COUNTERS_INTERVAL_MS, as the sales counters) and, for a conflict, `gate:conflict`;
 * ticket.revoked → one `gate:revocation` per ticket, to every connected device of the campaign.
 */
export function gateLiveConsumer(
  platform: Platform,
): ConsumerSpec<Partial<TicketScannedPayload> & Partial<TicketRevokedPayload>> {
  const emitter = createEmitter(platform.redis, platform.config.REDIS_PREFIX);
  const intervalMs = platform.config.LIVE_COUNTERS_INTERVAL_MS;
  const scheduled = new Set<string>();

  async function broadcast(db: Db | Tx, campaignId: string): Promise<void> {
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
    name: 'validation.live-gates',
    events: [TICKET_SCANNED, TICKET_REVOKED],
    concurrency: 8,
    // Counts are absolute and re-read; a pushed revocation or conflict twice is harmless (devices
    // key revocations by ticket id), so no inbox row is needed.
    inbox: false,
    async handle(event, { tx }) {
      const p = event.payload;
      const campaignId = p.campaignId;
      if (!campaignId || !UUID.test(campaignId)) return;
      const room = emitter.to(gateRoomOf(campaignId));
      if (event.name === TICKET_REVOKED) {
        for (const t of p.tickets ?? [])
          room.emit(GATE_REVOCATION_EVENT, {
            campaignId,
            seq: t.seq,
            ticketId: t.ticketId,
            serial: t.serial,
            revokedAt: p.revokedAt,
            reason: p.reason,
          });
        return;
      }
      if (p.conflict) {
        const gate = p.gateId ? await repo.findGate(tx, p.gateId) : null;
        const device = p.deviceId ? await repo.findDevice(tx, p.deviceId) : null;
        const scan = p.scanId ? await repo.findScanByScanId(tx, p.scanId) : null;
        const ticket = (scan?.answer as { ticket?: { serial?: number } } | undefined)?.ticket;
        room.emit(GATE_CONFLICT_EVENT, {
          campaignId,
          scanId: p.scanId,
          ticketId: p.ticketId,
          serial: ticket?.serial ?? null,
          gate: gate ? { id: gate.id, name: gate.name } : null,
          device: device ? { id: device.id, name: device.name } : null,
          scannedAt: p.scannedAt,
          receivedAt: p.receivedAt,
          reason: p.reason,
        });
      }
      if (!p.counted && !p.conflict) return;
      if (intervalMs === 0) await broadcast(tx, campaignId);
      else schedule(campaignId);
    },
  };
}
