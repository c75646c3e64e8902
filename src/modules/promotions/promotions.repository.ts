import type { Db, Tx } from '../../shared/db';
import type { PromoCodeRecord, PromoKind, PromoUseStatus } from './promotions.types';

/** The only code that reads or writes promo_codes and promo_code_uses. */
type Client = Db | Tx;

interface PromoRow {
  id: string;
  campaign_id: string;
  seller_id: string;
  code: string;
  kind: string;
  percent_off: number | null;
  amount_off_minor: bigint | null;
  currency: string;
  ticket_type_ids: string[];
  unlocks_ticket_type_ids: string[];
  valid_from: Date | null;
  valid_until: Date | null;
  max_uses: number | null;
  max_uses_per_buyer: number | null;
  uses: number;
  batch_id: string | null;
  active: boolean;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = `id::text, campaign_id::text, seller_id::text, code, kind, percent_off, amount_off_minor, currency,
  ticket_type_ids::text[], unlocks_ticket_type_ids::text[], valid_from, valid_until, max_uses, max_uses_per_buyer,
  uses, batch_id::text, active, created_at, updated_at`;

function toPromo(r: PromoRow): PromoCodeRecord {
  return {
    id: r.id,
    campaignId: r.campaign_id,
    sellerId: r.seller_id,
    code: r.code,
    kind: r.kind as PromoKind,
    percentOff: r.percent_off,
    amountOffMinor: r.amount_off_minor === null ? null : Number(r.amount_off_minor),
    currency: r.currency,
    ticketTypeIds: r.ticket_type_ids,
    unlocksTicketTypeIds: r.unlocks_ticket_type_ids,
    validFrom: r.valid_from,
    validUntil: r.valid_until,
    maxUses: r.max_uses,
    maxUsesPerBuyer: r.max_uses_per_buyer,
    uses: r.uses,
    batchId: r.batch_id,
    active: r.active,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export type NewPromoCode = Omit<PromoCodeRecord, 'uses' | 'active' | 'createdAt' | 'updatedAt'>;

/**
 * Inserts codes that share one set of settings (one form, or one generated batch: the ticket type
 * lists are taken from the first). A code that already exists for the campaign is left out.
 * Returns the ids inserted.
 */
export async function insertPromoCodes(tx: Tx, codes: NewPromoCode[], now: Date): Promise<Set<string>> {
  if (!codes.length) return new Set();
  const rows = await tx.$queryRaw<Array<{ id: string }>>`
    INSERT INTO promo_codes (id, campaign_id, seller_id, code, kind, percent_off, amount_off_minor, currency,
      ticket_type_ids, unlocks_ticket_type_ids, valid_from, valid_until, max_uses, max_uses_per_buyer, batch_id, created_at, updated_at)
    SELECT c.id, c.campaign_id, c.seller_id, c.code, c.kind, c.percent_off, c.amount_off_minor, c.currency,
      ${codes[0]!.ticketTypeIds}::uuid[], ${codes[0]!.unlocksTicketTypeIds}::uuid[], c.valid_from, c.valid_until, c.max_uses,
      c.max_uses_per_buyer, c.batch_id, ${now}, ${now}
    FROM unnest(${codes.map((c) => c.id)}::uuid[], ${codes.map((c) => c.campaignId)}::uuid[], ${codes.map((c) => c.sellerId)}::uuid[],
      ${codes.map((c) => c.code)}::text[], ${codes.map((c) => c.kind)}::text[], ${codes.map((c) => c.percentOff)}::int[],
      ${codes.map((c) => (c.amountOffMinor === null ? null : String(c.amountOffMinor)))}::bigint[], ${codes.map((c) => c.currency)}::text[],
      ${codes.map((c) => c.validFrom?.toISOString() ?? null)}::timestamptz[], ${codes.map((c) => c.validUntil?.toISOString() ?? null)}::timestamptz[],
      ${codes.map((c) => c.maxUses)}::int[], ${codes.map((c) => c.maxUsesPerBuyer)}::int[], ${codes.map((c) => c.batchId)}::uuid[])
      AS c(id, campaign_id, seller_id, code, kind, percent_off, amount_off_minor, currency, valid_from, valid_until, max_uses, max_uses_per_buyer, batch_id)
    ON CONFLICT (campaign_id, code) DO NOTHING
    RETURNING id::text`;
  return new Set(rows.map((r) => r.id));
}

export async function findPromoCode(db: Client, id: string): Promise<PromoCodeRecord | null> {
  const rows = await db.$queryRawUnsafe<PromoRow[]>(
    `SELECT ${COLUMNS} FROM promo_codes WHERE id = $1::uuid`,
    id,
  );
  return rows[0] ? toPromo(rows[0]) : null;
}

/** A campaign's codes by their text (upper case). */
export async function findPromoCodesByText(
  db: Client,
  campaignId: string,
  codes: string[],
): Promise<PromoCodeRecord[]> {
  if (!codes.length) return [];
  const rows = await db.$queryRawUnsafe<PromoRow[]>(
    `SELECT ${COLUMNS} FROM promo_codes WHERE campaign_id = $1::uuid AND code = ANY($2::text[])`,
    campaignId,
    codes,
  );
  return rows.map(toPromo);
}

/** A campaign's codes, newest first; `batchId` narrows to one generated batch. */
export async function listPromoCodes(
  db: Client,
  campaignId: string,
  opts: { batchId?: string; limit: number; offset: number },
): Promise<PromoCodeRecord[]> {
  const rows = await db.$queryRawUnsafe<PromoRow[]>(
    `SELECT ${COLUMNS} FROM promo_codes WHERE campaign_id = $1::uuid AND ($2::uuid IS NULL OR batch_id = $2::uuid)
     ORDER BY created_at DESC, code LIMIT $3 OFFSET $4`,
    campaignId,
    opts.batchId ?? null,
    opts.limit,
    opts.offset,
  );
  return rows.map(toPromo);
}

export async function setPromoCodeActive(
  db: Client,
  id: string,
  active: boolean,
  now: Date,
): Promise<boolean> {
  const n =
    await db.$executeRaw`UPDATE promo_codes SET active = ${active}, updated_at = ${now} WHERE id = ${id}::uuid`;
  return n === 1;
}

export interface UseTotals {
  promoCodeId: string;
  confirmedBookings: number;
  heldBookings: number;
  revenueMinor: number;
  discountMinor: number;
}

/** Per code of a campaign: confirmed and held bookings, confirmed revenue (net) and discount given. */
export async function useTotals(db: Client, campaignId: string): Promise<UseTotals[]> {
  const rows = await db.$queryRaw<
    Array<{ id: string; confirmed: bigint; held: bigint; revenue: bigint | null; discount: bigint | null }>
  >`
    SELECT promo_code_id::text AS id,
      count(*) FILTER (WHERE status = 'CONFIRMED') AS confirmed, count(*) FILTER (WHERE status = 'HELD') AS held,
      sum(total_minor) FILTER (WHERE status = 'CONFIRMED') AS revenue, sum(discount_minor) FILTER (WHERE status = 'CONFIRMED') AS discount
    FROM promo_code_uses WHERE campaign_id = ${campaignId}::uuid GROUP BY promo_code_id`;
  return rows.map((r) => ({
    promoCodeId: r.id,
    confirmedBookings: Number(r.confirmed),
    heldBookings: Number(r.held),
    revenueMinor: Number(r.revenue ?? 0),
    discountMinor: Number(r.discount ?? 0),
  }));
}

// ---------------------------------------------------------------- uses (inside the booking transaction)

/** Uses not given back per (code, buyer), keyed `codeId userId`. */
export async function buyerUses(tx: Tx, codeIds: string[], userIds: string[]): Promise<Map<string, number>> {
  if (!codeIds.length || !userIds.length) return new Map();
  const rows = await tx.$queryRaw<Array<{ code_id: string; user_id: string; n: number }>>`
    SELECT promo_code_id::text AS code_id, user_id::text, count(*)::int AS n FROM promo_code_uses
    WHERE promo_code_id = ANY(${codeIds}::uuid[]) AND user_id = ANY(${userIds}::uuid[]) AND status <> 'RELEASED'
    GROUP BY 1, 2`;
  return new Map(rows.map((r) => [`${r.code_id} ${r.user_id}`, r.n]));
}

/** Locks codes in id order (every writer of `uses` does, so two never wait on each other in a cycle). */
async function lockCodes(tx: Tx, ids: string[]): Promise<void> {
  await tx.$queryRaw`SELECT id FROM promo_codes WHERE id = ANY(${ids}::uuid[]) ORDER BY id FOR UPDATE`;
}

/**
 * uses += n per code where the limit allows, in one guarded UPDATE. Returns the ids of codes that
 * had no room (nothing is changed for those; the caller rolls back).
 */
export async function addUses(tx: Tx, counts: Map<string, number>, now: Date): Promise<string[]> {
  const ids = [...counts.keys()].sort();
  if (!ids.length) return [];
  await lockCodes(tx, ids);
  const rows = await tx.$queryRaw<Array<{ id: string }>>`
    UPDATE promo_codes p SET uses = p.uses + t.n, updated_at = ${now}
    FROM unnest(${ids}::uuid[], ${ids.map((id) => counts.get(id)!)}::int[]) AS t(id, n)
    WHERE p.id = t.id AND (p.max_uses IS NULL OR p.uses + t.n <= p.max_uses)
    RETURNING p.id::text`;
  const moved = new Set(rows.map((r) => r.id));
  return ids.filter((id) => !moved.has(id));
}

/** uses += n without a limit check (a late payment keeps the price it paid). */
async function addUsesUnchecked(tx: Tx, counts: Map<string, number>, now: Date): Promise<void> {
  const ids = [...counts.keys()].sort();
  if (!ids.length) return;
  await lockCodes(tx, ids);
  await tx.$executeRaw`
    UPDATE promo_codes p SET uses = p.uses + t.n, updated_at = ${now}
    FROM unnest(${ids}::uuid[], ${ids.map((id) => counts.get(id)!)}::int[]) AS t(id, n) WHERE p.id = t.id`;
}

export interface NewUse {
  bookingId: string;
  promoCodeId: string;
  campaignId: string;
  userId: string;
  discountMinor: number;
  totalMinor: number;
  status: 'HELD' | 'CONFIRMED';
}

export async function insertUses(tx: Tx, uses: NewUse[], now: Date): Promise<void> {
  if (!uses.length) return;
  await tx.$executeRaw`
    INSERT INTO promo_code_uses (booking_id, promo_code_id, campaign_id, user_id, discount_minor, total_minor, status, created_at, updated_at)
    SELECT u.*, ${now}::timestamptz, ${now}::timestamptz FROM unnest(${uses.map((u) => u.bookingId)}::uuid[], ${uses.map((u) => u.promoCodeId)}::uuid[],
      ${uses.map((u) => u.campaignId)}::uuid[], ${uses.map((u) => u.userId)}::uuid[], ${uses.map((u) => String(u.discountMinor))}::bigint[],
      ${uses.map((u) => String(u.totalMinor))}::bigint[], ${uses.map((u) => u.status)}::text[])
      AS u(booking_id, promo_code_id, campaign_id, user_id, discount_minor, total_minor, status)`;
}

/** Guarded `from` → `to` on the uses of these bookings; returns how many moved per code. */
async function moveUses(
  tx: Tx,
  bookingIds: string[],
  from: PromoUseStatus[],
  to: PromoUseStatus,
  now: Date,
): Promise<Map<string, number>> {
  if (!bookingIds.length) return new Map();
  const rows = await tx.$queryRaw<Array<{ id: string; n: number }>>`
    WITH moved AS (
      UPDATE promo_code_uses SET status = ${to}, updated_at = ${now}
      WHERE booking_id = ANY(${bookingIds}::uuid[]) AND status = ANY(${from}::text[]) RETURNING promo_code_id)
    SELECT promo_code_id::text AS id, count(*)::int AS n FROM moved GROUP BY 1`;
  return new Map(rows.map((r) => [r.id, r.n]));
}

/** HELD/CONFIRMED → RELEASED and uses -= n per code (only for the uses this call moved). */
export async function releaseUses(tx: Tx, bookingIds: string[], now: Date): Promise<number> {
  const moved = await moveUses(tx, bookingIds, ['HELD', 'CONFIRMED'], 'RELEASED', now);
  const ids = [...moved.keys()].sort();
  if (!ids.length) return 0;
  await lockCodes(tx, ids);
  await tx.$executeRaw`
    UPDATE promo_codes p SET uses = p.uses - t.n, updated_at = ${now}
    FROM unnest(${ids}::uuid[], ${ids.map((id) => moved.get(id)!)}::int[]) AS t(id, n) WHERE p.id = t.id`;
  return [...moved.values()].reduce((a, b) => a + b, 0);
}

/** HELD → CONFIRMED; a RELEASED use (the booking was paid after its hold lapsed) is taken again. */
export async function confirmUse(tx: Tx, bookingId: string, now: Date): Promise<void> {
  const held = await moveUses(tx, [bookingId], ['HELD'], 'CONFIRMED', now);
  if (held.size) return;
  const again = await moveUses(tx, [bookingId], ['RELEASED'], 'CONFIRMED', now);
  await addUsesUnchecked(tx, again, now);
}
