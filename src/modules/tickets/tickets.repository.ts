import { Prisma, runSql, type Db, type SqlClient, type Tx } from '../../shared/db';
import { inboxCte } from '../../shared/messaging/inbox';
import { isUuid } from '../../shared/uuid';

/**
 * The only code that touches the tickets module's tables (ticket_signing_keys, tickets,
 * ticket_serial_counters). Returns plain objects; the service decides what they mean.
 * `Tx` is also satisfied by the root Prisma client, for reads outside a transaction.
 */

export type KeyStatus = 'ACTIVE' | 'ROTATED' | 'RETIRED';
export type TicketStatus = 'VALID' | 'REVOKED';
export type RevocationReason = 'CANCELLED' | 'REFUNDED' | 'REISSUED';

export interface SigningKeyRow {
  id: string;
  campaignId: string;
  keyId: number;
  publicKey: Uint8Array;
  privateKeyEncrypted: Uint8Array;
  status: KeyStatus;
  createdAt: Date;
  rotatedAt: Date | null;
  retiredAt: Date | null;
}

export interface TicketRow {
  id: string;
  bookingId: string;
  bookingPosition: number;
  /** The buyer (auth module's user id): the only person who may see or download the ticket. */
  userId: string;
  campaignId: string;
  ticketTypeId: string;
  serial: number;
  holderName: string;
  admits: number;
  maxScans: number;
  scanCount: number;
  status: TicketStatus;
  validFrom: Date;
  validUntil: Date;
  keyId: number;
  qrPayload: Uint8Array;
  fileKey: string | null;
  revokedAt: Date | null;
  revokedReason: RevocationReason | null;
  createdAt: Date;
}

/** Columns a TicketRow does not carry (the revocation number is read only by the revocation lists). */
const OMIT_INTERNAL = { revocationSeq: true } as const;

// Advisory lock classes (first argument of the two-int form), one per kind of object locked.
const LOCK_CAMPAIGN_KEYS = 7301;
const LOCK_BOOKING_ISSUANCE = 7302;

/** Serialises key creation and rotation for one campaign until the transaction ends. */
export async function lockCampaignKeys(tx: Tx, campaignId: string): Promise<void> {
  await tx.$queryRaw`SELECT pg_advisory_xact_lock(${LOCK_CAMPAIGN_KEYS}::int, hashtext(${campaignId}))::text AS locked`;
}

/*
 * The bookings whose exclusive issuance lock each open transaction already holds. A transaction
 * lock lasts until its transaction ends and `tx` is that transaction's own client object, so a
 * second request for the same lock in the same `tx` (the tickets worker's flow takes it before
 * reading the booking, then issuance takes it again) needs no round trip. Keyed weakly: an ended
 * transaction's entry goes with its client.
 */
const heldIssuanceLocks = new WeakMap<Tx, Set<string>>();

/** Serialises ticket issuance for one booking until the transaction ends (taken once per transaction). */
export async function lockBookingIssuance(tx: Tx, bookingId: string): Promise<void> {
  let held = heldIssuanceLocks.get(tx);
  if (held?.has(bookingId)) return;
  await tx.$queryRaw`SELECT pg_advisory_xact_lock(${LOCK_BOOKING_ISSUANCE}::int, hashtext(${bookingId}))::text AS locked`;
  // The root client (it has $transaction) runs each statement in a transaction of its own.
  if ('$transaction' in tx) return;
  if (!held) heldIssuanceLocks.set(tx, (held = new Set()));
  held.add(bookingId);
}

/** The same lock in shared mode: holders do not wait for each other, only for an exclusive holder. */
export async function lockBookingIssuanceShared(tx: Tx, bookingId: string): Promise<void> {
  await tx.$queryRaw`SELECT pg_advisory_xact_lock_shared(${LOCK_BOOKING_ISSUANCE}::int, hashtext(${bookingId}))::text AS locked`;
}

export async function findActiveKey(db: Tx, campaignId: string): Promise<SigningKeyRow | null> {
  return (await db.ticketSigningKey.findFirst({
    where: { campaignId, status: 'ACTIVE' },
  })) as SigningKeyRow | null;
}

