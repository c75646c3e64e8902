import crypto from 'node:crypto';
import type { Clock } from '../../shared/clock';
import type { Db, SqlPool, Tx } from '../../shared/db';
import { AppError } from '../../shared/errors';
import { canScanCampaign, isAdmin } from '../../shared/http/authorize';
import { createEvent } from '../../shared/messaging/events';
import { enqueue } from '../../shared/outbox';
import type { CampaignRecord, CampaignsService, TicketTypeRecord } from '../campaigns';
import { getCampaignsByIds } from '../campaigns';
import { verifyTicketQr, type Ticket, type TicketsService } from '../tickets';
import type { Scanner } from './validation.auth';
import { ValidationErrors } from './validation.errors';
import { ValidationEvents, type TicketScannedPayload } from './validation.events';
import * as repo from './validation.repository';
import type { GateRow, ScanResult, ScanType } from './validation.repository';
import type { ScanInput, ScanReason } from './validation.schemas';
import { allowsReentry, SCANNABLE_STATUSES } from './validation.service';

/*
 * Scanning: the decision for one scan, applied exactly once.
 *
 * Invariants (checked after every concurrency test by test/support/scan-invariant.ts):
 *   1. One row per scan_id (UNIQUE). The row and the ticket's counter change commit together.
 *   2. For every ticket: scan_count = (counted entries) - (counted exits), and
 *      0 <= scan_count <= max_scans (the latter also a CHECK on tickets).
 *
 * How (one transaction per scan):
 *   - The common case, a scan that counts, is ONE statement (repo.countScanAtOnce, sent on the
 *     pg pool under Prisma: one round trip, its own implicit transaction, no interactive
 *     transaction): a CTE that re-checks the device, moves the counter through the tickets
 *     module's guarded UPDATE (`scan_count < max_scans` for an entry, `> 0` for an exit, both
 *     `status = 'VALID'`), inserts the scan row from what the UPDATE returned and the
 *     ticket.scanned outbox row from the scan row. The ticket row's lock orders concurrent scans
 *     of one ticket and the loser re-evaluates the guard on the committed row, so 50 gates
 *     scanning a single-entry ticket at once admit exactly one; a refund (VALID → REVOKED)
 *     racing a scan is ordered by the same lock. The scan row is a plain INSERT: a scan id
 *     already stored (or being stored by a concurrent copy, which makes us wait on the unique
 *     index until it commits) fails it with a unique violation, which aborts the whole
 *     statement and so undoes the counter move; we answer the stored answer, unchanged.
 *   - When the counter does not move (used up, revoked, unknown, nobody inside), that statement
 *     wrote nothing, and the full path runs: one Prisma transaction that moves the counter
 *     again (the state may have changed), reads the ticket for the reason, and inserts the scan
 *     row ON CONFLICT (scan_id) DO NOTHING; when the id is taken it rolls back, undoing its
 *     counter move, and answers the stored answer. The outbox row is written in the same
 *     transaction, after the scan row.
 *   So ten copies of a scan at once make one row, one counter move and ten identical answers;
 *   a re-uploaded offline queue changes nothing.
 *   - Lock order: the ticket row, then the scan id. A transaction waits on another only at the
 *     UPDATE (for the ticket) and at the INSERT (for the scan id), and takes no ticket lock
 *     after its INSERT, so two scans can never wait on each other in a cycle. A revocation
 *     locks ticket rows of one booking and no scan ids, so it cannot close a cycle either. The
 *     device re-check is a plain read, and the scan row's foreign keys take KEY SHARE locks on
 *     the device and gate rows, which a device update or revocation (NO KEY UPDATE) never waits
 *     for.
 *   What breaks if an assumption is false: a counter update outside the scan row's transaction
 *   could count a scan whose row then failed to commit (or the reverse), and invariant 2 would
 *   drift; a scan row without the UNIQUE index would let two copies of one scan both count; an
 *   ON CONFLICT DO NOTHING in the one statement would keep a copy's counter move without a row.
 *
 * Everything decided before the transaction (decoding, the signature, the campaign and ticket
 * type) is immutable for the scan's purpose or only as fresh as a read can be: the counter and
 * the revoked status, the two facts that race, are re-decided by the guarded UPDATE inside it.
 *
 * Multi-entry and re-entry (the rule):
 *   - max_scans is people × entries per person: a SINGLE ticket for 4 admits 4 entries, a
 *     SEPARATE ticket admits its one holder's entries. Each entry scan uses one.
 *   - An exit scan is allowed only when the ticket's type allows re-entry (`reentry: true` in
 *     the type's attributes). It frees one entry (scan_count - 1) and lowers "inside"; the next
 *     entry uses it again, under the same `< max_scans` guard. So at most max_scans people are
 *     inside on one ticket at any time, however often they go out and in.
 *   - Without re-entry an exit is refused (`reentry_not_allowed`): whoever leaves has used
 *     their entry. With re-entry but nobody inside on the ticket: `not_inside`.
 *
 * Offline uploads are facts, not requests: the device already let someone in (or not). The
 * server stores the device's decision and its own and flags `conflict` where they differ. A
 * device "ok" is counted only if the guard still allows it (never beyond max_scans); when it
 * does not, the scan is recorded, refused by the server and flagged, and shown to the seller.
 * A device "refused" is never counted (nobody went in), but if the server would have admitted
 * the ticket it is flagged too. Offline scans are judged against the validity window at the
 * device's scannedAt (bounded by the server's time of receipt).
 */

