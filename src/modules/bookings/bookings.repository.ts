import { Prisma } from '../../generated/prisma/client';
import { runSql, type Db, type SqlClient, type Tx } from '../../shared/db';
import type {
  BookingItemRecord,
  BookingRecord,
  BookingSeat,
  BookingStatus,
  Issuance,
} from './bookings.types';

/** The only code that reads or writes bookings, booking_items and booking_idempotency_keys. */
type Client = Db | Tx;

type BookingRow = Prisma.BookingGetPayload<{ include: { items: true } }>;

export function toBooking(row: BookingRow): BookingRecord {
  return {
    ...row,
    status: row.status as BookingStatus,
    issuance: row.issuance as Issuance,
    cancelCause: row.cancelCause === 'CAMPAIGN_CANCELLED' ? 'CAMPAIGN_CANCELLED' : null,
    totalMinor: Number(row.totalMinor),
    discountMinor: Number(row.discountMinor),
    items: row.items
      .map((i) => ({
        ...i,
        lineTotalMinor: Number(i.lineTotalMinor),
        discountMinor: Number(i.discountMinor),
      }))
      .sort((a, b) => (a.ticketTypeId < b.ticketTypeId ? -1 : 1)),
  };
}

// ---------------------------------------------------------------- sales lock and idempotency keys

/**
 * The campaign's sales lock: a transaction-scoped advisory lock on the campaign, released at
 * commit or rollback. Every transaction that can add tickets to a customer's count on a
 * campaign (a reservation batch, a late confirmation) holds it, so a customer's count read
 * under it cannot change before the transaction commits: that is what makes the per-customer
 * maximum race-free. It also serialises reservation batches of one campaign across web
 * processes, which costs nothing extra: they would queue on the hot ticket type row anyway.
 */