export async function findKey(db: Tx, campaignId: string, keyId: number): Promise<SigningKeyRow | null> {
  return (await db.ticketSigningKey.findUnique({
    where: { campaignId_keyId: { campaignId, keyId } },
  })) as SigningKeyRow | null;
}

export async function maxKeyId(tx: Tx, campaignId: string): Promise<number> {
  const r = await tx.ticketSigningKey.aggregate({ where: { campaignId }, _max: { keyId: true } });
  return r._max.keyId ?? 0;
}

export async function insertKey(tx: Tx, row: Omit<SigningKeyRow, 'rotatedAt' | 'retiredAt'>): Promise<void> {
  await tx.ticketSigningKey.create({
    data: {
      ...row,
      publicKey: Buffer.from(row.publicKey),
      privateKeyEncrypted: Buffer.from(row.privateKeyEncrypted),
    },
  });
}

/** ACTIVE → ROTATED; returns false when the key was not ACTIVE. */
export async function markKeyRotated(tx: Tx, id: string, at: Date): Promise<boolean> {
  const r = await tx.ticketSigningKey.updateMany({
    where: { id, status: 'ACTIVE' },
    data: { status: 'ROTATED', rotatedAt: at },
  });
  return r.count === 1;
}

/** ROTATED → RETIRED; returns false when the key was not ROTATED. */
export async function markKeyRetired(tx: Tx, campaignId: string, keyId: number, at: Date): Promise<boolean> {
  const r = await tx.ticketSigningKey.updateMany({
    where: { campaignId, keyId, status: 'ROTATED' },
    data: { status: 'RETIRED', retiredAt: at },
  });
  return r.count === 1;
}

export async function listKeys(db: Tx, campaignId: string, statuses: KeyStatus[]): Promise<SigningKeyRow[]> {
  return (await db.ticketSigningKey.findMany({
    where: { campaignId, status: { in: statuses } },
    orderBy: { keyId: 'asc' },
  })) as SigningKeyRow[];
}

export async function listTicketsByBooking(db: Tx, bookingId: string): Promise<TicketRow[]> {
  return (await db.ticket.findMany({
    where: { bookingId },
    omit: OMIT_INTERNAL,
    orderBy: { bookingPosition: 'asc' },
  })) as TicketRow[];
}

/** The campaign of a booking's tickets, or null when it has none yet: the cheap "issued already?" check. */
export async function findBookingTicketsCampaign(db: Tx, bookingId: string): Promise<string | null> {
  const rows = await db.$queryRaw<Array<{ campaign_id: string }>>`
    SELECT campaign_id::text AS campaign_id FROM tickets WHERE booking_id = ${bookingId}::uuid LIMIT 1`;
  return rows[0]?.campaign_id ?? null;
}

export async function findTicket(db: Tx, id: string): Promise<TicketRow | null> {
  return (await db.ticket.findUnique({ where: { id }, omit: OMIT_INTERNAL })) as TicketRow | null;
}

/**
 * A user's tickets, newest booking first and a booking's tickets in order, `take` at a time.
 * `afterId` is the last ticket of the previous page: Prisma's cursor compares every orderBy
 * column with that row's values, so mixed directions page correctly. The cursor row must be
 * the user's own (checked here), or a page could start from a stranger's position.
 */
export async function listTicketsByUser(
  db: Tx,
  userId: string,
  take: number,
  afterId?: string,
): Promise<TicketRow[]> {
  if (afterId) {
    const owner = await db.ticket.findUnique({ where: { id: afterId }, select: { userId: true } });
    if (owner?.userId !== userId) return [];
  }
  return (await db.ticket.findMany({
    where: { userId },
    omit: OMIT_INTERNAL,
    orderBy: [{ createdAt: 'desc' }, { bookingId: 'asc' }, { bookingPosition: 'asc' }],
    take,
    ...(afterId ? { cursor: { id: afterId }, skip: 1 } : {}),
  })) as TicketRow[];
}