export interface ScanAnswer {
  scanId: string;
  result: ScanResult;
  reason?: ScanReason;
  type: ScanType;
  ticket: {
    id: string;
    serial: number;
    typeName: string;
    holderName: string;
    entriesUsed: number;
    maxEntries: number;
  } | null;
  firstScannedAt?: string;
  firstGate?: string;
  revokedAt?: string;
  revokedReason?: string;
  conflict?: boolean;
  offline?: boolean;
  receivedAt: string;
}

export interface ScanDeps {
  prisma: Db;
  /** The pool under `prisma`: a counted scan is one statement sent straight to it (see countScanAtOnce). */
  sql: SqlPool;
  clock: Clock;
  tickets: TicketsService;
  campaigns: Pick<CampaignsService, 'ticketTypesFor'>;
}

/** Thrown inside the scan transaction to roll it back when the scan id is already stored. */
const DUPLICATE = new Error('scan id already decided');

/** A device clock this far ahead of ours is not believed for the validity window. */
const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/** The signed claims of a verified code: enough to count an entry without reading the ticket first. */
interface Claimed {
  ticketId: string;
  ticketTypeId: string;
  maxScans: number;
}

type Assessed =
  | {
      kind: 'refused';
      reason: ScanReason;
      campaignId: string | null;
      ticket?: Ticket;
      type?: TicketTypeRecord;
    }
  | { kind: 'candidate'; campaign: CampaignRecord; claims: Claimed; type: TicketTypeRecord | undefined };

/*
 * What every scan of a campaign reads and almost never changes (the campaign, its verification
 * keys, its ticket types, a gate) is kept per process for REFERENCE_TTL_MS. The price: a
 * campaign cancelled, a key retired or a ticket type's re-entry switched takes up to that long
 * to reach the gates of a web process (a gate never changes campaign, so a cached gate is
 * never wrong). What must never lag is re-decided in the scan's own statement: the ticket (its
 * counter and revocation, by the guarded UPDATE) and the device (cached for the scan route, see
 * authenticateDeviceCached, but re-checked for revocation and its gate in the statement, so a
 * revoked device is refused on its next scan: the bound is the statement's snapshot, i.e. a
 * revocation that commits while a scan's statement runs is ordered after that scan).
 */
const REFERENCE_TTL_MS = 5_000;
const REFERENCE_MAX = 1_000;