export async function lockCampaignSales(tx: Tx, campaignId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('bookings.sales'), hashtext(${campaignId}))`;
}

export interface KeyClaim {
  userId: string;
  key: string;
  requestHash: string;
}

/**
 * One statement: takes the campaign's sales lock, then claims every (user, key) of the batch.
 * Returns the claims this transaction won, as `userId key` strings.
 *
 * Idempotency: each INSERT takes the key's primary-key entry. A transaction inserting a
 * (user, key) that another open transaction inserted WAITS for it (PostgreSQL's unique check
 * blocks on the uncommitted entry). If that one commits, ON CONFLICT DO NOTHING skips the row and
 * a later statement of ours (READ COMMITTED: a new snapshot per statement) reads the committed
 * row with its final response; if it rolls back, our INSERT goes through and we do the work. So
 * identical requests running in parallel, in one process or several, do the work once and the
 * others answer the stored response. Under REPEATABLE READ the later read would not see the row:
 * this relies on READ COMMITTED (Prisma's default here).
 *
 * The lock is taken before the keys (the INSERT reads from the CTE that takes it). Lock order for
 * reservations: sales lock → key rows → ticket type rows.
 */
export async function lockSalesAndClaimKeys(
  tx: Tx,
  campaignId: string,
  claims: KeyClaim[],
  now: Date,
): Promise<Set<string>> {
  const rows = await tx.$queryRaw<Array<{ user_id: string; key: string }>>(
    claimKeysSql(campaignId, claims, now),
  );
  return new Set(rows.map((r) => `${r.user_id} ${r.key}`));
}

/** lockSalesAndClaimKeys on a pg client (the reservation batch's own transaction, see bookings.reserve.ts). */
export async function lockSalesAndClaimKeysOn(
  client: SqlClient,
  campaignId: string,
  claims: KeyClaim[],
  now: Date,
): Promise<Set<string>> {
  const { rows } = await runSql<{ user_id: string; key: string }>(
    client,
    claimKeysSql(campaignId, claims, now),
  );
  return new Set(rows.map((r) => `${r.user_id} ${r.key}`));
}

function claimKeysSql(campaignId: string, claims: KeyClaim[], now: Date): Prisma.Sql {
  return Prisma.sql`
    WITH sales_lock AS (SELECT pg_advisory_xact_lock(hashtext('bookings.sales'), hashtext(${campaignId})))
    INSERT INTO booking_idempotency_keys (user_id, key, request_hash, created_at)
    SELECT c.user_id, c.key, c.request_hash, ${now} FROM sales_lock,
      unnest(${claims.map((c) => c.userId)}::uuid[], ${claims.map((c) => c.key)}::text[], ${claims.map((c) => c.requestHash)}::text[])
        AS c(user_id, key, request_hash)
    -- Claims in one global order: two batches (of different campaigns, so not serialised by the
    -- sales lock) sharing keys then wait on each other one way only, never in a cycle.
    ORDER BY c.user_id, c.key
    ON CONFLICT (user_id, key) DO NOTHING
    RETURNING user_id::text, key`;
}

export interface StoredResponse {
  userId: string;
  key: string;
  requestHash: string;
  responseStatus: number | null;
  responseBody: unknown;
}

export async function findIdempotencyRecords(
  tx: Tx,
  pairs: Array<{ userId: string; key: string }>,
): Promise<StoredResponse[]> {
  if (!pairs.length) return [];
  return tx.$queryRaw<StoredResponse[]>`
    SELECT k.user_id::text AS "userId", k.key, k.request_hash AS "requestHash", k.response_status AS "responseStatus", k.response_body AS "responseBody"
    FROM booking_idempotency_keys k
    JOIN unnest(${pairs.map((p) => p.userId)}::uuid[], ${pairs.map((p) => p.key)}::text[]) AS p(user_id, key)
      ON k.user_id = p.user_id AND k.key = p.key`;
}

/** Forgets keys older than `cutoff`, at most `limit` per call. Returns how many went. */
export async function deleteIdempotencyKeysBefore(db: Client, cutoff: Date, limit: number): Promise<number> {
  return db.$executeRaw`DELETE FROM booking_idempotency_keys WHERE ctid IN (
    SELECT ctid FROM booking_idempotency_keys WHERE created_at < ${cutoff} LIMIT ${limit})`;
}

/** Tickets each customer holds or bought for the campaign (PENDING + CONFIRMED). Read under the sales lock. */
export async function ticketsHeldByCustomers(
  tx: Client,
  campaignId: string,
  userIds: string[],
  exceptBookingId?: string,
): Promise<Map<string, number>> {
  const rows = await tx.$queryRaw<Array<{ user_id: string; n: number }>>`
    SELECT b.user_id::text, SUM(i.quantity)::int AS n FROM bookings b JOIN booking_items i ON i.booking_id = b.id
    WHERE b.campaign_id = ${campaignId}::uuid AND b.user_id = ANY(${userIds}::uuid[]) AND b.status IN ('PENDING', 'CONFIRMED')
      AND b.id <> ${exceptBookingId ?? '00000000-0000-0000-0000-000000000000'}::uuid
    GROUP BY b.user_id`;
  return new Map(rows.map((r) => [r.user_id, r.n]));
}

// ---------------------------------------------------------------- bookings

export interface NewBooking {
  id: string;
  reference: string;
  userId: string;
  campaignId: string;
  sellerId: string;
  status: 'PENDING' | 'CONFIRMED';
  issuance: Issuance;
  currency: string;
  totalMinor: number;
  expiresAt: Date;
  confirmedAt: Date | null;
  /** The promo code applied (bookings.promo.ts writes its columns after the insert). */
  promo?: { promoCodeId: string; code: string; discountMinor: number };
  items: Array<Omit<BookingItemRecord, 'bookingId'>>;
  /** Seated items' seats (stored by bookings.seats.ts, not by insertBookings). */
  seats?: BookingSeat[];
}

export interface KeyResponse {
  userId: string;
  key: string;
  status: number;
  body: unknown;
  /** For a 201: the booking it announces; the response is stored only if that booking was inserted. */
  bookingId?: string;
}

/**
 * In ONE statement (every statement is a round trip on the hot path): inserts the bookings and
 * their items, and stores each key's response: a 201 only together with its booking, a refusal
 * as is. A booking whose reference clashes with an existing one (unique index; ON CONFLICT so
 * the transaction is not aborted) is left out, with its items and response: the caller retries
 * it with a new reference. Returns the ids inserted.
 */
export async function insertBookings(
  tx: Tx,
  bookings: NewBooking[],
  responses: KeyResponse[],
  now: Date,
): Promise<Set<string>> {
  const rows = await tx.$queryRaw<Array<{ id: string }>>`
    WITH ${bookingWriteCtes(bookings, responses, now, Prisma.sql`true`)}
    SELECT id::text FROM booking`;
  return new Set(rows.map((r) => r.id));
}

/**
 * insertBookings as the CTEs `booking`, `item`, `response` of a caller's single statement, each
 * writing only if `onlyIf` holds (a condition on the caller's other CTEs, e.g. that the stock
 * moved). `booking` RETURNs the ids inserted.
 */
function bookingWriteCtes(
  bookings: NewBooking[],
  responses: KeyResponse[],
  now: Date,
  onlyIf: Prisma.Sql,
): Prisma.Sql {
  const items = bookings.flatMap((b) => b.items.map((i) => ({ ...i, bookingId: b.id })));
  const json = (v: unknown) => JSON.stringify(v);
  return Prisma.sql`booking AS (
      INSERT INTO bookings (id, reference, user_id, campaign_id, seller_id, status, issuance, currency, total_minor,
        expires_at, confirmed_at, created_at, updated_at)
      SELECT b.id, b.reference, b.user_id, b.campaign_id, b.seller_id, b.status, b.issuance, b.currency, b.total_minor,
        b.expires_at, b.confirmed_at, ${now}, ${now}
      FROM unnest(${bookings.map((b) => b.id)}::uuid[], ${bookings.map((b) => b.reference)}::text[], ${bookings.map((b) => b.userId)}::uuid[],
        ${bookings.map((b) => b.campaignId)}::uuid[], ${bookings.map((b) => b.sellerId)}::uuid[], ${bookings.map((b) => b.status)}::text[],
        ${bookings.map((b) => b.issuance)}::text[], ${bookings.map((b) => b.currency)}::text[], ${bookings.map((b) => String(b.totalMinor))}::bigint[],
        ${bookings.map((b) => b.expiresAt.toISOString())}::timestamptz[], ${bookings.map((b) => b.confirmedAt?.toISOString() ?? null)}::timestamptz[])
        AS b(id, reference, user_id, campaign_id, seller_id, status, issuance, currency, total_minor, expires_at, confirmed_at)
      WHERE ${onlyIf}
      ON CONFLICT (reference) DO NOTHING
      RETURNING id
    ), item AS (
      INSERT INTO booking_items (id, booking_id, ticket_type_id, ticket_type_name, unit_price_minor, quantity, entries_per_ticket, line_total_minor)
      SELECT i.id, i.booking_id, i.ticket_type_id, i.name, i.price, i.quantity, i.entries, i.line_total
      FROM unnest(${items.map((i) => i.id)}::uuid[], ${items.map((i) => i.bookingId)}::uuid[], ${items.map((i) => i.ticketTypeId)}::uuid[],
        ${items.map((i) => i.ticketTypeName)}::text[], ${items.map((i) => i.unitPriceMinor)}::int[], ${items.map((i) => i.quantity)}::int[],
        ${items.map((i) => i.entriesPerTicket)}::int[], ${items.map((i) => String(i.lineTotalMinor))}::bigint[])
        AS i(id, booking_id, ticket_type_id, name, price, quantity, entries, line_total)
      JOIN booking ON booking.id = i.booking_id
    ), response AS (
      UPDATE booking_idempotency_keys k SET response_status = r.status, response_body = r.body
      FROM unnest(${responses.map((r) => r.userId)}::uuid[], ${responses.map((r) => r.key)}::text[], ${responses.map((r) => r.status)}::int[],
        ${responses.map((r) => json(r.body))}::jsonb[], ${responses.map((r) => r.bookingId ?? null)}::uuid[])
        AS r(user_id, key, status, body, booking_id)
      WHERE k.user_id = r.user_id AND k.key = r.key AND (r.booking_id IS NULL OR r.booking_id IN (SELECT id FROM booking))
        AND ${onlyIf}
    )`;
}

/** What a reservation batch reads after its claims (see readBatchOn). */
export interface BatchReads {
  /** Tickets each customer holds or bought for the campaign (ticketsHeldByCustomers). */
  held: Map<string, number>;
  /** The stored answers of the keys the batch did not win (findIdempotencyRecords). */
  stored: StoredResponse[];
  /** The campaigns module's sale value (its saleForBookingSql.read), as it came. */
  sale: unknown;
}

/**
 * ticketsHeldByCustomers + findIdempotencyRecords + the caller's sale read, in ONE statement on
 * the batch's pg client (a new snapshot after the claims, so it sees every batch that committed
 * before our sales lock was granted and the final answers of keys we waited on).
 */
export async function readBatchOn(
  client: SqlClient,
  campaignId: string,
  userIds: string[],
  used: Array<{ userId: string; key: string }>,
  sale: Prisma.Sql,
): Promise<BatchReads> {
  const { rows } = await runSql<{
    held: Array<{ userId: string; n: number }>;
    stored: StoredResponse[];
    sale: unknown;
  }>(
    client,
    Prisma.sql`SELECT
      (SELECT COALESCE(json_agg(h), '[]'::json) FROM (
        SELECT b.user_id::text AS "userId", SUM(i.quantity)::int AS n FROM bookings b JOIN booking_items i ON i.booking_id = b.id
        WHERE b.campaign_id = ${campaignId}::uuid AND b.user_id = ANY(${userIds}::uuid[]) AND b.status IN ('PENDING', 'CONFIRMED')
        GROUP BY b.user_id) h) AS held,
      (SELECT COALESCE(json_agg(s), '[]'::json) FROM (
        SELECT k.user_id::text AS "userId", k.key, k.request_hash AS "requestHash", k.response_status AS "responseStatus", k.response_body AS "responseBody"
        FROM booking_idempotency_keys k
        JOIN unnest(${used.map((p) => p.userId)}::uuid[], ${used.map((p) => p.key)}::text[]) AS p(user_id, key)
          ON k.user_id = p.user_id AND k.key = p.key) s) AS stored,
      ${sale} AS sale`,
  );
  const r = rows[0]!;
  return { held: new Map(r.held.map((h) => [h.userId, h.n])), stored: r.stored, sale: r.sale };
}

/**
 * A planned batch's writes in ONE statement on its pg client: the caller's stock move (`stock`,
 * a CTE RETURNING one row per ticket type that had room, see the campaigns module's
 * reserveStockCte), then, only if all `stockTypes` types moved, the bookings, items, key
 * responses (bookingWriteCtes) and the outbox rows (the caller's `outbox` CTE, given the same
 * condition). Returns whether the stock moved and how many bookings went in: anything short of
 * (true, bookings.length) must be rolled back by the caller (a reference clash or stock taken
 * meanwhile), since the other CTEs may have written.
 */
export async function writeBatchOn(
  client: SqlClient,
  parts: {
    stock: Prisma.Sql;
    stockTypes: number;
    bookings: NewBooking[];
    responses: KeyResponse[];
    outbox: (onlyIf: Prisma.Sql) => Prisma.Sql;
  },
  now: Date,
): Promise<{ stockMoved: boolean; inserted: number }> {
  const onlyIf = Prisma.sql`EXISTS (SELECT 1 FROM stock_ok)`;
  const { rows } = await runSql<{ stock_moved: boolean; inserted: number }>(
    client,
    Prisma.sql`WITH ${parts.stock},
      stock_ok AS (SELECT 1 FROM (SELECT count(*) AS n FROM stock) s WHERE s.n = ${parts.stockTypes}),
      ${bookingWriteCtes(parts.bookings, parts.responses, now, onlyIf)},
      ${parts.outbox(onlyIf)}
    SELECT EXISTS (SELECT 1 FROM stock_ok) AS stock_moved, (SELECT count(*)::int FROM booking) AS inserted`,
  );
  return { stockMoved: rows[0]!.stock_moved, inserted: rows[0]!.inserted };
}

export async function findBooking(db: Client, id: string): Promise<BookingRecord | null> {
  const row = await db.booking.findUnique({ where: { id }, include: { items: true } });
  return row ? toBooking(row) : null;
}

/**
 * A booking as BookingForIssue, as one JSON value (null when there is none) for a caller's single
 * read statement on the pg pool (the tickets worker's issuance, see bookingForIssueSql): lines in
 * ticket type order as findBooking sorts them, seats in booking order as seatsOfBookings reads them.
 */
export function bookingForIssueJson(bookingId: string): Prisma.Sql {
  return Prisma.sql`(SELECT json_build_object('id', b.id, 'reference', b.reference, 'userId', b.user_id,
      'campaignId', b.campaign_id, 'status', b.status, 'issuance', b.issuance,
      'items', COALESCE((SELECT json_agg(json_build_object('ticketTypeId', i.ticket_type_id,
          'quantity', i.quantity, 'entriesPerTicket', i.entries_per_ticket) ORDER BY i.ticket_type_id)
        FROM booking_items i WHERE i.booking_id = b.id), '[]'::json),
      'seats', COALESCE((SELECT json_agg(json_build_object('seatId', s.seat_id, 'ticketTypeId', s.ticket_type_id,
          'section', s.section, 'row', s."row", 'seat', s.seat) ORDER BY s.position)
        FROM booking_seats s WHERE s.booking_id = b.id), '[]'::json))
    FROM bookings b WHERE b.id = ${bookingId}::uuid)`;
}

/** Locks the booking row until the end of the transaction (serialises transitions on it). */
export async function lockBooking(tx: Tx, id: string): Promise<BookingRecord | null> {
  const rows = await tx.$queryRaw<
    Array<{ id: string }>
  >`SELECT id::text FROM bookings WHERE id = ${id}::uuid FOR UPDATE`;
  return rows.length ? findBooking(tx, id) : null;
}

export interface TransitionFields {
  paymentRef?: string | null;
  confirmedAt?: Date;
  expiredAt?: Date;
  cancelledAt?: Date;
  refundedAt?: Date;
  seatsChangedAt?: Date;
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

async function bookingsByIds(tx: Tx, ids: string[]): Promise<BookingRecord[]> {
  if (!ids.length) return [];
  const rows = await tx.booking.findMany({ where: { id: { in: ids } }, include: { items: true } });
  return rows.map(toBooking);
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
  return bookingsByIds(
    tx,
    moved.map((r) => r.id),
  );
}

/** Every PENDING booking of a campaign, locked in id order (waiting on rows others hold). */
export async function lockPendingOfCampaign(tx: Tx, campaignId: string): Promise<string[]> {
  const rows = await tx.$queryRaw<Array<{ id: string }>>`
    SELECT id::text FROM bookings WHERE campaign_id = ${campaignId}::uuid AND status = 'PENDING'
    ORDER BY id FOR UPDATE`;
  return rows.map((r) => r.id);
}

/** Guarded PENDING → CANCELLED (cause CAMPAIGN_CANCELLED) for a batch; returns the bookings this call moved. */
export async function cancelBookingsOfCampaign(tx: Tx, ids: string[], now: Date): Promise<BookingRecord[]> {
  if (!ids.length) return [];
  const moved = await tx.$queryRaw<Array<{ id: string }>>`
    UPDATE bookings SET status = 'CANCELLED', cancel_cause = 'CAMPAIGN_CANCELLED', cancelled_at = ${now}, updated_at = ${now}
    WHERE id = ANY(${ids}::uuid[]) AND status = 'PENDING' RETURNING id::text`;
  return bookingsByIds(
    tx,
    moved.map((r) => r.id),
  );
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
        ? {
            OR: [
              { createdAt: { lt: after.createdAt } },
              { createdAt: after.createdAt, id: { lt: after.id } },
            ],
          }
        : {}),
    },
    include: { items: true },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: limit,
  });
  return rows.map(toBooking);
}

export interface SalesStats {
  byTicketType: Array<{
    ticketTypeId: string;
    name: string;
    bookings: number;
    tickets: number;
    revenueMinor: number;
  }>;
  byDay: Array<{ day: string; bookings: number; tickets: number; revenueMinor: number }>;
  bookingsStarted: number;
}

/**
 * Confirmed sales of one campaign by ticket type and by day, net of promo discounts, plus every
 * booking started. Days are the campaign's own (`timeZone`, its IANA zone): a sale at 00:30 Lagos
 * time on 2 Dec counts on 2 Dec, as the seller lives it, though it is 23:30 UTC on 1 Dec.
 */
export async function campaignSalesStats(
  db: Client,
  campaignId: string,
  timeZone: string,
): Promise<SalesStats> {
  const byType = await db.$queryRaw<
    Array<{ ticket_type_id: string; name: string; bookings: bigint; tickets: bigint; revenue: bigint }>
  >`
    SELECT i.ticket_type_id::text, min(i.ticket_type_name) AS name, count(DISTINCT b.id) AS bookings,
           sum(i.quantity) AS tickets, sum(i.line_total_minor - i.discount_minor) AS revenue
    FROM bookings b JOIN booking_items i ON i.booking_id = b.id
    WHERE b.campaign_id = ${campaignId}::uuid AND b.status = 'CONFIRMED'
    GROUP BY i.ticket_type_id ORDER BY name`;
  const byDay = await db.$queryRaw<
    Array<{ day: string; bookings: bigint; tickets: bigint; revenue: bigint }>
  >`
    SELECT to_char(b.confirmed_at AT TIME ZONE ${timeZone}, 'YYYY-MM-DD') AS day,
           count(DISTINCT b.id) AS bookings, sum(i.quantity) AS tickets, sum(i.line_total_minor - i.discount_minor) AS revenue
    FROM bookings b JOIN booking_items i ON i.booking_id = b.id
    WHERE b.campaign_id = ${campaignId}::uuid AND b.status = 'CONFIRMED'
    GROUP BY 1 ORDER BY 1`;
  const started = await db.$queryRaw<
    Array<{ n: bigint }>
  >`SELECT count(*) AS n FROM bookings WHERE campaign_id = ${campaignId}::uuid`;
  return {
    byTicketType: byType.map((r) => ({
      ticketTypeId: r.ticket_type_id,
      name: r.name,
      bookings: Number(r.bookings),
      tickets: Number(r.tickets),
      revenueMinor: Number(r.revenue),
    })),
    byDay: byDay.map((r) => ({
      day: r.day,
      bookings: Number(r.bookings),
      tickets: Number(r.tickets),
      revenueMinor: Number(r.revenue),
    })),
    bookingsStarted: Number(started[0]?.n ?? 0),
  };
}

/** CONFIRMED bookings of a campaign in id order, after `afterId` (keyset pages for batch work). */
export async function listConfirmedByCampaign(
  db: Client,
  campaignId: string,
  limit: number,
  afterId?: string,
): Promise<BookingRecord[]> {
  const rows = await db.booking.findMany({
    where: { campaignId, status: 'CONFIRMED', ...(afterId ? { id: { gt: afterId } } : {}) },
    include: { items: true },
    orderBy: { id: 'asc' },
    take: limit,
  });
  return rows.map(toBooking);
}

/** Filters of a seller's order list; `userIds` narrows to those buyers (a name/email search). */
export interface CampaignBookingFilter {
  status?: BookingRecord['status'];
  reference?: string;
  userIds?: string[];
}

/** A page of a campaign's bookings, newest first, and how many match in all. */
export async function listCampaignBookings(
  db: Client,
  campaignId: string,
  filter: CampaignBookingFilter,
  page: { limit: number; offset: number },
): Promise<{ items: BookingRecord[]; total: number }> {
  const or = [
    ...(filter.reference ? [{ reference: { contains: filter.reference.toUpperCase() } }] : []),
    ...(filter.userIds ? [{ userId: { in: filter.userIds } }] : []),
  ];
  const where = {
    campaignId,
    ...(filter.status ? { status: filter.status } : {}),
    ...(filter.reference !== undefined || filter.userIds !== undefined
      ? { OR: or.length ? or : [{ id: { in: [] } }] }
      : {}),
  };
  return pageOfBookings(db, where, page);
}

/** The bookings matching `where`, newest first, one offset page of them, and how many match in all. */
export async function pageOfBookings(
  db: Client,
  where: Prisma.BookingWhereInput,
  page: { limit: number; offset: number },
): Promise<{ items: BookingRecord[]; total: number }> {
  const [rows, total] = await Promise.all([
    db.booking.findMany({
      where,
      include: { items: true },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: page.limit,
      skip: page.offset,
    }),
    db.booking.count({ where }),
  ]);
  return { items: rows.map(toBooking), total };
}

/** Guarded once-only extension of a PENDING hold still running at `now` (see bookings.holds.ts). */
export async function extendHold(
  db: Client,
  id: string,
  userId: string,
  until: Date,
  now: Date,
): Promise<boolean> {
  const n =
    await db.$executeRaw`UPDATE bookings SET expires_at = ${until}, hold_extended_at = ${now}, updated_at = ${now}
    WHERE id = ${id}::uuid AND user_id = ${userId}::uuid AND status = 'PENDING' AND hold_extended_at IS NULL
      AND expires_at > ${now}`;
  return n === 1;
}

/**
 * Marks up to `limit` unpaid holds that lapse before `until` as warned for their current expiry
 * and answers them. SKIP LOCKED: a hold being confirmed, cancelled or expired right now is left
 * for the next run (by then it is not PENDING, or it is warned then). A hold shorter than the
 * warning's lead is never warned (it would be told at once that it is ending).
 */
export async function claimExpiringHolds(
  tx: Tx,
  now: Date,
  leadMs: number,
  limit: number,
): Promise<
  Array<{
    id: string;
    reference: string;
    campaignId: string;
    userId: string;
    expiresAt: Date;
    ticketTypeIds: string[];
  }>
> {
  const until = new Date(now.getTime() + leadMs);
  return tx.$queryRaw`
    WITH due AS (
      SELECT id FROM bookings
      WHERE status = 'PENDING' AND expires_at > ${now} AND expires_at <= ${until}
        AND expires_at - created_at > ${leadMs} * interval '1 millisecond'
        AND expiry_warned_for IS DISTINCT FROM expires_at
      ORDER BY expires_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)
    UPDATE bookings b SET expiry_warned_for = b.expires_at FROM due WHERE b.id = due.id
    RETURNING b.id::text AS id, b.reference, b.campaign_id::text AS "campaignId", b.user_id::text AS "userId",
      b.expires_at AS "expiresAt",
      ARRAY(SELECT DISTINCT i.ticket_type_id::text FROM booking_items i WHERE i.booking_id = b.id) AS "ticketTypeIds"`;
}

/**
 * The distinct buyers of a campaign in user id order, after `afterUserId`: those holding a paid or
 * pending booking (`HOLDERS`), or, for a cancellation, also those whose booking it refunded or
 * cancelled (`CANCELLED`: by the time anyone reads this, the cancellation may have moved them).
 */
export async function listCampaignBuyerIds(
  db: Client,
  campaignId: string,
  audience: 'HOLDERS' | 'CANCELLED',
  limit: number,
  afterUserId?: string,
): Promise<string[]> {
  const statuses = audience === 'HOLDERS' ? ['CONFIRMED', 'PENDING'] : ['CONFIRMED', 'PENDING', 'REFUNDED'];
  const rows = await db.$queryRaw<Array<{ userId: string }>>`
    SELECT DISTINCT user_id::text AS "userId" FROM bookings
    WHERE campaign_id = ${campaignId}::uuid
      AND (status = ANY(${statuses}::text[]) OR (${audience} = 'CANCELLED' AND cancel_cause = 'CAMPAIGN_CANCELLED'))
      AND (${afterUserId ?? null}::uuid IS NULL OR user_id > ${afterUserId ?? null}::uuid)
    ORDER BY 1 LIMIT ${limit}`;
  return rows.map((r) => r.userId);
}