/**
 * Reserves `count` consecutive serials for a campaign and returns the first. The upsert's row
 * lock is held until the caller's transaction ends: a concurrent issuer for the same campaign
 * waits here, then continues from our last serial, so serials never repeat; a rolled-back
 * issuer releases its serials with its transaction, so there are no gaps either.
 */
export async function allocateSerials(
  tx: Tx,
  campaignId: string,
  count: number,
): Promise<{ firstSerial: number; activeKeyId: number | null }> {
  // The campaign's ACTIVE key id rides on the same statement (one round trip less per issuance).
  const rows = await tx.$queryRaw<Array<{ last_serial: number; active_key_id: number | null }>>`
    INSERT INTO ticket_serial_counters (campaign_id, last_serial) VALUES (${campaignId}::uuid, ${count})
    ON CONFLICT (campaign_id) DO UPDATE SET last_serial = ticket_serial_counters.last_serial + EXCLUDED.last_serial
    RETURNING last_serial, (SELECT key_id FROM ticket_signing_keys
      WHERE campaign_id = ${campaignId}::uuid AND status = 'ACTIVE') AS active_key_id`;
  const last = rows[0]?.last_serial;
  if (last === undefined) throw new Error('serial allocation returned no row');
  return { firstSerial: last - count + 1, activeKeyId: rows[0]!.active_key_id };
}

/** A new ticket row as the issuance writes it (its serial comes from the campaign's counter). */
export type NewTicketRow = Omit<
  TicketRow,
  'serial' | 'scanCount' | 'status' | 'fileKey' | 'revokedAt' | 'revokedReason'
>;

/** The rows as `unnest(...) AS t(...)`, for one multi-row INSERT ... SELECT. */
function newTicketsUnnest(rows: NewTicketRow[]): Prisma.Sql {
  const col = <K extends keyof NewTicketRow>(k: K) => rows.map((r) => r[k]);
  return Prisma.sql`unnest(${col('id')}::uuid[], ${col('bookingId')}::uuid[], ${col('bookingPosition')}::int[],
      ${col('userId')}::uuid[], ${col('campaignId')}::uuid[], ${col('ticketTypeId')}::uuid[],
      ${col('holderName')}::text[], ${col('admits')}::int[],
      ${col('maxScans')}::int[], ${col('validFrom')}::timestamptz[], ${col('validUntil')}::timestamptz[],
      ${col('keyId')}::int[], ${rows.map((r) => Buffer.from(r.qrPayload))}::bytea[],
      ${col('createdAt')}::timestamptz[])
      AS t(id, booking_id, booking_position, user_id, campaign_id, ticket_type_id, holder_name,
        admits, max_scans, valid_from, valid_until, key_id, qr_payload, created_at)`;
}

const INSERT_TICKETS = Prisma.sql`INSERT INTO tickets (id, booking_id, booking_position, user_id, campaign_id,
      ticket_type_id, serial, holder_name, admits, max_scans, valid_from, valid_until, key_id, qr_payload,
      file_key, created_at)`;

/**
 * One multi-row INSERT (plain SQL: a model createMany is compiled by the Prisma client per call),
 * with serials firstSerial, firstSerial + 1, ... in booking position order (positions 1..n).
 */
export async function insertTickets(
  tx: Tx,
  rows: NewTicketRow[],
  firstSerial: number,
  fileKey: string | null = null,
): Promise<void> {
  await tx.$executeRaw`${INSERT_TICKETS}
    SELECT id, booking_id, booking_position, user_id, campaign_id, ticket_type_id,
      ${firstSerial - 1}::int + booking_position, holder_name, admits, max_scans, valid_from, valid_until,
      key_id, qr_payload, ${fileKey}, created_at
    FROM ${newTicketsUnnest(rows)}`;
}

/**
 * The campaign's next serials and the booking's tickets in ONE statement on the caller's pg
 * client (the tickets worker's issuance, see prepareIssue): allocateSerials' counter upsert as a
 * CTE, then the rows (positions 1..n, unfiled) numbered from what it returned. The counter row
 * stays locked until the caller's transaction ends, as with allocateSerials, so serials never
 * repeat and a rolled-back issuance leaves no gap. Returns the first serial.
 */
