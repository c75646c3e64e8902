import type { Db, Tx } from '../../shared/db';
import * as repo from './tickets.repository';
import type { EntryResult, RevocationList } from './tickets.service';

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

  /** Counts one entry through the gate if the ticket is valid and has entries left (atomic; see incrementScanCount). */
  async function recordTicketEntry(tx: Tx, ticketId: string): Promise<EntryResult> {
    const updated = await repo.incrementScanCount(tx, ticketId);
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

  /** Gate entries of a campaign: entries recorded and tickets used at least once (for analytics). */
  function getCampaignCheckIns(campaignId: string): Promise<{ checkIns: number; ticketsCheckedIn: number }> {
    return repo.campaignCheckIns(prisma, campaignId);
  }

  return { getRevocationList, recordTicketEntry, getCampaignCheckIns };
}
