import type { Db, Tx } from '../../shared/db';

/** The only code that reads or writes waitlist_entries and waitlist_offers. */
type Client = Db | Tx;

export type EntryStatus = 'WAITING' | 'OFFERED' | 'CLAIMED' | 'PASSED' | 'LEFT';
export type OfferStatus = 'OPEN' | 'CLAIMED' | 'EXPIRED' | 'WITHDRAWN';

export interface WaitlistEntryRecord {
  id: string;
  ticketTypeId: string;
  campaignId: string;
  userId: string;
  quantity: number;
  status: EntryStatus;
  createdAt: Date;
  updatedAt: Date;
}

export interface WaitlistOfferRecord {
  id: string;
  entryId: string;
  ticketTypeId: string;
  campaignId: string;
  userId: string;
  quantity: number;
  status: OfferStatus;
  expiresAt: Date;
  bookingId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

const toEntry = (r: Record<string, unknown>) =>
  ({ ...r, status: r.status as EntryStatus }) as WaitlistEntryRecord;
const toOffer = (r: Record<string, unknown>) =>
  ({ ...r, status: r.status as OfferStatus }) as WaitlistOfferRecord;

/** Adds a WAITING entry; null when the buyer already has a live one for the type (unique index). */
export async function insertEntry(
  db: Client,
  e: Omit<WaitlistEntryRecord, 'status' | 'createdAt' | 'updatedAt'>,
  now: Date,
): Promise<boolean> {
  const n = await db.$executeRaw`
    INSERT INTO waitlist_entries (id, ticket_type_id, campaign_id, user_id, quantity, status, created_at, updated_at)
    VALUES (${e.id}::uuid, ${e.ticketTypeId}::uuid, ${e.campaignId}::uuid, ${e.userId}::uuid, ${e.quantity}, 'WAITING', ${now}, ${now})
    ON CONFLICT (ticket_type_id, user_id) WHERE status IN ('WAITING', 'OFFERED') DO NOTHING`;
  return n === 1;
}

export async function findLiveEntry(db: Client, ticketTypeId: string, userId: string) {
  const row = await db.waitlistEntry.findFirst({
    where: { ticketTypeId, userId, status: { in: ['WAITING', 'OFFERED'] } },
  });
  return row ? toEntry(row) : null;
}

/** Guarded WAITING → LEFT by its buyer (an OFFERED entry is left by letting the offer go). */
export async function leaveEntry(
  db: Client,
  ticketTypeId: string,
  userId: string,
  now: Date,
): Promise<boolean> {
  const r = await db.waitlistEntry.updateMany({
    where: { ticketTypeId, userId, status: 'WAITING' },
    data: { status: 'LEFT', updatedAt: now },
  });
  return r.count === 1;
}

/** The buyer's entries, newest first, with their offer when they have one. */
export async function listUserEntries(db: Client, userId: string, limit: number) {
  const entries = await db.waitlistEntry.findMany({
    where: { userId },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: limit,
  });
  const offers = await db.waitlistOffer.findMany({ where: { entryId: { in: entries.map((e) => e.id) } } });
  const byEntry = new Map(offers.map((o) => [o.entryId, toOffer(o)]));
  return entries.map((e) => ({ entry: toEntry(e), offer: byEntry.get(e.id) ?? null }));
}

/** Place in line (1 = next) of a WAITING entry. */
export async function placeInLine(db: Client, entry: WaitlistEntryRecord): Promise<number> {
  const rows = await db.$queryRaw<Array<{ n: number }>>`
    SELECT count(*)::int AS n FROM waitlist_entries
    WHERE ticket_type_id = ${entry.ticketTypeId}::uuid AND status = 'WAITING'
      AND (created_at, id) <= (${entry.createdAt}, ${entry.id}::uuid)`;
  return rows[0]?.n ?? 0;
}

/** Of these types, those with someone WAITING (the cheap first question of every release). */
export async function typesWithWaiting(tx: Tx, ticketTypeIds: string[]): Promise<string[]> {
  const rows = await tx.$queryRaw<Array<{ id: string }>>`
    SELECT DISTINCT ticket_type_id::text AS id FROM waitlist_entries
    WHERE ticket_type_id = ANY(${ticketTypeIds}::uuid[]) AND status = 'WAITING'`;
  return rows.map((r) => r.id).sort();
}

/** The first `limit` WAITING entries of a type in arrival order, locked (waiting on rows others hold). */
export async function lockLine(tx: Tx, ticketTypeId: string, limit: number): Promise<WaitlistEntryRecord[]> {
  const rows = await tx.$queryRaw<
    Array<{ id: string; user_id: string; quantity: number; campaign_id: string }>
  >`
    SELECT id::text, user_id::text, quantity, campaign_id::text FROM waitlist_entries
    WHERE ticket_type_id = ${ticketTypeId}::uuid AND status = 'WAITING'
    ORDER BY created_at, id LIMIT ${limit} FOR UPDATE`;
  return rows.map((r) => ({
    id: r.id,
    userId: r.user_id,
    campaignId: r.campaign_id,
    ticketTypeId,
    quantity: r.quantity,
    status: 'WAITING',
    createdAt: new Date(0),
    updatedAt: new Date(0),
  }));
}

export type NewOffer = Omit<WaitlistOfferRecord, 'status' | 'bookingId' | 'createdAt' | 'updatedAt'>;

/** Inserts OPEN offers and moves their entries WAITING → OFFERED, in one statement. */
export async function insertOffers(tx: Tx, offers: NewOffer[], now: Date): Promise<void> {
  if (!offers.length) return;
  await tx.$executeRaw`
    WITH o AS (
      INSERT INTO waitlist_offers (id, entry_id, ticket_type_id, campaign_id, user_id, quantity, status, expires_at, created_at, updated_at)
      SELECT o.id, o.entry_id, o.ticket_type_id, o.campaign_id, o.user_id, o.quantity, 'OPEN', o.expires_at, ${now}, ${now}
      FROM unnest(${offers.map((o) => o.id)}::uuid[], ${offers.map((o) => o.entryId)}::uuid[], ${offers.map((o) => o.ticketTypeId)}::uuid[],
        ${offers.map((o) => o.campaignId)}::uuid[], ${offers.map((o) => o.userId)}::uuid[], ${offers.map((o) => o.quantity)}::int[],
        ${offers.map((o) => o.expiresAt.toISOString())}::timestamptz[])
        AS o(id, entry_id, ticket_type_id, campaign_id, user_id, quantity, expires_at)
      RETURNING entry_id
    )
    UPDATE waitlist_entries SET status = 'OFFERED', updated_at = ${now} WHERE id IN (SELECT entry_id FROM o)`;
}

export async function findOffer(db: Client, id: string): Promise<WaitlistOfferRecord | null> {
  const row = await db.waitlistOffer.findUnique({ where: { id } });
  return row ? toOffer(row) : null;
}

/** Locks the offer row until the end of the transaction (serialises claims and expiry of it). */
export async function lockOffer(tx: Tx, id: string): Promise<WaitlistOfferRecord | null> {
  const rows = await tx.$queryRaw<
    Array<{ id: string }>
  >`SELECT id::text FROM waitlist_offers WHERE id = ${id}::uuid FOR UPDATE`;
  return rows.length ? findOffer(tx, id) : null;
}

/** Guarded OPEN → CLAIMED with its booking, and the entry OFFERED → CLAIMED. True when this call moved it. */
export async function claimOffer(tx: Tx, id: string, bookingId: string, now: Date): Promise<boolean> {
  const rows = await tx.$queryRaw<Array<{ entry_id: string }>>`
    UPDATE waitlist_offers SET status = 'CLAIMED', booking_id = ${bookingId}::uuid, updated_at = ${now}
    WHERE id = ${id}::uuid AND status = 'OPEN' RETURNING entry_id::text`;
  if (!rows.length) return false;
  await tx.$executeRaw`UPDATE waitlist_entries SET status = 'CLAIMED', updated_at = ${now} WHERE id = ${rows[0]!.entry_id}::uuid`;
  return true;
}

/** OPEN offers past their time, oldest first, locked without waiting on rows others hold (a claim). */
export async function lockDueOffers(tx: Tx, now: Date, limit: number): Promise<string[]> {
  const rows = await tx.$queryRaw<Array<{ id: string }>>`
    SELECT id::text FROM waitlist_offers WHERE status = 'OPEN' AND expires_at <= ${now}
    ORDER BY expires_at LIMIT ${limit} FOR UPDATE SKIP LOCKED`;
  return rows.map((r) => r.id);
}

/** Every OPEN offer of a campaign, locked in id order (waiting on rows others hold). */
export async function lockOpenOffersOfCampaign(tx: Tx, campaignId: string): Promise<string[]> {
  const rows = await tx.$queryRaw<Array<{ id: string }>>`
    SELECT id::text FROM waitlist_offers WHERE campaign_id = ${campaignId}::uuid AND status = 'OPEN' ORDER BY id FOR UPDATE`;
  return rows.map((r) => r.id);
}

/**
 * Guarded OPEN → `to` (EXPIRED: time ran out; WITHDRAWN: the campaign was cancelled) for a batch,
 * their entries OFFERED → PASSED; returns the offers this call moved.
 */
export async function closeOffers(
  tx: Tx,
  ids: string[],
  to: 'EXPIRED' | 'WITHDRAWN',
  now: Date,
): Promise<WaitlistOfferRecord[]> {
  if (!ids.length) return [];
  const rows = await tx.$queryRaw<Array<{ id: string }>>`
    WITH moved AS (
      UPDATE waitlist_offers SET status = ${to}, updated_at = ${now}
      WHERE id = ANY(${ids}::uuid[]) AND status = 'OPEN' RETURNING id, entry_id
    ), entries AS (
      UPDATE waitlist_entries SET status = 'PASSED', updated_at = ${now} WHERE id IN (SELECT entry_id FROM moved)
    )
    SELECT id::text FROM moved`;
  if (!rows.length) return [];
  return (await tx.waitlistOffer.findMany({ where: { id: { in: rows.map((r) => r.id) } } })).map(toOffer);
}

/** Every WAITING entry of a campaign → PASSED (the campaign was cancelled: nothing will come back). */
export async function passWaitingOfCampaign(tx: Tx, campaignId: string, now: Date): Promise<number> {
  return tx.$executeRaw`UPDATE waitlist_entries SET status = 'PASSED', updated_at = ${now}
    WHERE campaign_id = ${campaignId}::uuid AND status = 'WAITING'`;
}