export async function insertTicketsWithSerialsOn(
  client: SqlClient,
  campaignId: string,
  rows: NewTicketRow[],
): Promise<number> {
  const { rows: out } = await runSql<{ first_serial: number; n: number }>(
    client,
    Prisma.sql`WITH counter AS (
      INSERT INTO ticket_serial_counters (campaign_id, last_serial) VALUES (${campaignId}::uuid, ${rows.length}::int)
      ON CONFLICT (campaign_id) DO UPDATE SET last_serial = ticket_serial_counters.last_serial + EXCLUDED.last_serial
      RETURNING last_serial - ${rows.length}::int AS before
    ), inserted AS (${INSERT_TICKETS}
      SELECT t.id, t.booking_id, t.booking_position, t.user_id, t.campaign_id, t.ticket_type_id,
        counter.before + t.booking_position, t.holder_name, t.admits, t.max_scans, t.valid_from, t.valid_until,
        t.key_id, t.qr_payload, NULL, t.created_at
      FROM counter, ${newTicketsUnnest(rows)}
      RETURNING 1)
    SELECT (SELECT before + 1 FROM counter)::int AS first_serial, (SELECT count(*) FROM inserted)::int AS n`,
  );
  const first = out[0]?.first_serial;
  if (first == null || out[0]!.n !== rows.length)
    throw new Error('serial allocation or ticket insert failed');
  return first;
}

/**
 * BEGIN and the booking's issuance lock (lockBookingIssuance) in one round trip on the caller's
 * pg client: a simple-protocol query of two statements, so the id is written into the text; it
 * is checked to be a uuid first, the only value that goes in.
 */
export async function beginWithIssuanceLockOn(client: SqlClient, bookingId: string): Promise<void> {
  if (!isUuid(bookingId)) throw new Error(`not a booking id: ${bookingId}`);
  await client.query(
    `BEGIN; SELECT pg_advisory_xact_lock(${LOCK_BOOKING_ISSUANCE}::int, hashtext('${bookingId}'))::text AS locked`,
  );
}

/** What the issuance read of the tickets worker's pg path returns (see readIssuanceOn). */
export interface IssuanceReads {
  /** The campaign of the booking's tickets, or null when it has none yet. */
  issuedFor: string | null;
  /** The campaign's ACTIVE key id, or null when it has none. */
  activeKeyId: number | null;
  /** The callers' parts, as they came. */
  parts: Record<string, unknown>;
}

/**
 * findBookingTicketsCampaign + the campaign's ACTIVE key id + the caller's `parts` (other modules'
 * JSON-valued reads, each named) in ONE statement on the caller's pg client: one snapshot, taken
 * after the issuance lock when the caller holds it.
 */
export async function readIssuanceOn(
  client: SqlClient,
  bookingId: string,
  campaignId: string,
  parts: Record<string, Prisma.Sql>,
): Promise<IssuanceReads> {
  const named = Object.entries(parts).map(([name, sql]) => {
    if (!/^[a-z_]{1,30}$/.test(name)) throw new Error(`bad part name ${name}`);
    return Prisma.sql`${sql} AS ${Prisma.raw(name)}`;
  });
  const { rows } = await runSql<Record<string, unknown>>(
    client,
    Prisma.sql`SELECT
      (SELECT campaign_id::text FROM tickets WHERE booking_id = ${bookingId}::uuid LIMIT 1) AS issued_for,
      (SELECT key_id FROM ticket_signing_keys WHERE campaign_id = ${campaignId}::uuid AND status = 'ACTIVE') AS active_key_id,
      ${Prisma.join(named)}`,
  );
  const { issued_for, active_key_id, ...rest } = rows[0]!;
  return {
    issuedFor: (issued_for as string | null) ?? null,
    activeKeyId: (active_key_id as number | null) ?? null,
    parts: rest,
  };
}

