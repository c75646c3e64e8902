import type { Server } from 'socket.io';
import type { Clock } from '../../shared/clock';
import type { Db, Tx } from '../../shared/db';
import type { Platform } from '../../shared/platform';
import { getTicketTypesByIds } from '../campaigns';
import type { TicketRevokedPayload } from '../tickets';
import { checkRoomToken } from './validation.auth';
import type { TicketScannedPayload } from './validation.events';
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

/** What `gate:conflict` says about a conflicting scan (for the realtime worker). */
export async function describeConflict(db: Db, p: Partial<TicketScannedPayload>) {
  const [gate, device, scan] = await Promise.all([
    p.gateId ? repo.findGate(db, p.gateId) : null,
    p.deviceId ? repo.findDevice(db, p.deviceId) : null,
    p.scanId ? repo.findScanByScanId(db, p.scanId) : null,
  ]);
  const ticket = (scan?.answer as { ticket?: { serial?: number } | null } | undefined)?.ticket;
  return {
    campaignId: p.campaignId,
    scanId: p.scanId,
    ticketId: p.ticketId,
    serial: ticket?.serial ?? null,
    gate: gate ? { id: gate.id, name: gate.name } : null,
    device: device ? { id: device.id, name: device.name } : null,
    scannedAt: p.scannedAt,
    receivedAt: p.receivedAt,
    reason: p.reason,
  };
}

/** One `gate:revocation` message per ticket of a ticket.revoked event. */
export function revocationPushes(p: Partial<TicketRevokedPayload>) {
  return (p.tickets ?? []).map((t) => ({
    campaignId: p.campaignId,
    seq: t.seq,
    ticketId: t.ticketId,
    serial: t.serial,
    revokedAt: p.revokedAt,
    reason: p.reason,
  }));
}
