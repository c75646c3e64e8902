import type { Db, Prisma, Tx } from '../../shared/db';
import * as repo from './tickets.repository';
import { isUuid } from '../../shared/uuid';
import { toTicket } from './tickets.issuance';
import type { CounterMove, RevokedTicket } from './tickets.repository';
import type { EntryResult, RevocationList, Ticket } from './tickets.service';

/** What gates see and do: the revocation list, counted entries, a campaign's check-in totals. */
export function createTicketEntries(deps: { prisma: Db }) {
  const { prisma } = deps;

  /** Every revoked ticket of a campaign, for gate devices to check offline scans against. */
  async function getRevocationList(campaignId: string): Promise<RevocationList> {
    const items = await repo.listRevokedTickets(prisma, campaignId.toLowerCase());
    // Revocations are never undone, so (count, latest time) changes with every new one, even
    // when transactions commit out of time order.
    const latest = items.reduce((m, i) => Math.max(m, i.revokedAt.getTime()), 0);
    return { campaignId: campaignId.toLowerCase(), version: `${items.length}-${latest}`, items };
  }

  /**
   * A campaign's revocations numbered above `after` (at most `limit`, in number order): the
   * monotonic cursor gate devices sync with. See revokeBookingTickets for why no number is skipped.
   */
  async function getRevocationsAfter(
    campaignId: string,
    after: number,
    limit: number,
  ): Promise<RevokedTicket[]> {
    return repo.listRevocationsAfter(prisma, campaignId.toLowerCase(), after, limit);
  }

  /** Counts one entry through the gate if the ticket is valid and has entries left (atomic; see incrementScanCount). */
  async function recordTicketEntry(tx: Tx, ticketId: string): Promise<EntryResult> {
    return entryOutcome(tx, ticketId, await repo.incrementScanCount(tx, ticketId));
  }

  /**
   * Frees one entry of a ticket (an exit scan), in the caller's transaction: `scan_count - 1`
   * while the ticket is VALID and at least one entry is in use (atomic; see decrementScanCount).
   */
  async function recordTicketExit(tx: Tx, ticketId: string): Promise<EntryResult> {
    return entryOutcome(tx, ticketId, await repo.decrementScanCount(tx, ticketId));
  }

  /**
   * The entry and exit counter moves of recordTicketEntry / recordTicketExit for many tickets,
   * as part of the caller's own single statement (see counterMovesCte: `source` is the caller's
   * CTE of `key, ticket_id, direction` rows; the result adds `<name>_lock` and `<name>`, whose
   * rows are the moves that happened). The caller writes its rows from the CTE's in the same
   * statement, so they commit together or not at all.
   */
  function counterMovesPart(name: string, source: string): Prisma.Sql {
    return repo.counterMovesCte(name, source);
  }

  /** A row of counterMovesPart's CTE (or one whose columns are NULL, from a LEFT JOIN) as the move. */
  function readCounterMove(row: Record<string, unknown> | undefined): CounterMove | null {
    return row && row.scan_count !== null && row.scan_count !== undefined
      ? repo.toCounterMove(row as Parameters<typeof repo.toCounterMove>[0])
      : null;
  }

  /** What a guarded counter move means: done, or why not (the row re-read in the same transaction). */
  async function entryOutcome(
    tx: Tx,
    ticketId: string,
    updated: repo.CounterMove | null,
  ): Promise<EntryResult> {
    if (updated) return { admitted: true, ...updated };
    const ticket = await repo.findTicket(tx, ticketId);
    if (!ticket) return { admitted: false, reason: 'NOT_FOUND' };
    if (ticket.status !== 'VALID')
      return { admitted: false, reason: 'REVOKED', scanCount: ticket.scanCount, maxScans: ticket.maxScans };
    return {
      admitted: false,
      reason: 'NO_ENTRIES_LEFT',
      scanCount: ticket.scanCount,
      maxScans: ticket.maxScans,
    };
  }

  /** One ticket as stored, read in the caller's transaction (or the root client); null when none. */
  async function findTicketById(db: Tx, ticketId: string): Promise<Ticket | null> {
    if (!isUuid(ticketId)) return null;
    const row = await repo.findTicket(db, ticketId.toLowerCase());
    return row ? toTicket(row) : null;
  }

  /** Gate entries of a campaign: entries recorded and tickets used at least once (for analytics). */
  function getCampaignCheckIns(campaignId: string): Promise<{ checkIns: number; ticketsCheckedIn: number }> {
    return repo.campaignCheckIns(prisma, campaignId);
  }

  return {
    getRevocationList,
    getRevocationsAfter,
    recordTicketEntry,
    recordTicketExit,
    counterMovesPart,
    readCounterMove,
    findTicketById,
    getCampaignCheckIns,
  };
}