/**
 * The tickets worker's second step in ONE statement on the caller's pg client: the consumer's
 * inbox row (inboxCte), then, only if it went in, fileBookingTickets' guarded
 * transition, then, only if that changed rows, the caller's outbox CTE (given the condition).
 * Returns whether the inbox row went in and how many tickets were filed. The caller stores the
 * file before its commit when filed > 0 and rolls back otherwise.
 */
export async function fileBookingTicketsOn(
  client: SqlClient,
  parts: {
    consumer: string;
    eventId: string;
    bookingId: string;
    fileKey: string;
    outbox: (onlyIf: Prisma.Sql) => Prisma.Sql;
  },
): Promise<{ inboxed: boolean; filed: number }> {
  const { rows } = await runSql<{ inboxed: number; filed: number }>(
    client,
    Prisma.sql`WITH ${inboxCte('inbox', parts.consumer, parts.eventId)}, filed AS (
      UPDATE tickets SET file_key = ${parts.fileKey}
      WHERE booking_id = ${parts.bookingId}::uuid AND file_key IS NULL AND status = 'VALID'
        AND EXISTS (SELECT 1 FROM inbox)
      RETURNING 1
    ), ${parts.outbox(Prisma.sql`EXISTS (SELECT 1 FROM filed)`)}
    SELECT (SELECT count(*) FROM inbox)::int AS inboxed, (SELECT count(*) FROM filed)::int AS filed`,
  );
  return { inboxed: rows[0]!.inboxed > 0, filed: rows[0]!.filed };
}

/**
 * Records the booking's PDF key on its tickets while none is recorded and every one is VALID;
 * returns how many rows it changed (0: filed already, or revoked). The UPDATE's row locks order
 * it against revokeBookingTickets (which locks the VALID rows FOR UPDATE): whichever comes second
 * sees the first one's commit, so a revoked ticket is never filed and a filed one is revoked
 * with its file deleted.
 */
export async function fileBookingTickets(tx: Tx, bookingId: string, fileKey: string): Promise<number> {
  return tx.$executeRaw`
    UPDATE tickets SET file_key = ${fileKey}
    WHERE booking_id = ${bookingId}::uuid AND file_key IS NULL AND status = 'VALID'`;
}

export async function setBookingFileKey(tx: Tx, bookingId: string, fileKey: string): Promise<void> {
  await tx.ticket.updateMany({ where: { bookingId }, data: { fileKey } });
}

/**
 * VALID → REVOKED for a booking's tickets; returns only the tickets this call revoked, each with
 * its revocation sequence number. The caller holds the booking's issuance lock, so the set of
 * VALID tickets read first is the set the UPDATE then revokes (FOR UPDATE keeps gate entries,
 * the only other writers of these rows, from slipping between the two).
 *
 * Sequence numbers come from the campaign's counter row, updated here and so locked until the
 * caller's transaction ends: revocations of one campaign are numbered in commit order, and a
 * device that has seen seq N has seen every lower one (see the migration). What breaks if the
 * lock were not held to commit: a device could sync N+1 before N commits and never ask for N.
 */
export async function revokeBookingTickets(
  tx: Tx,
  bookingId: string,
  reason: RevocationReason,
  at: Date,
): Promise<Array<{ id: string; campaignId: string; serial: number; seq: number }>> {
  // Locked in id order, the order a gate's grouped scan statement locks tickets in (two orders
  // would let a refund and a scan of the same booking's tickets deadlock); numbered in booking order.
  const locked = await tx.$queryRaw<Array<{ id: string; campaign_id: string; position: number }>>`
    SELECT id::text AS id, campaign_id::text AS campaign_id, booking_position AS position FROM tickets
    WHERE booking_id = ${bookingId}::uuid AND status = 'VALID'
    ORDER BY id FOR UPDATE`;
  if (!locked.length) return [];
  const targets = locked.sort((a, b) => a.position - b.position);
  const campaignId = targets[0]!.campaign_id;
  const counter = await tx.$queryRaw<Array<{ last_seq: bigint }>>`
    INSERT INTO ticket_revocation_counters (campaign_id, last_seq) VALUES (${campaignId}::uuid, ${targets.length})
    ON CONFLICT (campaign_id) DO UPDATE SET last_seq = ticket_revocation_counters.last_seq + EXCLUDED.last_seq
    RETURNING last_seq`;
  const first = Number(counter[0]!.last_seq) - targets.length + 1;
  const ids = targets.map((t) => t.id);
  const seqs = targets.map((_, i) => first + i);
  return tx.$queryRaw`
    UPDATE tickets t SET status = 'REVOKED', revoked_at = ${at}, revoked_reason = ${reason}, revocation_seq = v.seq
    FROM unnest(${ids}::uuid[], ${seqs}::bigint[]) AS v(id, seq)
    WHERE t.id = v.id AND t.status = 'VALID'
    RETURNING t.id::text AS id, t.campaign_id::text AS "campaignId", t.serial, t.revocation_seq::int AS seq`;
}

