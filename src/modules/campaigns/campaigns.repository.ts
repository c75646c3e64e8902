import { Prisma } from '../../generated/prisma/client';
import type { Db, Tx } from '../../shared/db';
import type {
  CampaignRecord,
  CampaignStatus,
  CounterSnapshot,
  StockItem,
  TicketTypeRecord,
} from './campaigns.types';
import { isUuid } from '../../shared/uuid';

/** The only code that reads or writes campaigns, ticket_types and campaign_daily_views. */
type Client = Db | Tx;

type CampaignRow = Prisma.CampaignGetPayload<object>;
type TicketTypeRow = Prisma.TicketTypeGetPayload<object>;

function toCampaign(row: CampaignRow): CampaignRecord {
  return {
    ...row,
    kind: row.kind as CampaignRecord['kind'],
    status: row.status as CampaignStatus,
    entryMode: row.entryMode as CampaignRecord['entryMode'],
    latitude: row.latitude === null ? null : Number(row.latitude),
    longitude: row.longitude === null ? null : Number(row.longitude),
  };
}

function toTicketType(row: TicketTypeRow): TicketTypeRecord {
  return { ...row, attributes: (row.attributes ?? {}) as Record<string, unknown> };
}

export type CampaignWrite = Omit<
  CampaignRecord,
  'status' | 'cancelReason' | 'publishedAt' | 'endedAt' | 'cancelledAt' | 'createdAt' | 'updatedAt'
>;

export async function insertCampaign(db: Client, data: CampaignWrite, now: Date): Promise<CampaignRecord> {
  const row = await db.campaign.create({ data: { ...data, createdAt: now, updatedAt: now } });
  return toCampaign(row);
}

export async function findCampaign(db: Client, idOrSlug: string): Promise<CampaignRecord | null> {
  const row = await db.campaign.findFirst({
    where: isUuid(idOrSlug) ? { id: idOrSlug } : { slug: idOrSlug },
  });
  return row ? toCampaign(row) : null;
}

export async function findCampaignsByIds(db: Client, ids: string[]): Promise<CampaignRecord[]> {
  const rows = await db.campaign.findMany({ where: { id: { in: ids } } });
  return rows.map(toCampaign);
}

/** Locks the campaign row for the rest of the transaction (transitions and publication). */
export async function lockCampaign(tx: Tx, id: string): Promise<CampaignRecord | null> {
  const rows = await tx.$queryRaw<
    Array<{ id: string }>
  >`SELECT id::text FROM campaigns WHERE id = ${id}::uuid FOR UPDATE`;
  if (!rows.length) return null;
  return findCampaign(tx, id);
}

export async function updateCampaignFields(
  db: Client,
  id: string,
  data: Partial<CampaignWrite>,
  now: Date,
): Promise<CampaignRecord> {
  const row = await db.campaign.update({ where: { id }, data: { ...data, updatedAt: now } });
  return toCampaign(row);
}

/**
 * Guarded status transition: changes the row only if it is still in one of `from`. Returns
 * the updated campaign, or null when another transaction moved it first.
 */
export async function transitionCampaign(
  tx: Tx,
  id: string,
  from: CampaignStatus[],
  to: CampaignStatus,
  extra: Partial<Pick<CampaignRecord, 'publishedAt' | 'endedAt' | 'cancelledAt' | 'cancelReason'>>,
  now: Date,
): Promise<CampaignRecord | null> {
  const result = await tx.campaign.updateMany({
    where: { id, status: { in: from } },
    data: { status: to, ...extra, updatedAt: now },
  });
  if (result.count === 0) return null;
  return findCampaign(tx, id);
}

export async function listSellerCampaigns(db: Client, sellerId: string): Promise<CampaignRecord[]> {
  const rows = await db.campaign.findMany({
    where: { sellerId },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
  });
  return rows.map(toCampaign);
}

/** ACTIVE/PAUSED campaigns whose end has passed, oldest first, locked without waiting. */
export async function lockDueToEnd(tx: Tx, now: Date, limit: number): Promise<string[]> {
  const rows = await tx.$queryRaw<Array<{ id: string }>>`
    SELECT id::text FROM campaigns WHERE status IN ('ACTIVE', 'PAUSED') AND ends_at <= ${now}
    ORDER BY ends_at LIMIT ${limit} FOR UPDATE SKIP LOCKED`;
  return rows.map((r) => r.id);
}

export interface BrowseFilters {
  kind?: string;
  q?: string;
  city?: string;
  from?: Date;
  to?: Date;
  tag?: string;
  availableOnly?: boolean;
  sort: 'date' | 'newest';
  limit: number;
  after?: { key: Date; id: string };
}

/**
 * Public browse: ACTIVE campaigns only, keyset pagination on (sort key, id) so that campaigns
 * added while someone pages through never cause duplicates or gaps in what they already saw.
 */
