import type { Db, Tx } from '../../shared/db';
import * as repo from './campaigns.repository';
import type { CampaignRecord, CounterSnapshot, StockItem, TicketTypeRecord } from './campaigns.types';

/*
 * The inventory API the bookings module calls inside ITS transaction (a cross-module write
 * through this module's public functions, never through its tables). See the invariant in
 * campaigns.repository.ts. Each function either moves every item's counters or, for reserve
 * and sell, reports the first type without room; the caller then rolls back its transaction,
 * so a partial reservation is never committed.
 */

/** reserved += q for each item (in id order) where room remains; else names the type that is short. */
export function reserveStock(tx: Tx, items: StockItem[]) {
  return repo.reserve(tx, items);
}

/** reserved -= q: a hold was cancelled or expired. */
export function releaseStock(tx: Tx, items: StockItem[]) {
  return repo.release(tx, items);
}

/** reserved → sold: a held booking was paid. */
export function commitStock(tx: Tx, items: StockItem[]) {
  return repo.commit(tx, items);
}

/** sold += q where room remains: a payment landed after its hold had expired. */
export function sellStock(tx: Tx, items: StockItem[]) {
  return repo.sellDirect(tx, items);
}

/** sold -= q: a paid booking was refunded. */
export function unsellStock(tx: Tx, items: StockItem[]) {
  return repo.unsell(tx, items);
}

export interface CampaignForSale {
  campaign: CampaignRecord;
  ticketTypes: TicketTypeRecord[];
}

/**
 * The reservation batch's parts for its own statements on the pg pool (bookings.reserve.ts says
 * why that path skips the Prisma client): the campaign and types as one JSON value of a read
 * statement, and the stock move as a CTE of the write statement (see the repository).
 */
export const saleForBookingSql = {
  read: repo.saleJson,
  parse: (value: unknown): CampaignForSale | null => repo.saleFromJson(value),
  reserveStockCte: repo.reserveStockCte,
};

/** The campaign and the ticket types a booking asks for (others omitted), read on `db`. */
export async function getCampaignForSale(
  db: Db | Tx,
  campaignId: string,
  ticketTypeIds: string[],
): Promise<CampaignForSale | null> {
  const campaign = await repo.findCampaign(db, campaignId);
  if (!campaign) return null;
  const types = (await repo.findTicketTypesByIds(db, ticketTypeIds)).filter(
    (t) => t.campaignId === campaignId,
  );
  return { campaign, ticketTypes: types };
}

/** Absolute counters for every ticket type of a campaign. */
export function getCounters(db: Db | Tx, campaignId: string): Promise<CounterSnapshot[]> {
  return repo.counters(db, campaignId);
}

export async function getCampaignsByIds(db: Db | Tx, ids: string[]): Promise<CampaignRecord[]> {
  return repo.findCampaignsByIds(db, ids);
}

export async function getTicketTypesByIds(db: Db | Tx, ids: string[]): Promise<TicketTypeRecord[]> {
  return repo.findTicketTypesByIds(db, ids);
}