export interface RevokedTicket {
  /** Per-campaign revocation sequence number: devices sync with `after=<seq>`. */
  seq: number;
  ticketId: string;
  serial: number;
  revokedAt: Date;
  reason: RevocationReason;
}

export async function listRevokedTickets(db: Tx, campaignId: string): Promise<RevokedTicket[]> {
  const rows = await db.ticket.findMany({
    where: { campaignId, status: 'REVOKED' },
    select: { id: true, serial: true, revokedAt: true, revokedReason: true, revocationSeq: true },
    orderBy: [{ revokedAt: 'asc' }, { id: 'asc' }],
  });
  return rows.map((r) => ({
    seq: Number(r.revocationSeq),
    ticketId: r.id,
    serial: r.serial,
    revokedAt: r.revokedAt!,
    reason: r.revokedReason as RevocationReason,
  }));
}

/** A guarded counter move's result: the counter after it, and what a gate shows of the ticket. */
export interface CounterMove {
  scanCount: number;
  maxScans: number;
  serial: number;
  holderName: string;
}

/** A campaign's revocations numbered above `after`, in number order, at most `limit`. */
export async function listRevocationsAfter(
  db: Tx,
  campaignId: string,
  after: number,
  limit: number,
): Promise<RevokedTicket[]> {
  const rows = await db.ticket.findMany({
    where: { campaignId, revocationSeq: { gt: after } },
    select: { id: true, serial: true, revokedAt: true, revokedReason: true, revocationSeq: true },
    orderBy: { revocationSeq: 'asc' },
    take: limit,
  });
  return rows.map((r) => ({
    seq: Number(r.revocationSeq),
    ticketId: r.id,
    serial: r.serial,
    revokedAt: r.revokedAt!,
    reason: r.revokedReason as RevocationReason,
  }));
}

export type CounterDirection = 'entry' | 'exit';

/**
 * The guarded counter move, one conditional UPDATE:
 *   entry: `scan_count + 1` only while the ticket is VALID and below its limit, so two gates
 *          scanning the same ticket at once can never admit more than max_scans people (the
 *          row lock orders them; the loser re-checks the guard on the committed row);
 *   exit:  `scan_count - 1` while the ticket is VALID and someone is inside on it, ordered
 *          against entries by the same row lock.
 * A revocation (status VALID → REVOKED) takes the same row lock, so a scan racing a refund is
 * decided on one side of it. Returns what a gate shows of the ticket.
 */
function counterMove(ticketId: string, direction: CounterDirection): Prisma.Sql {
  const step = direction === 'entry' ? Prisma.sql`scan_count + 1` : Prisma.sql`scan_count - 1`;
  const room = direction === 'entry' ? Prisma.sql`scan_count < max_scans` : Prisma.sql`scan_count > 0`;
  return Prisma.sql`
    UPDATE tickets SET scan_count = ${step}
    WHERE id = ${ticketId}::uuid AND status = 'VALID' AND ${room}
    RETURNING scan_count, max_scans, serial, holder_name`;
}

type CounterRow = { scan_count: number; max_scans: number; serial: number; holder_name: string };