export async function browseCampaigns(db: Client, f: BrowseFilters): Promise<CampaignRecord[]> {
  const where: Prisma.Sql[] = [Prisma.sql`c.status = 'ACTIVE'`];
  if (f.kind) where.push(Prisma.sql`c.kind = ${f.kind}`);
  if (f.city) where.push(Prisma.sql`lower(c.city) = lower(${f.city})`);
  if (f.tag) where.push(Prisma.sql`${f.tag} = ANY(c.tags)`);
  if (f.from) where.push(Prisma.sql`c.ends_at >= ${f.from}`);
  if (f.to) where.push(Prisma.sql`c.starts_at <= ${f.to}`);
  if (f.q) where.push(Prisma.sql`c.search @@ websearch_to_tsquery('simple', ${f.q})`);
  if (f.availableOnly) {
    where.push(Prisma.sql`EXISTS (SELECT 1 FROM ticket_types t WHERE t.campaign_id = c.id AND NOT t.hidden
      AND t.sold + t.reserved < t.capacity)`);
  }
  const keyCol = f.sort === 'date' ? Prisma.sql`c.starts_at` : Prisma.sql`c.published_at`;
  const order = f.sort === 'date' ? Prisma.sql`ASC` : Prisma.sql`DESC`;
  if (f.after) {
    where.push(
      f.sort === 'date'
        ? Prisma.sql`(c.starts_at, c.id) > (${f.after.key}, ${f.after.id}::uuid)`
        : Prisma.sql`(c.published_at, c.id) < (${f.after.key}, ${f.after.id}::uuid)`,
    );
  }
  const ids = await db.$queryRaw<Array<{ id: string }>>`
    SELECT c.id::text FROM campaigns c WHERE ${Prisma.join(where, ' AND ')}
    ORDER BY ${keyCol} ${order}, c.id ${order} LIMIT ${f.limit}`;
  if (!ids.length) return [];
  const rows = await findCampaignsByIds(
    db,
    ids.map((r) => r.id),
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.map((r) => byId.get(r.id)).filter((r): r is CampaignRecord => Boolean(r));
}

// ---------------------------------------------------------------- ticket types

export type TicketTypeWrite = Omit<
  TicketTypeRecord,
  'reserved' | 'sold' | 'hasBookings' | 'lowStockAt' | 'createdAt' | 'updatedAt'
>;

export async function insertTicketType(
  db: Client,
  data: TicketTypeWrite,
  now: Date,
): Promise<TicketTypeRecord> {
  const row = await db.ticketType.create({
    data: { ...data, attributes: data.attributes as Prisma.InputJsonObject, createdAt: now, updatedAt: now },
  });
  return toTicketType(row);
}

export async function listTicketTypes(db: Client, campaignId: string): Promise<TicketTypeRecord[]> {
  const rows = await db.ticketType.findMany({
    where: { campaignId },
    orderBy: [{ sortOrder: 'asc' }, { createdAt: 'asc' }],
  });
  return rows.map(toTicketType);
}

export async function listTicketTypesForCampaigns(
  db: Client,
  campaignIds: string[],
): Promise<TicketTypeRecord[]> {
  const rows = await db.ticketType.findMany({
    where: { campaignId: { in: campaignIds } },
    orderBy: [{ sortOrder: 'asc' }, { createdAt: 'asc' }],
  });
  return rows.map(toTicketType);
}

export async function findTicketType(
  db: Client,
  campaignId: string,
  id: string,
): Promise<TicketTypeRecord | null> {
  const row = await db.ticketType.findFirst({ where: { id, campaignId } });
  return row ? toTicketType(row) : null;
}

export async function findTicketTypesByIds(db: Client, ids: string[]): Promise<TicketTypeRecord[]> {
  const rows = await db.ticketType.findMany({ where: { id: { in: ids } } });
  return rows.map(toTicketType);
}

export async function updateTicketTypeFields(
  db: Client,
  id: string,
  data: Partial<Omit<TicketTypeWrite, 'capacity'>>,
  now: Date,
): Promise<TicketTypeRecord> {
  const row = await db.ticketType.update({
    where: { id },
    data: {
      ...data,
      attributes: data.attributes === undefined ? undefined : (data.attributes as Prisma.InputJsonObject),
      updatedAt: now,
    },
  });
  return toTicketType(row);
}

/**
 * Sets capacity only if it stays at or above what is sold and held. Guarded in the UPDATE so a
 * reservation committing at the same moment cannot slip under it. Returns false if refused.
 */
export async function setCapacity(db: Client, id: string, capacity: number, now: Date): Promise<boolean> {
  const n = await db.$executeRaw`UPDATE ticket_types SET capacity = ${capacity}, updated_at = ${now}
    WHERE id = ${id}::uuid AND sold + reserved <= ${capacity}`;
  return n === 1;
}

/** Deletes a ticket type that has never been booked (guarded by has_bookings in the same statement). */
export async function deleteUnbookedTicketType(db: Client, id: string): Promise<boolean> {
  const n = await db.$executeRaw`DELETE FROM ticket_types WHERE id = ${id}::uuid AND NOT has_bookings`;
  return n === 1;
}

// ---------------------------------------------------------------- inventory

/*
 * Inventory invariant: for every ticket type, 0 <= reserved, 0 <= sold and
 * sold + reserved <= capacity. Each function below moves counters with ONE conditional UPDATE
 * per ticket type; the WHERE clause re-checks the invariant against the row as it is at that
 * moment (PostgreSQL re-evaluates it after waiting on a concurrent writer's row lock), so two
 * buyers can never both take the last ticket. Callers touch ticket types in id order so that
 * two multi-type bookings cannot deadlock. The table's CHECK constraint backs this up: if a
 * caller got it wrong, the transaction fails instead of overselling.
 */

function byId(items: StockItem[]): StockItem[] {
  return [...items].sort((a, b) =>
    a.ticketTypeId < b.ticketTypeId ? -1 : a.ticketTypeId > b.ticketTypeId ? 1 : 0,
  );
}

/** What is left of a ticket type now (for the SOLD_OUT answer). */
async function availableOf(tx: Tx, ticketTypeId: string): Promise<number> {
  const left = await tx.$queryRaw<Array<{ available: number }>>`
    SELECT (capacity - sold - reserved)::int AS available FROM ticket_types WHERE id = ${ticketTypeId}::uuid`;
  return left[0]?.available ?? 0;
}

/** reserved += q where there is room. Returns the first ticket type without room, or null. */
export async function reserve(
  tx: Tx,
  items: StockItem[],
): Promise<{ ticketTypeId: string; available: number } | null> {
  for (const item of byId(items)) {
    const n = await tx.$executeRaw`UPDATE ticket_types
      SET reserved = reserved + ${item.quantity}, has_bookings = true
      WHERE id = ${item.ticketTypeId}::uuid AND sold + reserved + ${item.quantity} <= capacity`;
    if (n === 0)
      return { ticketTypeId: item.ticketTypeId, available: await availableOf(tx, item.ticketTypeId) };
  }
  return null;
}

/**
 * reserve() (and commit() for the part that is sold at once) as a CTE `<name>` of a caller's
 * single statement: one UPDATE moving every type's counters, RETURNING one row per type that had
 * room; the caller writes its own rows only if every type did (count = items.length) and rolls
 * back otherwise. The rows are locked first, in id order, by `<name>_lock` (materialised, so it
 * runs before the UPDATE whatever plan is chosen): two multi-type statements cannot deadlock, as
 * with reserve(). The WHERE is re-checked on the latest row version after a wait, so the invariant
 * holds whatever the caller read. `held` goes to reserved, `sold` straight to sold (a free booking).
 */
export function reserveStockCte(
  name: string,
  items: Array<{ ticketTypeId: string; held: number; sold: number }>,
): Prisma.Sql {
  if (!/^[a-z_]{1,30}$/.test(name)) throw new Error(`bad CTE name ${name}`);
  const sorted = [...items].sort((a, b) => (a.ticketTypeId < b.ticketTypeId ? -1 : 1));
  const ids = sorted.map((i) => i.ticketTypeId);
  return Prisma.sql`${Prisma.raw(name)}_lock AS MATERIALIZED (
      SELECT id FROM ticket_types WHERE id = ANY(${ids}::uuid[]) ORDER BY id FOR UPDATE),
    ${Prisma.raw(name)} AS (
      UPDATE ticket_types t SET reserved = t.reserved + q.held, sold = t.sold + q.sold, has_bookings = true
      FROM (SELECT q.* FROM unnest(${ids}::uuid[], ${sorted.map((i) => i.held)}::int[], ${sorted.map((i) => i.sold)}::int[])
              AS q(id, held, sold) JOIN ${Prisma.raw(name)}_lock l ON l.id = q.id) AS q
      WHERE t.id = q.id AND t.sold + t.reserved + q.held + q.sold <= t.capacity
      RETURNING t.id)`;
}

/**
 * The campaign and the given ticket types of it as one JSON value (`{ campaign, types }`, rows as
 * to_jsonb makes them), for a caller's single read statement on the pg pool; saleFromJson reads it.
 */
export function saleJson(campaignId: string, ticketTypeIds: string[]): Prisma.Sql {
  return Prisma.sql`(SELECT json_build_object('campaign', to_jsonb(c), 'types',
      COALESCE((SELECT json_agg(to_jsonb(t)) FROM ticket_types t
                WHERE t.id = ANY(${ticketTypeIds}::uuid[]) AND t.campaign_id = c.id), '[]'::json))
    FROM campaigns c WHERE c.id = ${campaignId}::uuid)`;
}

/** A to_jsonb row: snake_case keys to the record's camelCase, timestamps (every `…At`) to Dates. */
function recordOfJson(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    const key = k.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
    out[key] = typeof v === 'string' && key.endsWith('At') ? new Date(v) : v;
  }
  return out;
}

