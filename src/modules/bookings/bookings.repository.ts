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

// ---------------------------------------------------------------- idempotency keys

export interface StoredResponse {
  requestHash: string;
  responseStatus: number | null;
  responseBody: unknown;
}

/**
 * Claims (user, key) for this transaction, or returns the row another request committed.
 *
 * Concurrency: the INSERT takes the primary key's index entry. A second transaction inserting
 * the same (user, key) while the first is still open WAITS on it (PostgreSQL's unique-index
 * check blocks on the uncommitted tuple). If the first commits, ON CONFLICT DO NOTHING inserts
 * nothing and the following SELECT (a fresh snapshot in READ COMMITTED) sees the committed row
 * with its final response; if the first rolls back, the second's INSERT succeeds and it does the
 * work itself. So 20 identical requests in parallel run the booking logic exactly once and the
 * other 19 answer the stored response. This relies on READ COMMITTED (Prisma's default here):
 * under REPEATABLE READ the SELECT would not see the row and the claim would fail instead.
 */
export async function claimIdempotencyKey(
  tx: Tx,
  userId: string,
  key: string,
  requestHash: string,
  now: Date,
): Promise<{ claimed: true } | { claimed: false; stored: StoredResponse }> {
  const inserted = await tx.$executeRaw`
    INSERT INTO booking_idempotency_keys (user_id, key, request_hash, created_at)
    VALUES (${userId}::uuid, ${key}, ${requestHash}, ${now})
    ON CONFLICT (user_id, key) DO NOTHING`;
  if (inserted === 1) return { claimed: true };
  const row = await tx.bookingIdempotencyKey.findUnique({ where: { userId_key: { userId, key } } });
  // The conflicting row was deleted (TTL clean-up) between the two statements: let the caller retry.
  if (!row) throw new IdempotencyRace();
  return { claimed: false, stored: { requestHash: row.requestHash, responseStatus: row.responseStatus, responseBody: row.responseBody } };
}

export class IdempotencyRace extends Error {}

export async function saveIdempotentResponse(tx: Tx, userId: string, key: string, status: number, body: unknown): Promise<void> {
  await tx.bookingIdempotencyKey.update({
    where: { userId_key: { userId, key } },
    data: { responseStatus: status, responseBody: body as Prisma.InputJsonValue },
  });
}

/** Forgets keys older than `cutoff`, at most `limit` per call. Returns how many went. */
export async function deleteIdempotencyKeysBefore(db: Client, cutoff: Date, limit: number): Promise<number> {
  return db.$executeRaw`DELETE FROM booking_idempotency_keys WHERE ctid IN (
    SELECT ctid FROM booking_idempotency_keys WHERE created_at < ${cutoff} LIMIT ${limit})`;
}

// ---------------------------------------------------------------- per-customer limit

/**
 * Serialises one customer's booking transactions on one campaign (transaction-scoped advisory
 * lock, released at commit/rollback). Without it two parallel requests could each count the
 * customer's tickets, each see room under the per-customer maximum, and both commit. Key
 * collisions between different (user, campaign) pairs only cost a little extra waiting.
 */
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

/** Inserts a booking and its items with a fresh unique reference (retried on the rare clash). */
export async function insertBooking(tx: Tx, b: NewBooking, now: Date): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const reference = newReference();
    // ON CONFLICT instead of catching the unique violation: an error would abort the transaction.
    const n = await tx.$executeRaw`
      INSERT INTO bookings (id, reference, user_id, campaign_id, seller_id, status, issuance, currency, total_minor,
        expires_at, confirmed_at, created_at, updated_at)
      VALUES (${b.id}::uuid, ${reference}, ${b.userId}::uuid, ${b.campaignId}::uuid, ${b.sellerId}::uuid, ${b.status},
        ${b.issuance}, ${b.currency}, ${b.totalMinor}, ${b.expiresAt}, ${b.confirmedAt}, ${now}, ${now})
      ON CONFLICT (reference) DO NOTHING`;
    if (n === 1) {
      await tx.bookingItem.createMany({ data: b.items.map((i) => ({ ...i, bookingId: b.id, lineTotalMinor: BigInt(i.lineTotalMinor) })) });
      return reference;
    }
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