/** A counter move's RETURNING row as a CounterMove. */
export function toCounterMove(r: CounterRow): CounterMove {
  return { scanCount: r.scan_count, maxScans: r.max_scans, serial: r.serial, holderName: r.holder_name };
}

async function moveCounter(
  tx: Tx,
  ticketId: string,
  direction: CounterDirection,
): Promise<CounterMove | null> {
  const r = (await tx.$queryRaw<CounterRow[]>(counterMove(ticketId, direction)))[0];
  return r ? toCounterMove(r) : null;
}

/** One entry through the gate, in the caller's transaction (see counterMove). */
export function incrementScanCount(tx: Tx, ticketId: string): Promise<CounterMove | null> {
  return moveCounter(tx, ticketId, 'entry');
}

/** One exit through the gate, in the caller's transaction (see counterMove). */
export function decrementScanCount(tx: Tx, ticketId: string): Promise<CounterMove | null> {
  return moveCounter(tx, ticketId, 'exit');
}

/**
 * Many counter moves (of DIFFERENT tickets) as common table expressions of a caller's single
 * statement, one fixed text whatever their number (so PostgreSQL parses and plans it once per
 * connection as a prepared statement). `source` names the caller's CTE with one row per move:
 * `key` (the caller's, handed back), `ticket_id uuid`, `direction` ('entry' or 'exit'). The
 * rows of `<name>` are the moves that happened (each the guarded move of counterMove: VALID and
 * room left for an entry, someone inside for an exit): `key, scan_count, max_scans, serial,
 * holder_name`; a move that did not happen has no row.
 *
 * Lock order: `<name>_lock` locks the tickets in ticket id order (LockRows above the sort) before
 * the UPDATE moves any of them, so two such statements never wait on each other in a cycle. It
 * takes the UPDATE's own lock strength (FOR NO KEY UPDATE), so it waits for exactly what the
 * UPDATE would wait for; the UPDATE then re-checks its guard on the row as last committed
 * (READ COMMITTED re-evaluation after a wait), as the one-ticket move does. A single statement
 * is atomic, so if any later part of it fails (a unique violation), every move is undone with it.
 */
export function counterMovesCte(name: string, source: string): Prisma.Sql {
  for (const id of [name, source]) if (!/^[a-z_]{1,30}$/.test(id)) throw new Error(`bad CTE name ${id}`);
  const [lock, moves, from] = [`${name}_lock`, name, source].map(Prisma.raw) as [
    Prisma.Sql,
    Prisma.Sql,
    Prisma.Sql,
  ];
  return Prisma.sql`${lock} AS MATERIALIZED (
      SELECT id FROM tickets WHERE id IN (SELECT ticket_id FROM ${from}) ORDER BY id FOR NO KEY UPDATE),
    ${moves} AS (
      UPDATE tickets t SET scan_count = t.scan_count + CASE WHEN q.direction = 'entry' THEN 1 ELSE -1 END
      FROM (SELECT s.* FROM ${from} s JOIN ${lock} l ON l.id = s.ticket_id) AS q
      WHERE t.id = q.ticket_id AND t.status = 'VALID'
        AND CASE WHEN q.direction = 'entry' THEN t.scan_count < t.max_scans ELSE t.scan_count > 0 END
      RETURNING q.key, t.scan_count, t.max_scans, t.serial, t.holder_name)`;
}

/** Gate entries of a campaign: total entries recorded and tickets used at least once. */
export async function campaignCheckIns(
  db: Db | Tx,
  campaignId: string,
): Promise<{ checkIns: number; ticketsCheckedIn: number }> {
  const rows = await db.$queryRaw<Array<{ entries: bigint | null; used: bigint }>>`
    SELECT sum(scan_count) AS entries, count(*) FILTER (WHERE scan_count > 0) AS used
    FROM tickets WHERE campaign_id = ${campaignId}::uuid`;
  return { checkIns: Number(rows[0]?.entries ?? 0), ticketsCheckedIn: Number(rows[0]?.used ?? 0) };
}