export function saleFromJson(
  value: unknown,
): { campaign: CampaignRecord; ticketTypes: TicketTypeRecord[] } | null {
  const v = value as { campaign: Record<string, unknown>; types: Array<Record<string, unknown>> } | null;
  if (!v) return null;
  return {
    campaign: toCampaign(recordOfJson(v.campaign) as unknown as CampaignRow),
    ticketTypes: v.types.map((t) => toTicketType(recordOfJson(t) as unknown as TicketTypeRow)),
  };
}

/** reserved -= q. Throws if a counter would go negative (a caller released twice). */
export async function release(tx: Tx, items: StockItem[]): Promise<void> {
  for (const item of byId(items)) {
    const n = await tx.$executeRaw`UPDATE ticket_types SET reserved = reserved - ${item.quantity}
      WHERE id = ${item.ticketTypeId}::uuid AND reserved >= ${item.quantity}`;
    if (n !== 1) throw new Error(`inventory: cannot release ${item.quantity} of ${item.ticketTypeId}`);
  }
}

/** reserved -= q, sold += q (a held booking is paid). */
export async function commit(tx: Tx, items: StockItem[]): Promise<void> {
  for (const item of byId(items)) {
    const n =
      await tx.$executeRaw`UPDATE ticket_types SET reserved = reserved - ${item.quantity}, sold = sold + ${item.quantity}
      WHERE id = ${item.ticketTypeId}::uuid AND reserved >= ${item.quantity}`;
    if (n !== 1) throw new Error(`inventory: cannot commit ${item.quantity} of ${item.ticketTypeId}`);
  }
}