function ttlCache<K, V>(now: () => number) {
  const entries = new Map<K, { until: number; value: Promise<V> }>();
  return async (key: K, load: () => Promise<V>, fresh = false): Promise<V> => {
    const hit = entries.get(key);
    if (hit && hit.until > now() && !fresh) return hit.value;
    if (entries.size >= REFERENCE_MAX) entries.clear();
    const value = load();
    entries.set(key, { until: now() + REFERENCE_TTL_MS, value });
    // A failed read is not remembered.
    value.catch(() => entries.delete(key));
    return value;
  };
}

/*
 * Counted scans in group statements (repo.countScansAtOnce), like the reservation batch: a
 * counted scan waits for the end of the event-loop turn it reached the statement in, and every
 * counted scan of that turn goes to PostgreSQL as ONE statement (one round trip, one commit);
 * while MAX_SCAN_STATEMENTS statements are in flight, new scans queue and go together in the
 * next one. Under no load a scan waits for nothing but its own turn; under load one commit
 * carries many scans, and the web process's CPU per scan (mostly socket writes, one per
 * statement) drops with the batch size. The scans go as one JSON parameter of one fixed text,
 * prepared once per connection, so PostgreSQL does not parse and plan each group afresh (it
 * cost more than running it).
 *
 * What keeps each scan exactly once (the block above still holds scan by scan):
 *   - The statement is all or nothing: any failure (a scan id already stored, a deadlock, a
 *     device that vanished) aborts it and writes nothing for any of its scans; each scan of it
 *     then runs on its own statement (countScanAtOnce), which answers as before.
 *   - One ticket (and one scan id) at most once per statement: two moves of one row in one
 *     statement would be applied once. A second scan of a ticket waits for the next statement.
 *   - Ticket rows are locked in ticket id order within a statement (before any of them moves,
 *     by the tickets module's counterMovesPart), so two group statements
 *     never wait on each other in a cycle. A refund's revocation locks a booking's tickets in
 *     their booking order, so a statement holding two tickets of that booking can meet it in a
 *     cycle; PostgreSQL then aborts one of them (after deadlock_timeout): a group statement is
 *     re-run scan by scan, a revocation fails its transaction and is retried by its consumer.
 *     Rare (two tickets of one booking scanned in the same moment as its refund) and never wrong.
 */
const MAX_SCAN_BATCH = 64;
const MAX_SCAN_STATEMENTS = 4;

function createScanBatcher(sql: SqlPool, moves: repo.CounterMoves) {
  type Waiting = {
    scan: repo.CountedScan;
    resolve(o: repo.CountedScanOutcome): void;
    reject(e: unknown): void;
  };
  let queue: Waiting[] = [];
  let inFlight = 0;
  let scheduled = false;

  const schedule = () => {
    if (scheduled || inFlight >= MAX_SCAN_STATEMENTS || !queue.length) return;
    scheduled = true;
    setImmediate(flush);
  };

  async function runAlone(w: Waiting) {
    await repo.countScanAtOnce(sql, moves, w.scan).then(w.resolve, w.reject);
  }

  async function run(batch: Waiting[]) {
    if (batch.length === 1) return runAlone(batch[0]!);
    let outcomes: repo.CountedScanOutcome[];
    try {
      outcomes = await repo.countScansAtOnce(
        sql,
        moves,
        batch.map((w) => w.scan),
      );
    } catch {
      // Nothing of the statement was written: each scan on its own says what happened to it.
      await Promise.all(batch.map(runAlone));
      return;
    }
    batch.forEach((w, i) => w.resolve(outcomes[i]!));
  }

  function flush() {
    scheduled = false;
    while (queue.length && inFlight < MAX_SCAN_STATEMENTS) {
      const tickets = new Set<string>();
      const scanIds = new Set<string>();
      const batch: Waiting[] = [];
      const later: Waiting[] = [];
      for (const w of queue) {
        const { ticketId, scanId } = w.scan.row;
        if (batch.length >= MAX_SCAN_BATCH || tickets.has(ticketId!) || scanIds.has(scanId)) later.push(w);
        else {
          batch.push(w);
          tickets.add(ticketId!);
          scanIds.add(scanId);
        }
      }
      queue = later;
      inFlight++;
      void run(batch).finally(() => {
        inFlight--;
        schedule();
      });
    }
  }

  return (scan: repo.CountedScan): Promise<repo.CountedScanOutcome> =>
    new Promise((resolve, reject) => {
      queue.push({ scan, resolve, reject });
      schedule();
    });
}

