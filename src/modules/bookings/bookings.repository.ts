import { Prisma } from '../../generated/prisma/client';
import type { Db, Tx } from '../../shared/db';
import { newReference } from './bookings.reference';
import type { BookingItemRecord, BookingRecord, BookingStatus, Issuance } from './bookings.types';

/** The only code that reads or writes bookings, booking_items and booking_idempotency_keys. */
type Client = Db | Tx;

type BookingRow = Prisma.BookingGetPayload<{ include: { items: true } }>;

function toBooking(row: BookingRow): BookingRecord {
  return {
    ...row,
    status: row.status as BookingStatus,
    issuance: row.issuance as Issuance,
    totalMinor: Number(row.totalMinor),
    items: row.items
      .map((i) => ({ ...i, lineTotalMinor: Number(i.lineTotalMinor) }))
      .sort((a, b) => (a.ticketTypeId < b.ticketTypeId ? -1 : 1)),
  };
}

// ---------------------------------------------------------------- idempotency keys and the customer lock

export interface StoredResponse {
  requestHash: string;
  responseStatus: number | null;
  responseBody: unknown;
}

/**
 * One statement: takes the customer's lock on the campaign, then claims (user, key) for this
 * transaction. Returns false when the key was already used (read it with findIdempotencyRecord).
 *
 * The customer lock (transaction-scoped advisory lock on (user, campaign), released at commit
 * or rollback) serialises one customer's reservations on one campaign, so two parallel requests
 * cannot both count the customer's tickets, both see room under the per-customer maximum and
 * both commit. Key collisions between different pairs only cost a little waiting. It is taken
 * first (the INSERT reads from the CTE that takes it), so the lock order is always customer lock
 * → key row → ticket type rows, and the limit check in insertBooking, a later statement, sees
 * every booking committed before the lock was granted (READ COMMITTED: a new snapshot per
 * statement).
 *
 * Idempotency: the INSERT takes the key's primary-key entry. A second transaction with the
 * same (user, key) waits (on the customer lock when the body names the same campaign, else on
 * the uncommitted index entry). If the first commits, ON CONFLICT DO NOTHING inserts nothing and
 * the caller's next statement sees the committed row with its final response; if the first rolls
 * back, the second's INSERT succeeds and it does the work itself. So 20 identical requests in
 * parallel run the booking logic exactly once and the other 19 answer the stored response. This
 * relies on READ COMMITTED (Prisma's default here); under REPEATABLE READ the later read would
 * not see the row.
 */
export async function lockCustomerAndClaimKey(
  tx: Tx,
  userId: string,
  campaignId: string,
  key: string,
  requestHash: string,
  now: Date,
): Promise<boolean> {
  const inserted = await tx.$executeRaw`
    WITH customer_lock AS (SELECT pg_advisory_xact_lock(hashtext('bookings.customer'), hashtext(${userId} || ':' || ${campaignId})))
    INSERT INTO booking_idempotency_keys (user_id, key, request_hash, created_at)
    SELECT ${userId}::uuid, ${key}, ${requestHash}, ${now} FROM customer_lock
    ON CONFLICT (user_id, key) DO NOTHING`;
  return inserted === 1;
}

export async function findIdempotencyRecord(tx: Tx, userId: string, key: string): Promise<StoredResponse | null> {
  const row = await tx.bookingIdempotencyKey.findUnique({ where: { userId_key: { userId, key } } });
  return row ? { requestHash: row.requestHash, responseStatus: row.responseStatus, responseBody: row.responseBody } : null;
}

export async function saveIdempotentResponse(tx: Tx, userId: string, key: string, status: number, body: unknown): Promise<void> {
  await tx.$executeRaw`UPDATE booking_idempotency_keys SET response_status = ${status}, response_body = ${JSON.stringify(body)}::jsonb
    WHERE user_id = ${userId}::uuid AND key = ${key}`;
}

/** Forgets keys older than `cutoff`, at most `limit` per call. Returns how many went. */
export async function deleteIdempotencyKeysBefore(db: Client, cutoff: Date, limit: number): Promise<number> {
  return db.$executeRaw`DELETE FROM booking_idempotency_keys WHERE ctid IN (
    SELECT ctid FROM booking_idempotency_keys WHERE created_at < ${cutoff} LIMIT ${limit})`;
}