/** sold += q where there is room (a payment landed after its hold expired). */
export async function sellDirect(
  tx: Tx,
  items: StockItem[],
): Promise<{ ticketTypeId: string; available: number } | null> {
  for (const item of byId(items)) {
    const n = await tx.$executeRaw`UPDATE ticket_types SET sold = sold + ${item.quantity}, has_bookings = true
      WHERE id = ${item.ticketTypeId}::uuid AND sold + reserved + ${item.quantity} <= capacity`;
    if (n === 0)
      return { ticketTypeId: item.ticketTypeId, available: await availableOf(tx, item.ticketTypeId) };
  }
  return null;
}

/** sold -= q (a confirmed booking was refunded). */
export async function unsell(tx: Tx, items: StockItem[]): Promise<void> {
  for (const item of byId(items)) {
    const n = await tx.$executeRaw`UPDATE ticket_types SET sold = sold - ${item.quantity}
      WHERE id = ${item.ticketTypeId}::uuid AND sold >= ${item.quantity}`;
    if (n !== 1) throw new Error(`inventory: cannot unsell ${item.quantity} of ${item.ticketTypeId}`);
  }
}

export async function counters(db: Client, campaignId: string): Promise<CounterSnapshot[]> {
  const rows = await db.ticketType.findMany({
    where: { campaignId },
    select: { id: true, campaignId: true, capacity: true, sold: true, reserved: true },
    orderBy: [{ sortOrder: 'asc' }, { createdAt: 'asc' }],
  });
  return rows.map((r) => ({
    campaignId: r.campaignId,
    ticketTypeId: r.id,
    capacity: r.capacity,
    sold: r.sold,
    reserved: r.reserved,
    available: r.capacity - r.sold - r.reserved,
  }));
}

// ---------------------------------------------------------------- views

export async function upsertDailyViews(
  db: Client,
  campaignId: string,
  day: string,
  views: number,
): Promise<void> {
  // A day's distinct-visitor count only grows, so keep the larger of the stored and new value.
  await db.$executeRaw`INSERT INTO campaign_daily_views (campaign_id, day, views)
    VALUES (${campaignId}::uuid, ${day}::date, ${views})
    ON CONFLICT (campaign_id, day) DO UPDATE SET views = GREATEST(campaign_daily_views.views, EXCLUDED.views)`;
}

export async function dailyViews(
  db: Client,
  campaignId: string,
): Promise<Array<{ day: string; views: number }>> {
  const rows = await db.campaignDailyView.findMany({ where: { campaignId }, orderBy: { day: 'asc' } });
  return rows.map((r) => ({ day: r.day.toISOString().slice(0, 10), views: r.views }));
}