export function createScanService(deps: ScanDeps) {
  const { prisma, sql, clock, tickets, campaigns } = deps;
  const countScan = createScanBatcher(sql, tickets.counterMovesPart);
  const now = () => clock.now().getTime();
  const keysOf = ttlCache<string, Awaited<ReturnType<TicketsService['getCampaignPublicKeys']>>>(now);
  const campaignOf = ttlCache<string, CampaignRecord | undefined>(now);
  const typesOf = ttlCache<string, TicketTypeRecord[]>(now);
  const gateById = ttlCache<string, GateRow | null>(now);

  function scannerIds(scanner: Scanner) {
    return scanner.kind === 'device'
      ? { deviceId: scanner.device.id, userId: null }
      : { deviceId: null, userId: scanner.actor.userId };
  }

  /** What a scan row records of the scan itself, as the device sent it (a new row id each time). */
  function scanFacts(
    input: ScanInput,
    ids: ReturnType<typeof scannerIds>,
    receivedAt: Date,
    offline: boolean,
  ) {
    return {
      id: crypto.randomUUID(),
      scanId: input.scanId,
      ...ids,
      type: input.type,
      scannedAt: input.scannedAt,
      receivedAt,
      offline,
      deviceResult: input.deviceResult ?? null,
      deviceReason: input.deviceReason ?? null,
    };
  }

  /** May this scanner scan the campaign's tickets? */
  function inScope(scanner: Scanner, campaign: CampaignRecord): boolean {
    if (scanner.kind === 'device') return scanner.device.campaignId === campaign.id;
    return isAdmin(scanner.actor) || canScanCampaign(scanner.actor, campaign);
  }

  /** Everything about the scan that does not race: the code, its signature, scope, window and status. */
  async function assess(
    scanner: Scanner,
    input: ScanInput,
    gate: GateRow | null,
    at: Date,
  ): Promise<Assessed> {
    const refused = (reason: ScanReason, campaignId: string | null = null): Assessed => ({
      kind: 'refused',
      reason,
      campaignId,
    });
    // The claimed campaign tells which keys to try; nothing in it is trusted before the signature.
    const probe = verifyTicketQr(input.qr, [], at);
    if (probe.status === 'INVALID' && probe.reason !== 'UNKNOWN_KEY') return refused('invalid_code');
    if (probe.status !== 'INVALID') return refused('invalid_code');
    const claimed = probe.unverified.campaignId;
    const keys = await keysOf(claimed, () => tickets.getCampaignPublicKeys(claimed));
    const verified = verifyTicketQr(input.qr, keys, at);
    if (verified.status === 'INVALID') {
      switch (verified.reason) {
        case 'BAD_SIGNATURE':
          return refused('invalid_signature');
        case 'UNKNOWN_KEY':
          return refused('unknown_key');
        default:
          return refused('invalid_code');
      }
    }
    const { claims } = verified;
    const campaign = await campaignOf(
      claims.campaignId,
      async () => (await getCampaignsByIds(prisma, [claims.campaignId]))[0],
    );
    if (!campaign || !inScope(scanner, campaign) || (gate && gate.campaignId !== campaign.id))
      return refused('wrong_campaign', scanner.kind === 'device' ? scanner.device.campaignId : null);
    const loadTypes = () => campaigns.ticketTypesFor([campaign.id]);
    // A type added since the list was kept is read at once, not after the TTL.
    const type =
      (await typesOf(campaign.id, loadTypes)).find((t) => t.id === claims.ticketTypeId) ??
      (await typesOf(campaign.id, loadTypes, true)).find((t) => t.id === claims.ticketTypeId);
    const pass = !SCANNABLE_STATUSES.has(campaign.status)
      ? 'campaign_not_active'
      : verified.status === 'NOT_YET_VALID'
        ? 'not_yet_valid'
        : verified.status === 'EXPIRED'
          ? 'expired'
          : input.type === 'exit' && !allowsReentry(type)
            ? 'reentry_not_allowed'
            : null;
    // The common case counts straight away: the guarded UPDATE returns what the answer shows,
    // and whether the ticket exists, is revoked or used up is decided there (see scanTicket).
    if (!pass) return { kind: 'candidate', campaign, claims, type };
    const ticket = await tickets.findTicketById(prisma, claims.ticketId);
    // A valid signature over a ticket we never stored: a leaked key or a wiped database.
    if (!ticket || ticket.campaignId !== campaign.id) return refused('invalid_code', campaign.id);
    return { kind: 'refused', reason: pass, campaignId: campaign.id, ticket, type };
  }

  async function firstEntryOf(db: Tx, ticketId: string) {
    const first = await repo.firstCountedEntry(db, ticketId);
    if (!first) return {};
    const gate = first.gateId ? await repo.findGate(db, first.gateId) : null;
    return { firstScannedAt: first.scannedAt.toISOString(), ...(gate ? { firstGate: gate.name } : {}) };
  }

  /** The ticket.scanned event of a decided scan (written with its row, in the same transaction). */
  function scannedEvent(
    input: ScanInput,
    ids: ReturnType<typeof scannerIds>,
    fact: {
      campaignId: string;
      ticketId: string | null;
      ticketTypeId: string | null;
      gateId: string | null;
      result: ScanResult;
      reason: ScanReason | null;
      counted: boolean;
      conflict: boolean;
      offline: boolean;
      receivedAt: Date;
    },
  ) {
    return createEvent<TicketScannedPayload>(
      ValidationEvents.scanned,
      {
        scanId: input.scanId,
        campaignId: fact.campaignId,
        ticketId: fact.ticketId,
        ticketTypeId: fact.ticketTypeId,
        gateId: fact.gateId,
        ...ids,
        type: input.type,
        result: fact.result,
        reason: fact.reason,
        counted: fact.counted,
        conflict: fact.conflict,
        offline: fact.offline,
        scannedAt: input.scannedAt.toISOString(),
        receivedAt: fact.receivedAt.toISOString(),
      },
      clock,
    );
  }

  /**
   * Decides one scan and applies it exactly once (see the block above): the same scanId always
   * gets the first answer. Never throws for anything the QR text holds; only a bad gate (404)
   * or a scan id another scanner used (409) is an error.
   *
   * A device read from the per-process cache (`scanner.cached`, see authenticateDeviceCached)
   * is trusted only where the scan statement re-checks it (countScanAtOnce: not revoked, same
   * gate). Any other outcome (a refusal, an offline "refused", an error, the device changed) is
   * decided again with the device read now (`recheck`, which refuses a revoked device), so a
   * cached device never gets an answer a fresh read would not give.
   */
  async function scanTicket(scanner: Scanner, input: ScanInput): Promise<ScanAnswer> {
    const cached = scanner.kind === 'device' ? scanner.cached : undefined;
    if (!cached) return (await decide(scanner, input, false))!;
    try {
      const answer = await decide(scanner, input, true);
      if (answer) return answer;
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
    }
    return (await decide(await cached.recheck(), input, false))!;
  }

  /** The decision; null (only for a cached device) when it must be made again with the device read now. */
  async function decide(
    scanner: Scanner,
    input: ScanInput,
    cachedScanner: boolean,
  ): Promise<ScanAnswer | null> {
    const ids = scannerIds(scanner);
    const replay = async (): Promise<ScanAnswer> => {
      const row = await repo.findScanByScanId(prisma, input.scanId);
      if (!row) throw new Error(`scan ${input.scanId} was claimed but is not stored`);
      if (row.deviceId !== ids.deviceId || row.userId !== ids.userId) throw ValidationErrors.scanIdTaken();
      return row.answer as unknown as ScanAnswer;
    };
    const deviceGate = scanner.kind === 'device' && !input.gateId;
    const gateId = input.gateId ?? (scanner.kind === 'device' ? scanner.device.gateId : null);
    const gate = gateId ? await gateById(gateId, () => repo.findGate(prisma, gateId)) : null;
    if (gateId && !gate) throw ValidationErrors.gateNotFound();
    if (gate && scanner.kind === 'device' && gate.campaignId !== scanner.device.campaignId)
      throw ValidationErrors.gateNotFound();

    const receivedAt = clock.now();
    const offline = input.offline === true;
    const judgedAt =
      offline && input.scannedAt.getTime() <= receivedAt.getTime() + MAX_CLOCK_SKEW_MS
        ? input.scannedAt
        : receivedAt;
    const assessed = await assess(scanner, input, gate, judgedAt);

    // The common case in one statement: a scan that counts if the guarded counter move happens.
    // An offline "refused" never counts (nobody went in), so it takes the full path below.
    if (assessed.kind === 'candidate' && !(offline && input.deviceResult === 'refused')) {
      const { claims, campaign, type } = assessed;
      const conflict = offline && input.deviceResult !== undefined && input.deviceResult !== 'ok';
      const base = {
        scanId: input.scanId,
        result: 'ok' as const,
        type: input.type,
        ...(offline ? { offline: true, conflict } : {}),
        receivedAt: receivedAt.toISOString(),
      };
      const ticketBase = { id: claims.ticketId, typeName: type?.name ?? 'Ticket' };
      const outcome = await countScan({
        device:
          scanner.kind === 'device'
            ? { id: scanner.device.id, ...(deviceGate ? { gateId: scanner.device.gateId } : {}) }
            : null,
        row: {
          ...scanFacts(input, ids, receivedAt, offline),
          campaignId: campaign.id,
          ticketId: claims.ticketId,
          ticketTypeId: claims.ticketTypeId,
          gateId: gate?.id ?? null,
          conflict,
        },
        answer: base,
        ticket: ticketBase,
        event: scannedEvent(input, ids, {
          campaignId: campaign.id,
          ticketId: claims.ticketId,
          ticketTypeId: claims.ticketTypeId,
          gateId: gate?.id ?? null,
          result: 'ok',
          reason: null,
          counted: true,
          conflict,
          offline,
          receivedAt,
        }),
      });
      if (outcome.kind === 'counted') {
        const moved = tickets.readCounterMove(outcome.row)!;
        const { offline: _o, conflict: _c, receivedAt: at, ...head } = base;
        return {
          ...head,
          ticket: {
            ...ticketBase,
            serial: moved.serial,
            holderName: moved.holderName,
            entriesUsed: moved.scanCount,
            maxEntries: moved.maxScans,
          },
          ...(offline ? { offline: true, conflict } : {}),
          receivedAt: at,
        };
      }
      if (outcome.kind === 'duplicate') return replay();
      // Not counted (used up, revoked, unknown) or the device changed: the full path says why.
    }
    if (cachedScanner) return null;

    const outcome = await prisma
      .$transaction(async (tx) => {
        let result: ScanResult = 'refused';
        let reason: ScanReason | undefined;
        let counted = false;
        let ticket: Ticket | undefined;
        let type: TicketTypeRecord | undefined;
        let entriesUsed = 0;
        let extra: Partial<ScanAnswer> = {};
        /** What the answer shows of the ticket: the row, or what the counter move returned. */
        let shown: Pick<Ticket, 'id' | 'ticketTypeId' | 'serial' | 'holderName' | 'maxScans'> | undefined;
        if (assessed.kind === 'refused') {
          reason = assessed.reason;
          ticket = assessed.ticket;
          type = assessed.type;
          entriesUsed = ticket?.scanCount ?? 0;
          shown = ticket;
          if (ticket && reason === 'revoked')
            extra = {
              revokedAt: ticket.revokedAt?.toISOString(),
              revokedReason: ticket.revokedReason ?? undefined,
            };
        } else {
          const { claims } = assessed;
          type = assessed.type;
          const readRow = async () => {
            const row = await tickets.findTicketById(tx, claims.ticketId);
            ticket = row ?? undefined;
            return row;
          };
          if (offline && input.deviceResult === 'refused') {
            // Nobody went in: nothing is counted; the server only says what it would have decided.
            const now = await readRow();
            entriesUsed = now?.scanCount ?? 0;
            const would = !now
              ? 'invalid_code'
              : now.status === 'REVOKED'
                ? 'revoked'
                : input.type === 'entry'
                  ? entriesUsed < now.maxScans
                    ? null
                    : 'already_used'
                  : entriesUsed > 0
                    ? null
                    : 'not_inside';
            result = would ? 'refused' : 'ok';
            reason = would ?? undefined;
          } else {
            const moved =
              input.type === 'entry'
                ? await tickets.recordTicketEntry(tx, claims.ticketId)
                : await tickets.recordTicketExit(tx, claims.ticketId);
            if (moved.admitted) {
              result = 'ok';
              counted = true;
              entriesUsed = moved.scanCount;
              shown = { id: claims.ticketId, ticketTypeId: claims.ticketTypeId, ...moved };
            } else {
              const now = await readRow();
              entriesUsed = now?.scanCount ?? 0;
              if (!now || now.campaignId !== assessed.campaign.id) {
                reason = 'invalid_code';
                ticket = undefined;
              } else if (moved.reason === 'REVOKED') {
                reason = 'revoked';
                extra = {
                  revokedAt: now.revokedAt?.toISOString(),
                  revokedReason: now.revokedReason ?? undefined,
                };
              } else {
                reason = input.type === 'entry' ? 'already_used' : 'not_inside';
              }
            }
          }
          if (ticket) shown = ticket;
          if (reason === 'already_used') extra = await firstEntryOf(tx, claims.ticketId);
        }
        const conflict = offline && input.deviceResult !== undefined && input.deviceResult !== result;
        const campaignId = assessed.kind === 'refused' ? assessed.campaignId : assessed.campaign.id;
        const answer: ScanAnswer = {
          scanId: input.scanId,
          result,
          ...(reason ? { reason } : {}),
          type: input.type,
          ticket: shown
            ? {
                id: shown.id,
                serial: shown.serial,
                typeName: type?.name ?? 'Ticket',
                holderName: shown.holderName,
                entriesUsed,
                maxEntries: shown.maxScans,
              }
            : null,
          ...extra,
          ...(offline ? { offline: true, conflict } : {}),
          receivedAt: receivedAt.toISOString(),
        };
        const stored = await repo.insertScan(tx, {
          ...scanFacts(input, ids, receivedAt, offline),
          campaignId,
          ticketId: shown?.id ?? null,
          ticketTypeId: shown?.ticketTypeId ?? null,
          gateId: gate?.id ?? null,
          result,
          reason: reason ?? null,
          counted,
          conflict,
          answer: answer as unknown as Record<string, unknown>,
        });
        // The scan id was decided by another transaction: undo our counter move with ours.
        if (!stored) throw DUPLICATE;
        if (campaignId)
          await enqueue(
            tx,
            scannedEvent(input, ids, {
              campaignId,
              ticketId: shown?.id ?? null,
              ticketTypeId: shown?.ticketTypeId ?? null,
              gateId: gate?.id ?? null,
              result,
              reason: reason ?? null,
              counted,
              conflict,
              offline,
              receivedAt,
            }),
          );
        return answer;
      })
      .catch((err: unknown) => {
        if (err === DUPLICATE) return null;
        throw err;
      });
    return outcome ?? replay();
  }

  return { scanTicket };
}

export type ScanService = ReturnType<typeof createScanService>;