/** The same customer lock, for paths that did not claim a key (a late confirmation). */
export async function lockCustomerOnCampaign(tx: Tx, userId: string, campaignId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('bookings.customer'), hashtext(${userId} || ':' || ${campaignId}))`;
}

/** Tickets the customer holds or bought for the campaign (PENDING + CONFIRMED), excluding one booking. */
export async function ticketsHeldByCustomer(tx: Client, userId: string, campaignId: string, exceptBookingId?: string): Promise<number> {
  const rows = await tx.$queryRaw<Array<{ n: number }>>`
    SELECT COALESCE(SUM(i.quantity), 0)::int AS n FROM bookings b JOIN booking_items i ON i.booking_id = b.id
    WHERE b.campaign_id = ${campaignId}::uuid AND b.user_id = ${userId}::uuid AND b.status IN ('PENDING', 'CONFIRMED')
      AND b.id <> ${exceptBookingId ?? '00000000-0000-0000-0000-000000000000'}::uuid`;
  return rows[0]?.n ?? 0;
}

// ---------------------------------------------------------------- bookings

export interface NewBooking {
  id: string;
  userId: string;
  campaignId: string;
  sellerId: string;
  status: 'PENDING' | 'CONFIRMED';
  issuance: Issuance;
  currency: string;
  totalMinor: number;
  expiresAt: Date;
  confirmedAt: Date | null;
  items: Array<Omit<BookingItemRecord, 'bookingId'>>;
}

export type InsertOutcome = { inserted: true; reference: string } | { inserted: false; held: number };

/**
 * In ONE statement (this is the hot path, and every statement costs a round trip): counts the
 * customer's PENDING + CONFIRMED tickets for the campaign and, only if `maxPerCustomer` still
 * allows this booking, inserts it with its items under a fresh reference and stores `response`
 * as the idempotency key's answer. Must run under the customer lock (lockCustomerAndClaimKey).
 * A reference clash (unique index; ON CONFLICT so the transaction is not aborted) is retried
 * with a new reference.
 */
export async function insertBooking(
  tx: Tx,
  b: NewBooking,
  now: Date,
  limit: { maxPerCustomer: number },
  idempotency: { key: string; response: (reference: string) => unknown },
): Promise<InsertOutcome> {
  const requested = b.items.reduce((n, i) => n + i.quantity, 0);
  for (let attempt = 0; ; attempt++) {
    const reference = newReference();
    const rows = await tx.$queryRaw<Array<{ held: number; inserted: number }>>`
      WITH held AS (
        SELECT COALESCE(SUM(i.quantity), 0)::int AS n FROM bookings x JOIN booking_items i ON i.booking_id = x.id
        WHERE x.campaign_id = ${b.campaignId}::uuid AND x.user_id = ${b.userId}::uuid AND x.status IN ('PENDING', 'CONFIRMED')
      ), booking AS (
        INSERT INTO bookings (id, reference, user_id, campaign_id, seller_id, status, issuance, currency, total_minor,
          expires_at, confirmed_at, created_at, updated_at)
        SELECT ${b.id}::uuid, ${reference}, ${b.userId}::uuid, ${b.campaignId}::uuid, ${b.sellerId}::uuid, ${b.status},
          ${b.issuance}, ${b.currency}, ${b.totalMinor}, ${b.expiresAt}, ${b.confirmedAt}, ${now}, ${now}
        FROM held WHERE held.n + ${requested} <= ${limit.maxPerCustomer}
        ON CONFLICT (reference) DO NOTHING
        RETURNING id
      ), items AS (
        INSERT INTO booking_items (id, booking_id, ticket_type_id, ticket_type_name, unit_price_minor, quantity, entries_per_ticket, line_total_minor)
        SELECT i.id, booking.id, i.ticket_type_id, i.name, i.price, i.quantity, i.entries, i.line_total
        FROM booking, unnest(${b.items.map((i) => i.id)}::uuid[], ${b.items.map((i) => i.ticketTypeId)}::uuid[],
          ${b.items.map((i) => i.ticketTypeName)}::text[], ${b.items.map((i) => i.unitPriceMinor)}::int[],
          ${b.items.map((i) => i.quantity)}::int[], ${b.items.map((i) => i.entriesPerTicket)}::int[],
          ${b.items.map((i) => String(i.lineTotalMinor))}::bigint[])
          AS i(id, ticket_type_id, name, price, quantity, entries, line_total)
      ), response AS (
        UPDATE booking_idempotency_keys SET response_status = 201, response_body = ${JSON.stringify(idempotency.response(reference))}::jsonb
        WHERE user_id = ${b.userId}::uuid AND key = ${idempotency.key} AND EXISTS (SELECT 1 FROM booking)
      )
      SELECT (SELECT n FROM held) AS held, (SELECT count(*) FROM booking)::int AS inserted`;
    const row = rows[0]!;
    if (row.inserted === 1) return { inserted: true, reference };
    if (row.held + requested > limit.maxPerCustomer) return { inserted: false, held: row.held };
    if (attempt >= 5) throw new Error('bookings: could not draw a unique reference');
  }
}

export async function findBooking(db: Client, id: string): Promise<BookingRecord | null> {
  const row = await db.booking.findUnique({ where: { id }, include: { items: true } });
  return row ? toBooking(row) : null;
}

/** Locks the booking row until the end of the transaction (serialises transitions on it). */
export async function lockBooking(tx: Tx, id: string): Promise<BookingRecord | null> {
  const rows = await tx.$queryRaw<Array<{ id: string }>>`SELECT id::text FROM bookings WHERE id = ${id}::uuid FOR UPDATE`;
  return rows.length ? findBooking(tx, id) : null;
}

export interface TransitionFields {
  paymentRef?: string | null;
  confirmedAt?: Date;
  expiredAt?: Date;
  cancelledAt?: Date;
  refundedAt?: Date;
}

/**
 * Guarded status transition: `UPDATE … WHERE id = $1 AND status IN (from)`. Returns true only if
 * this call moved the row. Two transactions racing on the same booking (expiry vs confirm vs
 * cancel) both try; the second waits on the row lock, re-checks the WHERE against the committed
 * row and updates nothing, so exactly one transition wins and only its caller moves counters.
 */
export async function transitionBooking(
  tx: Tx,
  id: string,
  from: BookingStatus[],
  to: BookingStatus,
  fields: TransitionFields,
  now: Date,
  ownerId?: string,
): Promise<boolean> {
  const result = await tx.booking.updateMany({
    where: { id, status: { in: from }, ...(ownerId ? { userId: ownerId } : {}) },
    data: { status: to, ...fields, updatedAt: now },
  });
  return result.count === 1;
}

/** PENDING bookings whose hold has lapsed, oldest first, locked without waiting on rows others hold. */
export async function lockDueToExpire(tx: Tx, now: Date, limit: number): Promise<string[]> {
  const rows = await tx.$queryRaw<Array<{ id: string }>>`
    SELECT id::text FROM bookings WHERE status = 'PENDING' AND expires_at <= ${now}
    ORDER BY expires_at LIMIT ${limit} FOR UPDATE SKIP LOCKED`;
  return rows.map((r) => r.id);
}

/** Guarded PENDING → EXPIRED for a batch; returns the bookings this call moved (with items). */
export async function expireBookings(tx: Tx, ids: string[], now: Date): Promise<BookingRecord[]> {
  if (!ids.length) return [];
  const moved = await tx.$queryRaw<Array<{ id: string }>>`
    UPDATE bookings SET status = 'EXPIRED', expired_at = ${now}, updated_at = ${now}
    WHERE id = ANY(${ids}::uuid[]) AND status = 'PENDING' RETURNING id::text`;
  if (!moved.length) return [];
  const rows = await tx.booking.findMany({ where: { id: { in: moved.map((r) => r.id) } }, include: { items: true } });
  return rows.map(toBooking);
}

/** A user's bookings, newest first, keyset-paginated on (created_at, id). */
export async function listUserBookings(
  db: Client,
  userId: string,
  limit: number,
  after?: { createdAt: Date; id: string },
): Promise<BookingRecord[]> {
  const rows = await db.booking.findMany({
    where: {
      userId,
      ...(after
        ? { OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { lt: after.id } }] }
        : {}),
    },
    include: { items: true },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: limit,
  });
  return rows.map(toBooking);
}

/** CONFIRMED bookings of a campaign in id order, after `afterId` (keyset pages for batch work). */
export async function listConfirmedByCampaign(db: Client, campaignId: string, limit: number, afterId?: string): Promise<BookingRecord[]> {
  const rows = await db.booking.findMany({
    where: { campaignId, status: 'CONFIRMED', ...(afterId ? { id: { gt: afterId } } : {}) },
    include: { items: true },
    orderBy: { id: 'asc' },
    take: limit,
  });
  return rows.map(toBooking);
}
