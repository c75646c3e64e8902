import { Prisma, runSql, type Db, type SqlPool, type Tx } from '../../shared/db';
import type { DomainEvent } from '../../shared/messaging/events';
import { outboxRowsForCte } from '../../shared/outbox';

/** A SHA-256 hash of a device secret or setup token. */
type Hash = Uint8Array<ArrayBuffer>;

/**
 * The only code that touches the validation module's tables (validation_gates,
 * validation_devices, validation_scans). Returns plain objects. `Tx` is also satisfied by the
 * root Prisma client, for reads outside a transaction.
 */

export type ScanType = 'entry' | 'exit';
export type ScanResult = 'ok' | 'refused';

export interface GateRow {
  id: string;
  campaignId: string;
  name: string;
  createdAt: Date;
}

export interface DeviceRow {
  id: string;
  campaignId: string;
  gateId: string | null;
  name: string;
  enrolExpiresAt: Date | null;
  enrolledAt: Date | null;
  lastSeenAt: Date | null;
  lastSyncAt: Date | null;
  revokedAt: Date | null;
  createdBy: string;
  createdAt: Date;
  /** True while an unused setup link exists. */
  enrolPending: boolean;
  /** True once the device has a secret (it was enrolled). */
  hasToken: boolean;
}

export interface ScanRow {
  id: string;
  scanId: string;
  campaignId: string | null;
  ticketId: string | null;
  ticketTypeId: string | null;
  deviceId: string | null;
  userId: string | null;
  gateId: string | null;
  type: ScanType;
  scannedAt: Date;
  receivedAt: Date;
  offline: boolean;
  deviceResult: ScanResult | null;
  deviceReason: string | null;
  result: ScanResult;
  reason: string | null;
  counted: boolean;
  conflict: boolean;
  answer: Record<string, unknown>;
}

const deviceSelect = {
  id: true,
  campaignId: true,
  gateId: true,
  name: true,
  enrolExpiresAt: true,
  enrolledAt: true,
  lastSeenAt: true,
  lastSyncAt: true,
  revokedAt: true,
  createdBy: true,
  createdAt: true,
  enrolTokenHash: true,
  tokenHash: true,
} as const;

function toDevice(r: {
  enrolTokenHash: Uint8Array | null;
  tokenHash: Uint8Array | null;
  [k: string]: unknown;
}): DeviceRow {
  const { enrolTokenHash, tokenHash, ...rest } = r;
  return {
    ...(rest as Omit<DeviceRow, 'enrolPending' | 'hasToken'>),
    enrolPending: !!enrolTokenHash,
    hasToken: !!tokenHash,
  };
}

// ---------------------------------------------------------------- gates

export async function insertGate(db: Tx, row: GateRow): Promise<void> {
  await db.validationGate.create({ data: row });
}

export async function listGates(db: Tx, campaignId: string): Promise<GateRow[]> {
  return db.validationGate.findMany({
    where: { campaignId },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
}

export async function findGate(db: Tx, id: string): Promise<GateRow | null> {
  return db.validationGate.findUnique({ where: { id } });
}

// ---------------------------------------------------------------- devices

export async function insertDevice(
  db: Tx,
  row: {
    id: string;
    campaignId: string;
    gateId: string | null;
    name: string;
    enrolTokenHash: Hash;
    enrolExpiresAt: Date;
    createdBy: string;
    createdAt: Date;
  },
): Promise<void> {
  await db.validationDevice.create({ data: row });
}

export async function findDevice(db: Tx, id: string): Promise<DeviceRow | null> {
  const r = await db.validationDevice.findUnique({ where: { id }, select: deviceSelect });
  return r ? toDevice(r) : null;
}

/**
 * The device a secret's hash belongs to. Runs on every scan, so it is one plain SQL statement:
 * the Prisma query builder compiles a model query on each call, which costs several times the
 * lookup itself.
 */
export async function findDeviceByTokenHash(db: Tx, tokenHash: Hash): Promise<DeviceRow | null> {
  const rows = await db.$queryRaw<
    Array<Omit<DeviceRow, 'enrolPending' | 'hasToken'> & { enrol_pending: boolean }>
  >`
    SELECT id::text AS "id", campaign_id::text AS "campaignId", gate_id::text AS "gateId", name,
      enrol_expires_at AS "enrolExpiresAt", enrolled_at AS "enrolledAt", last_seen_at AS "lastSeenAt",
      last_sync_at AS "lastSyncAt", revoked_at AS "revokedAt", created_by::text AS "createdBy",
      created_at AS "createdAt", enrol_token_hash IS NOT NULL AS enrol_pending
    FROM validation_devices WHERE token_hash = ${tokenHash}`;
  const r = rows[0];
  if (!r) return null;
  const { enrol_pending: enrolPending, ...rest } = r;
  return { ...rest, enrolPending, hasToken: true };
}

export async function listDevices(db: Tx, campaignId: string): Promise<DeviceRow[]> {
  const rows = await db.validationDevice.findMany({
    where: { campaignId },
    select: deviceSelect,
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
  return rows.map(toDevice);
}

/** A new single-use setup link for a device that is not revoked (the old link stops working). */
export async function setEnrolToken(db: Tx, id: string, hash: Hash, expiresAt: Date): Promise<boolean> {
  const r = await db.validationDevice.updateMany({
    where: { id, revokedAt: null },
    data: { enrolTokenHash: hash, enrolExpiresAt: expiresAt },
  });
  return r.count === 1;
}

/**
 * Uses a setup link once: the guarded UPDATE clears the link and sets the device's secret in
 * one statement, so two phones opening the same link at once cannot both become the device
 * (the second finds no row). Expired links and revoked devices match nothing.
 */
export async function consumeEnrolToken(
  db: Tx,
  enrolHash: Hash,
  tokenHash: Hash,
  at: Date,
): Promise<DeviceRow | null> {
  const rows = await db.$queryRaw<Array<{ id: string }>>`
    UPDATE validation_devices
    SET enrol_token_hash = NULL, enrol_expires_at = NULL, token_hash = ${tokenHash}, enrolled_at = ${at}, last_seen_at = ${at}
    WHERE enrol_token_hash = ${enrolHash} AND enrol_expires_at > ${at} AND revoked_at IS NULL
    RETURNING id::text AS id`;
  const id = rows[0]?.id;
  return id ? findDevice(db, id) : null;
}

export async function updateDevice(
  db: Tx,
  id: string,
  data: { name?: string; gateId?: string | null },
): Promise<boolean> {
  const r = await db.validationDevice.updateMany({ where: { id, revokedAt: null }, data });
  return r.count === 1;
}

/**
 * Revokes a device and drops any setup link. The secret's hash stays, so the device is told
 * DEVICE_REVOKED (not "unknown") and its page can say so; revoked_at refuses it on every lookup.
 */
export async function revokeDevice(db: Tx, id: string, at: Date): Promise<boolean> {
  const r = await db.validationDevice.updateMany({
    where: { id, revokedAt: null },
    data: { revokedAt: at, enrolTokenHash: null, enrolExpiresAt: null },
  });
  return r.count === 1;
}

/** Marks the device seen; skipped when it was seen within `throttleMs` (one write per device per interval, not per scan). */
export async function touchDevice(db: Tx, id: string, at: Date, throttleMs: number): Promise<void> {
  const before = new Date(at.getTime() - throttleMs);
  await db.$executeRaw`
    UPDATE validation_devices SET last_seen_at = ${at}
    WHERE id = ${id}::uuid AND (last_seen_at IS NULL OR last_seen_at < ${before})`;
}

export async function markDeviceSynced(db: Tx, id: string, at: Date): Promise<void> {
  await db.validationDevice.updateMany({ where: { id }, data: { lastSyncAt: at, lastSeenAt: at } });
}

// ---------------------------------------------------------------- scans

/**
 * Stores a decided scan, or nothing when its scan id is already stored (returns false). A
 * concurrent insert of the same id makes this wait on the unique index until that transaction
 * ends, then conflict (it committed) or insert (it rolled back).
 */
export async function insertScan(
  tx: Tx,
  row: Omit<ScanRow, 'answer'> & { answer: Record<string, unknown> },
): Promise<boolean> {
  const n = await tx.$executeRaw`
    INSERT INTO validation_scans (id, scan_id, campaign_id, ticket_id, ticket_type_id, device_id, user_id, gate_id, type,
      scanned_at, received_at, offline, device_result, device_reason, result, reason, counted, conflict, answer)
    VALUES (${row.id}::uuid, ${row.scanId}::uuid, ${row.campaignId}::uuid, ${row.ticketId}::uuid, ${row.ticketTypeId}::uuid,
      ${row.deviceId}::uuid, ${row.userId}::uuid, ${row.gateId}::uuid, ${row.type}, ${row.scannedAt}, ${row.receivedAt},
      ${row.offline}, ${row.deviceResult}, ${row.deviceReason}, ${row.result}, ${row.reason}, ${row.counted}, ${row.conflict},
      ${JSON.stringify(row.answer)}::jsonb)
    ON CONFLICT (scan_id) DO NOTHING`;
  return n === 1;
}

/** What countScanAtOnce writes: a counted scan, its answer and its event, if the counter moves. */
export interface CountedScan {
  /**
   * The device that scans, re-checked inside the statement: not revoked, and (gateId set) still
   * at that gate. Null for a person, whose actor was loaded for this request.
   */
  device: { id: string; gateId?: string | null } | null;
  row: Omit<ScanRow, 'answer' | 'result' | 'reason' | 'counted'>;
  /** The answer without its ticket; the statement adds `ticket` from the counter move. */
  answer: Record<string, unknown>;
  /** The answer's ticket without the moved counter's fields (serial, holderName, entriesUsed, maxEntries). */
  ticket: Record<string, unknown>;
  event: DomainEvent;
}

/**
 * The tickets module's counter moves as CTEs of the statement (its counterMovesPart): `cte(name,
 * source)` moves the tickets of the `key, ticket_id, direction` rows of CTE `source`; its rows are
 * the moves that happened.
 */
export type CounterMoves = (name: string, source: string) => Prisma.Sql;

export type CountedScanOutcome =
  | { kind: 'counted'; row: Record<string, unknown> }
  /** The counter did not move (used up, revoked, not found, nobody inside): nothing was written. */
  | { kind: 'not_counted' }
  /** The device was revoked or moved to another gate since it was read: nothing was written. */
  | { kind: 'scanner_changed' }
  /** The scan id is already stored: the statement failed on its unique index and wrote nothing. */
  | { kind: 'duplicate' };

const outcomeOf = (r: Record<string, unknown>): CountedScanOutcome => {
  if (!r.scanner_ok) return { kind: 'scanner_changed' };
  return r.scan_count === null ? { kind: 'not_counted' } : { kind: 'counted', row: r };
};

const isDuplicateScanId = (err: unknown) => {
  const e = err as { code?: string; constraint?: string };
  return e.code === '23505' && e.constraint === 'validation_scans_scan_id_key';
};

/**
 * A counted scan in ONE statement (one round trip, its own implicit transaction): the device
 * re-check, the ticket's guarded counter move, the scan row built from what the move returned,
 * and the ticket.scanned outbox row. The scan row is inserted only from the move's row and the
 * outbox row only from the scan row's, so the three commit together or not at all; a scan id
 * already taken fails the INSERT on the unique index (a concurrent insert of the same id makes
 * it wait for that transaction first), which aborts the statement and so undoes the move. The
 * device test is a plain read of the statement's snapshot: a revocation committed before the
 * statement began is seen, one committing while it runs is ordered after it.
 * `counted` rows carry the move's columns (see counterMovesPart) for the caller's answer.
 */
export async function countScanAtOnce(
  pool: SqlPool,
  moves: CounterMoves,
  scan: CountedScan,
): Promise<CountedScanOutcome> {
  try {
    return (await countScansAtOnce(pool, moves, [scan]))[0]!;
  } catch (err) {
    if (isDuplicateScanId(err)) return { kind: 'duplicate' };
    throw err;
  }
}

/** The statement's name on each connection: its text is the same for any number of scans. */
const COUNT_SCANS_STATEMENT = 'validation_count_scans';

/**
 * Several counted scans (of DIFFERENT tickets and scan ids) in ONE statement, each scan exactly
 * as countScanAtOnce's: one implicit transaction and one commit carry them all. The scans travel
 * as one JSON parameter (`jsonb_to_recordset`), so the text never changes and each connection parses and plans
 * it once (a prepared statement): a statement of CTEs written out per scan cost PostgreSQL more
 * to plan than to run. All or nothing: any failure (a scan id already taken, a deadlock) aborts
 * the whole statement, writes nothing and is thrown; the caller then runs each scan on its own.
 *
 * The parts, in the order PostgreSQL runs them: `scan_input` (the JSON as rows); `checked`
 * (each device re-checked); the counter moves of the scans whose device passed (the tickets
 * module's, tickets locked in ticket id order before any moves, see counterMovesCte), which the
 * final SELECT reads to its end; then, after it (data-modifying CTEs that the final SELECT does
 * not read run at its end), the scan rows, only for the moves that happened, and the outbox
 * rows, only for the scan rows stored. So every ticket lock is taken before any scan id is
 * inserted, as in countScanAtOnce. Two moves of one ticket in one statement would be applied
 * once: the caller never puts a ticket in twice.
 */
export async function countScansAtOnce(
  pool: SqlPool,
  moves: CounterMoves,
  scans: CountedScan[],
): Promise<CountedScanOutcome[]> {
  // One JSON document for all the scans' values: JSON.stringify is native, where node-postgres
  // would escape every element of a parameter array in JavaScript.
  const input = scans.map((s, ord) => ({
    ord,
    ...s.row,
    answer: s.answer,
    ticket: s.ticket,
    checkDevice: s.device?.id ?? null,
    checkGate: s.device !== null && s.device.gateId !== undefined,
    deviceGateId: s.device?.gateId ?? null,
  }));
  const statement = Prisma.sql`
    WITH scan_input AS MATERIALIZED (
      SELECT * FROM jsonb_to_recordset(${JSON.stringify(input)}::jsonb) AS i(ord int, id uuid, "scanId" uuid,
        "campaignId" uuid, "ticketId" uuid, "ticketTypeId" uuid, "deviceId" uuid, "userId" uuid, "gateId" uuid,
        type text, "scannedAt" timestamptz, "receivedAt" timestamptz, offline boolean, "deviceResult" text,
        "deviceReason" text, conflict boolean, answer jsonb, ticket jsonb, "checkDevice" uuid, "checkGate" boolean,
        "deviceGateId" uuid)
    ),
    checked AS MATERIALIZED (
      SELECT i.ord, i."ticketId" AS ticket_id, i.type,
        i."checkDevice" IS NULL OR EXISTS (
          SELECT 1 FROM validation_devices d WHERE d.id = i."checkDevice" AND d.revoked_at IS NULL
            AND (NOT i."checkGate" OR d.gate_id IS NOT DISTINCT FROM i."deviceGateId")) AS scanner_ok
      FROM scan_input i
    ),
    counting AS (SELECT ord AS key, ticket_id, type AS direction FROM checked WHERE scanner_ok),
    ${moves('moved', 'counting')},
    stored AS (
      INSERT INTO validation_scans (id, scan_id, campaign_id, ticket_id, ticket_type_id, device_id, user_id, gate_id, type,
        scanned_at, received_at, offline, device_result, device_reason, result, reason, counted, conflict, answer)
      SELECT i.id, i."scanId", i."campaignId", i."ticketId", i."ticketTypeId", i."deviceId", i."userId", i."gateId",
        i.type, i."scannedAt", i."receivedAt", i.offline, i."deviceResult", i."deviceReason", 'ok', NULL, true, i.conflict,
        i.answer || jsonb_build_object('ticket', i.ticket || jsonb_build_object('serial', m.serial,
          'holderName', m.holder_name, 'entriesUsed', m.scan_count, 'maxEntries', m.max_scans))
      FROM moved m JOIN scan_input i ON i.ord = m.key
      RETURNING scan_id::text AS key
    ),
    ${outboxRowsForCte(
      'outbox',
      scans.map((s) => ({ key: s.row.scanId, event: s.event })),
      'stored',
    )}
    SELECT c.ord AS i, c.scanner_ok, m.scan_count, m.max_scans, m.serial, m.holder_name
    FROM checked c LEFT JOIN moved m ON m.key = c.ord`;
  const { rows } = await runSql<Record<string, unknown> & { i: number }>(
    pool,
    statement,
    COUNT_SCANS_STATEMENT,
  );
  const byIndex = new Map(rows.map((r) => [r.i, r]));
  return scans.map((_s, i) => {
    const { i: _i, ...r } = byIndex.get(i)!;
    return outcomeOf(r);
  });
}

export async function findScanByScanId(db: Tx, scanId: string): Promise<ScanRow | null> {
  return (await db.validationScan.findUnique({ where: { scanId } })) as ScanRow | null;
}

export async function listTicketScans(db: Tx, ticketId: string): Promise<ScanRow[]> {
  return (await db.validationScan.findMany({
    where: { ticketId },
    orderBy: [{ receivedAt: 'asc' }, { id: 'asc' }],
    take: 1000,
  })) as ScanRow[];
}

/** The first counted entry of a ticket: when and at which gate it was first used. */
export async function firstCountedEntry(
  db: Tx,
  ticketId: string,
): Promise<{ scannedAt: Date; gateId: string | null } | null> {
  return db.validationScan.findFirst({
    where: { ticketId, type: 'entry', counted: true },
    orderBy: [{ receivedAt: 'asc' }, { id: 'asc' }],
    select: { scannedAt: true, gateId: true },
  });
}

export async function listConflicts(db: Tx, campaignId: string, take: number): Promise<ScanRow[]> {
  return (await db.validationScan.findMany({
    where: { campaignId, conflict: true },
    orderBy: [{ receivedAt: 'desc' }, { id: 'desc' }],
    take,
  })) as ScanRow[];
}

export interface CountRow {
  gateId: string | null;
  ticketTypeId: string | null;
  entries: number;
  exits: number;
}

/** Counted entries and exits of a campaign, per gate and ticket type. */
export async function countScans(db: Db | Tx, campaignId: string): Promise<CountRow[]> {
  const rows = await db.$queryRaw<
    Array<{ gate_id: string | null; ticket_type_id: string | null; entries: bigint; exits: bigint }>
  >`
    SELECT gate_id::text AS gate_id, ticket_type_id::text AS ticket_type_id,
      count(*) FILTER (WHERE type = 'entry') AS entries, count(*) FILTER (WHERE type = 'exit') AS exits
    FROM validation_scans WHERE campaign_id = ${campaignId}::uuid AND counted
    GROUP BY gate_id, ticket_type_id`;
  return rows.map((r) => ({
    gateId: r.gate_id,
    ticketTypeId: r.ticket_type_id,
    entries: Number(r.entries),
    exits: Number(r.exits),
  }));
}

/** Check-ins of a campaign for analytics: counted entries, and tickets with at least one. */
export async function checkIns(
  db: Db | Tx,
  campaignId: string,
): Promise<{ checkIns: number; ticketsCheckedIn: number }> {
  const rows = await db.$queryRaw<Array<{ entries: bigint; tickets: bigint }>>`
    SELECT count(*) AS entries, count(DISTINCT ticket_id) AS tickets
    FROM validation_scans WHERE campaign_id = ${campaignId}::uuid AND counted AND type = 'entry'`;
  return { checkIns: Number(rows[0]?.entries ?? 0), ticketsCheckedIn: Number(rows[0]?.tickets ?? 0) };
}
