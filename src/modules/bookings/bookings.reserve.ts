import crypto from 'node:crypto';
import type { Clock } from '../../shared/clock';
import type { Db, SqlClient, SqlPool, Tx } from '../../shared/db';
import { AppError, errorBody } from '../../shared/errors';
import type { Actor } from '../../shared/http/authorize';
import type { DomainEvent } from '../../shared/messaging/events';
import { enqueue, outboxRowsCte } from '../../shared/outbox';
import {
  commitStock,
  getCampaignForSale,
  reserveStock,
  saleForBookingSql,
  type CampaignForSale,
  type StockItem,
} from '../campaigns';
import { bookingDto } from './bookings.dto';
import { BookingErrors } from './bookings.errors';
import { newReference } from './bookings.reference';
import { loadPromoData, promoPlanner, recordPromoBookings, type PromoPlanner } from './bookings.promo';
import * as repo from './bookings.repository';
import { loadSeating, type Seating } from './bookings.seats';
import type { BookingRecord, ReserveInput } from './bookings.types';

/*
 * Reservations, in group transactions.
 *
 * Why: every reservation of a ticket type queues on that type's row (the conditional UPDATE
 * holds its lock until COMMIT, and the COMMIT waits for the WAL flush), and every SQL statement
 * is a round trip. Done one per transaction, a hot type sells at most one booking per commit.
 * So requests for the same campaign that arrive while a transaction for it is running wait in a
 * queue and go together in the next one: one lock, one read of the campaign, one INSERT for all
 * bookings, items and idempotency responses, one outbox write, one conditional UPDATE per ticket
 * type, one COMMIT. Under no load a batch holds one request and nothing waits; under load the
 * batch grows with the queue. Each request keeps its own outcome, exactly as if it ran alone in
 * the order of the batch.
 *
 * The transaction of a batch, in order:
 *  1. the campaign's sales lock + the idempotency key claims (lockSalesAndClaimKeys explains
 *     why parallel duplicates do the work once); keys already used answer their stored response;
 *  2. the customers' ticket counts for the per-customer maximum (stable under the sales lock);
 *  3. SAVEPOINT; read the campaign and its types; check and price each request in order against
 *     what is left (a plain read: refusing SOLD_OUT from it is the same as having arrived a
 *     moment earlier), insert the accepted bookings with every key's response, the events, then
 *     the stock: reserveStock's conditional UPDATE of the SUM per type, LAST so the hot rows stay
 *     locked only for that statement and the COMMIT. Its WHERE (sold + reserved + q <= capacity)
 *     is re-checked on the latest row version after any wait: overselling is impossible whatever
 *     the read said. If stock went meanwhile (a late payment sold some), ROLLBACK TO SAVEPOINT
 *     (which also drops the row locks taken after it) and go again from the fresh numbers.
 * A refusal (SOLD_OUT, limits, sale closed…) writes nothing but the key's stored answer. An
 * unexpected error rolls back the batch: its requests are then retried one per transaction, so
 * one bad request cannot fail the others.
 *
 * Two paths, one algorithm (planBatch decides every answer on both):
 *  - The common batch (no promo code, no seats) runs on node-postgres directly, on the pool the
 *    Prisma adapter itself uses (platform.sql: the same connections and pool size), as
 *    BEGIN; (1) the sales lock + key claims; (2) ONE read of the customers' counts, the stored
 *    answers of used keys and the campaign with its types (a new snapshot, after the lock);
 *    (3) ONE write: the stock move (the campaigns module's reserveStockCte, rows locked in id
 *    order, guard re-checked on the latest row) and, only if every type moved, the bookings,
 *    items, key responses and outbox rows; COMMIT. Stock short (a late payment took some) or a
 *    reference clash: ROLLBACK and the whole round again from fresh reads, as the savepoint
 *    rounds do below. Why not Prisma here: this is the hottest write of the platform and, under
 *    load, the web process's CPU is what limits it; a statement through the Prisma client cost
 *    about 160 µs of CPU against about 55 µs through node-postgres, and the general path sends
 *    about 11 statements per batch (each one a round trip behind a busy event loop) where this
 *    one sends 5 round trips. The SQL stays in the owning modules' repositories.
 *  - Everything else (a promo code, named or best seats, a seated type) runs reserveBatch below
 *    in a Prisma interactive transaction, where the promotions and seat hooks take the Tx.
 * Both take the same locks in the same order (sales lock → key rows → ticket type rows), so
 * batches on either path serialise per campaign exactly as before.
 */

export interface ReserveResult {
  status: number;
  body: unknown;
  /** True when this is the stored answer to an earlier request with the same key. */
  replayed: boolean;
}

interface Request {
  actor: Actor;
  key: string;
  hash: string;
  input: ReserveInput;
}
type Outcome = { ok: ReserveResult } | { err: unknown } | { retry: true };

// Under a burst every batch of a web process queues for one of its pool's connections and for the
// campaign's sales lock; the default 2 s wait would turn a queue into 500s. A batch itself is short.
export const TX_OPTIONS = { maxWait: 30_000, timeout: 30_000 };
const MAX_STOCK_ROUNDS = 5;

const claimOf = (r: Request) => `${r.actor.userId} ${r.key}`;

export interface ReservationDeps {
  prisma: Db;
  /** The pg pool under `prisma`: the common batch runs its own transaction on it (see below). */
  sql: SqlPool;
  clock: Clock;
  holdMs: number;
  maxBatch: number;
  /** Queued requests that start a batch while another is still committing (see the lanes). */
  overlapMin: number;
  /** Builds the outbox events of a new booking (booking.reserved, and booking.confirmed when free). */
  eventsFor(booking: BookingRecord): DomainEvent[];
}

export function createReservations(deps: ReservationDeps) {
  const { prisma, sql, clock, holdMs, maxBatch, overlapMin } = deps;

  /**
   * Checks one request against the campaign as read, in batch order, and prices it. `left`
   * (tickets left per type) and `held` (tickets per customer) include the requests accepted
   * before it in the batch. Throws an AppError for a refusal.
   */
  function planBooking(
    sale: CampaignForSale | null,
    r: Request,
    now: Date,
    left: Map<string, number>,
    held: Map<string, number>,
    promo: PromoPlanner,
    seating: Seating | null = null,
  ): repo.NewBooking {
    const { input, actor } = r;
    if (!sale || sale.campaign.status === 'DRAFT') throw BookingErrors.campaignNotFound();
    const c = sale.campaign;
    if (c.status !== 'ACTIVE') throw BookingErrors.notOnSale(c.status);
    if (c.saleStartsAt && now < c.saleStartsAt) throw BookingErrors.saleNotStarted(c.saleStartsAt);
    if (now >= (c.saleEndsAt ?? c.endsAt)) throw BookingErrors.saleEnded();

    const types = new Map(sale.ticketTypes.map((t) => [t.id, t]));
    // A hidden type is sold only through its link (or a promo code unlocking it); without either
    // it does not exist for the buyer.
    const unlocked = promo.unlocked(r);
    const unavailable = input.items.filter((i) => {
      const t = types.get(i.ticketTypeId);
      return (
        !t ||
        (t.hidden &&
          !unlocked.has(t.id) &&
          (input.accessCode === undefined || t.accessCode !== input.accessCode))
      );
    });
    if (unavailable.length) throw BookingErrors.ticketTypeUnavailable(unavailable.map((i) => i.ticketTypeId));

    const id = crypto.randomUUID();
    const items = input.items.map((i) => {
      const t = types.get(i.ticketTypeId)!;
      if (t.saleStartsAt && now < t.saleStartsAt)
        throw BookingErrors.typeSaleNotStarted(t.name, t.id, t.saleStartsAt);
      if (t.saleEndsAt && now >= t.saleEndsAt) throw BookingErrors.typeSaleEnded(t.name, t.id);
      if (i.quantity < t.minPerOrder || i.quantity > t.maxPerOrder)
        throw BookingErrors.quantityOutOfRange(t.name, t.id, t.minPerOrder, t.maxPerOrder);
      const remaining = left.get(t.id) ?? 0;
      // Named seats are refused by the seats themselves (SEATS_TAKEN names them); counters follow seats.
      if (remaining < i.quantity && !i.seatIds)
        throw BookingErrors.soldOut(t.name, t.id, Math.max(0, remaining));
      return {
        id: crypto.randomUUID(),
        ticketTypeId: t.id,
        ticketTypeName: t.name,
        // The price is fixed here: a later price change applies to new bookings only.
        unitPriceMinor: t.priceMinor,
        quantity: i.quantity,
        entriesPerTicket: t.entriesPerTicket,
        lineTotalMinor: t.priceMinor * i.quantity,
        discountMinor: 0,
      };
    });
    const requested = items.reduce((n, i) => n + i.quantity, 0);
    const already = held.get(actor.userId) ?? 0;
    if (already + requested > c.maxTicketsPerCustomer)
      throw BookingErrors.customerLimit(c.maxTicketsPerCustomer, already);
    const subtotalMinor = items.reduce((n, i) => n + i.lineTotalMinor, 0);
    if (!Number.isSafeInteger(subtotalMinor)) throw BookingErrors.tooLarge();
    // Last checks: seats given here are taken for the rest of the batch (bookings.seats.ts), then
    // the code (a refused request must not count as a use of it). A promo refusal after seats were
    // given leaves them taken for this batch only: a later request of the batch may be refused
    // them and retries; nothing is written for the refused one.
    const seats = seating ? [...seating.assign(input).values()].flat() : [];
    const discount = promo.apply(r, items, now);
    const totalMinor = subtotalMinor - (discount?.discountMinor ?? 0);

    for (const i of items) left.set(i.ticketTypeId, (left.get(i.ticketTypeId) ?? 0) - i.quantity);
    held.set(actor.userId, already + requested);
    const free = totalMinor === 0;
    return {
      id,
      reference: newReference(),
      userId: actor.userId,
      campaignId: c.id,
      sellerId: c.sellerId,
      status: free ? 'CONFIRMED' : 'PENDING',
      issuance: input.issuance,
      currency: c.currency,
      totalMinor,
      expiresAt: new Date(now.getTime() + holdMs),
      confirmedAt: free ? now : null,
      promo: discount,
      items: items.sort((a, b) => (a.ticketTypeId < b.ticketTypeId ? -1 : 1)),
      ...(seats.length ? { seats } : {}),
    };
  }

  const recordOf = ({ promo, ...b }: repo.NewBooking, now: Date): BookingRecord => ({
    ...b,
    promoCodeId: promo?.promoCodeId ?? null,
    promoCode: promo?.code ?? null,
    discountMinor: promo?.discountMinor ?? 0,
    paymentRef: null,
    expiredAt: null,
    cancelledAt: null,
    cancelCause: null,
    refundedAt: null,
    createdAt: now,
    updatedAt: now,
    items: b.items.map((i) => ({ ...i, bookingId: b.id })),
  });

  /** The answers of requests whose key was already used, from the keys' stored responses. */
  function answerStored(used: Request[], records: repo.StoredResponse[], outcomes: Map<Request, Outcome>) {
    const stored = new Map(records.map((s) => [`${s.userId} ${s.key}`, s]));
    for (const r of used) {
      const s = stored.get(claimOf(r));
      if (!s)
        outcomes.set(r, { retry: true }); // deleted by the TTL purge since our INSERT: claim it again
      else if (s.requestHash !== r.hash) outcomes.set(r, { err: BookingErrors.idempotencyKeyReused() });
      else if (s.responseStatus === null)
        outcomes.set(r, {
          err: new Error('bookings: an idempotency key was committed without its response'),
        });
      else outcomes.set(r, { ok: { status: s.responseStatus, body: s.responseBody, replayed: true } });
    }
  }

  /** One round's plan: each fresh request checked and priced in batch order (planBooking), with its key's response. */
  function planBatch(
    sale: CampaignForSale | null,
    fresh: Request[],
    now: Date,
    heldBefore: Map<string, number>,
    promo: PromoPlanner,
    seating: Seating | null,
  ) {
    const left = new Map((sale?.ticketTypes ?? []).map((t) => [t.id, t.capacity - t.sold - t.reserved]));
    const held = new Map(heldBefore);
    const accepted: repo.NewBooking[] = [];
    const requestOf = new Map<string, Request>();
    const responses: repo.KeyResponse[] = [];
    const results = new Map<Request, ReserveResult>();
    const accept = (r: Request, b: repo.NewBooking): repo.KeyResponse => {
      const body = bookingDto(recordOf(b, now));
      results.set(r, { status: 201, body, replayed: false });
      return { userId: r.actor.userId, key: r.key, status: 201, body, bookingId: b.id };
    };
    for (const r of fresh) {
      try {
        const b = planBooking(sale, r, now, left, held, promo, seating);
        accepted.push(b);
        requestOf.set(b.id, r);
        responses.push(accept(r, b));
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        const body = errorBody(err);
        responses.push({ userId: r.actor.userId, key: r.key, status: err.status, body });
        results.set(r, { status: err.status, body, replayed: false });
      }
    }
    return { accepted, requestOf, responses, results, accept };
  }

  /** One batch (requests for one campaign, distinct keys) in one transaction; see the file comment. */
  async function reserveBatch(
    tx: Tx,
    campaignId: string,
    requests: Request[],
    locked: () => void,
  ): Promise<Map<Request, Outcome>> {
    const now = clock.now();
    const outcomes = new Map<Request, Outcome>();
    const claimed = await repo.lockSalesAndClaimKeys(
      tx,
      campaignId,
      requests.map((r) => ({ userId: r.actor.userId, key: r.key, requestHash: r.hash })),
      now,
    );
    locked();
    const fresh = requests.filter((r) => claimed.has(claimOf(r)));
    const used = requests.filter((r) => !claimed.has(claimOf(r)));
    if (used.length)
      answerStored(
        used,
        await repo.findIdempotencyRecords(
          tx,
          used.map((r) => ({ userId: r.actor.userId, key: r.key })),
        ),
        outcomes,
      );
    if (!fresh.length) return outcomes;

    const heldBefore = await repo.ticketsHeldByCustomers(tx, campaignId, [
      ...new Set(fresh.map((r) => r.actor.userId)),
    ]);
    const promoData = await loadPromoData(tx, campaignId, fresh);
    const typeIds = [...new Set(fresh.flatMap((r) => r.input.items.map((i) => i.ticketTypeId)))];
    await tx.$executeRaw`SAVEPOINT reserve_batch`;
    for (let round = 1; ; round++) {
      const sale = await getCampaignForSale(tx, campaignId, typeIds);
      const seating = await loadSeating(
        tx,
        sale,
        fresh.map((r) => r.input),
      );
      const { accepted, requestOf, responses, results, accept } = planBatch(
        sale,
        fresh,
        now,
        heldBefore,
        promoPlanner(promoData),
        seating,
      );

      // A reference that clashes with an existing booking's: those draw again (rare).
      let toInsert = accepted;
      let toRespond = responses;
      for (let attempt = 0; toInsert.length || toRespond.length; attempt++) {
        const inserted = await repo.insertBookings(tx, toInsert, toRespond, now);
        toInsert = toInsert.filter((b) => !inserted.has(b.id));
        if (toInsert.length && attempt >= 5) throw new Error('bookings: could not draw unique references');
        for (const b of toInsert) b.reference = newReference();
        toRespond = toInsert.map((b) => accept(requestOf.get(b.id)!, b));
      }

      await recordPromoBookings(tx, accepted, now);
      const records = accepted.map((b) => recordOf(b, now));
      await enqueue(
        tx,
        records.flatMap((b) => deps.eventsFor(b)),
      );
      const totals = new Map<string, number>();
      for (const b of accepted)
        for (const i of b.items) totals.set(i.ticketTypeId, (totals.get(i.ticketTypeId) ?? 0) + i.quantity);
      const stock: StockItem[] = [...totals].map(([ticketTypeId, quantity]) => ({ ticketTypeId, quantity }));
      const short =
        (stock.length ? await reserveStock(tx, stock) : null) ??
        (seating && !(await seating.hold(tx, accepted, now)) ? { seatsMoved: true } : null);
      if (short) {
        if (round >= MAX_STOCK_ROUNDS)
          throw new Error('bookings: stock kept moving under a reservation batch');
        await tx.$executeRaw`ROLLBACK TO SAVEPOINT reserve_batch`;
        continue;
      }
      const free = accepted.filter((b) => b.status === 'CONFIRMED');
      if (free.length)
        await commitStock(
          tx,
          free.flatMap((b) => b.items.map((i) => ({ ticketTypeId: i.ticketTypeId, quantity: i.quantity }))),
        );
      for (const [r, result] of results) outcomes.set(r, { ok: result });
      return outcomes;
    }
  }

  /** Ticket types seen to be seated: a batch asking for one goes to the general path at once. */
  const seatedTypes = new Set<string>();

  /** Promo codes and seats have their own hooks (Prisma transaction): the general path. */
  const needsGeneralPath = (batch: Request[]) =>
    batch.some(
      (r) =>
        r.input.promoCode !== undefined ||
        r.input.items.some((i) => i.seatIds || i.together !== undefined || seatedTypes.has(i.ticketTypeId)),
    );

  /**
   * The common batch (no promo code, no seats) in its own transaction on a pg connection: the
   * same steps and answers as reserveBatch, folded into three statements (see "Two paths" above).
   * Null when the batch turns out to need the general path (a seated type): nothing was written.
   */
  async function reserveBatchOnPg(
    campaignId: string,
    requests: Request[],
    locked: () => void,
  ): Promise<Map<Request, Outcome> | null> {
    const typeIds = [...new Set(requests.flatMap((r) => r.input.items.map((i) => i.ticketTypeId)))];
    let client: SqlClient | undefined;
    try {
      client = await sql.connect();
      // pg emits 'error' on a checked-out client whose connection dies (PostgreSQL restarted, a
      // reset), besides failing its query; the pool listens only while a client is idle, and an
      // 'error' nobody listens to throws and takes the process down. The failed query answers
      // this batch (503), and the broken client is destroyed on release below.
      client.on('error', ignoreClientError);
      for (let round = 1; ; round++) {
        const now = clock.now();
        const outcomes = new Map<Request, Outcome>();
        // BEGIN is not awaited on its own: node-postgres sends the claim as soon as BEGIN is
        // answered, from its socket handler, without a turn of this (busy) event loop between.
        // Awaited together, so that when the connection fails neither rejection goes unhandled.
        const [, claimed] = await Promise.all([
          client.query('BEGIN'),
          repo.lockSalesAndClaimKeysOn(
            client,
            campaignId,
            requests.map((r) => ({ userId: r.actor.userId, key: r.key, requestHash: r.hash })),
            now,
          ),
        ]);
        locked();
        const fresh = requests.filter((r) => claimed.has(claimOf(r)));
        const used = requests.filter((r) => !claimed.has(claimOf(r)));
        const reads = await repo.readBatchOn(
          client,
          campaignId,
          [...new Set(fresh.map((r) => r.actor.userId))],
          used.map((r) => ({ userId: r.actor.userId, key: r.key })),
          saleForBookingSql.read(campaignId, typeIds),
        );
        answerStored(used, reads.stored, outcomes);
        if (!fresh.length) {
          await client.query('COMMIT');
          return outcomes;
        }
        const sale = saleForBookingSql.parse(reads.sale);
        const seated = (sale?.ticketTypes ?? []).filter((t) => t.seatZone);
        if (seated.length) {
          if (seatedTypes.size > 10_000) seatedTypes.clear();
          for (const t of seated) seatedTypes.add(t.id);
          await client.query('ROLLBACK');
          return null;
        }
        const plan = planBatch(sale, fresh, now, reads.held, promoPlanner(null), null);
        const records = plan.accepted.map((b) => recordOf(b, now));
        const events = records.flatMap((b) => deps.eventsFor(b));
        const moves = new Map<string, { ticketTypeId: string; held: number; sold: number }>();
        for (const b of plan.accepted)
          for (const i of b.items) {
            const m = moves.get(i.ticketTypeId) ?? { ticketTypeId: i.ticketTypeId, held: 0, sold: 0 };
            // A free booking is CONFIRMED at once: its tickets go straight to sold (commitStock).
            if (b.status === 'CONFIRMED') m.sold += i.quantity;
            else m.held += i.quantity;
            moves.set(i.ticketTypeId, m);
          }
        const written = await repo.writeBatchOn(
          client,
          {
            stock: saleForBookingSql.reserveStockCte('stock', [...moves.values()]),
            stockTypes: moves.size,
            bookings: plan.accepted,
            responses: plan.responses,
            outbox: (onlyIf) => outboxRowsCte('outbox', events, onlyIf),
          },
          now,
        );
        if (written.stockMoved && written.inserted === plan.accepted.length) {
          await client.query('COMMIT');
          for (const [r, result] of plan.results) outcomes.set(r, { ok: result });
          return outcomes;
        }
        // Stock taken meanwhile (a late payment) or a reference clash: nothing of this round stays.
        await client.query('ROLLBACK');
        if (round >= MAX_STOCK_ROUNDS)
          throw new Error('bookings: stock or references kept moving under a reservation batch');
      }
    } catch (err) {
      if (client) {
        const broken = await client.query('ROLLBACK').then(
          () => false,
          () => true,
        );
        client.off('error', ignoreClientError);
        client.release(broken);
        client = undefined;
      }
      throw err;
    } finally {
      client?.off('error', ignoreClientError);
      client?.release();
    }
  }

  async function run(
    campaignId: string,
    batch: Request[],
    locked: () => void,
  ): Promise<Map<Request, Outcome>> {
    try {
      const done = needsGeneralPath(batch) ? null : await reserveBatchOnPg(campaignId, batch, locked);
      if (done) return done;
      return await prisma.$transaction((tx) => reserveBatch(tx, campaignId, batch, locked), TX_OPTIONS);
    } catch (err) {
      locked();
      if (batch.length === 1) return new Map([[batch[0]!, { err }]]);
      // Isolate the failure: each request alone.
      const outcomes = new Map<Request, Outcome>();
      for (const r of batch) {
        const one = await run(campaignId, [r], () => {});
        outcomes.set(r, one.get(r)!);
      }
      return outcomes;
    }
  }

  /*
   * One lane per campaign with requests in this process. Its batches overlap by one step: as soon
   * as a batch holds the campaign's sales lock (its first statement has returned), the next batch
   * takes what queued meanwhile and sends its BEGIN and lock request, which PostgreSQL grants the
   * moment the batch before it commits. So the lock does not sit idle while this process answers
   * the batch before or sends the next BEGIN: per batch, what is serialised is the lock holder's
   * read, write and COMMIT. At most one batch per lane waits for the lock (`opening`); the other
   * requests wait in the queue, so a burst still goes in batches, taken in arrival order. The
   * overlap is for a queue of at least `overlapMin`: fewer wait for the running batch to end.
   */
  interface Lane {
    queue: Array<Request & { done(o: Outcome): void }>;
    /** A batch has started and does not hold the sales lock yet. */
    opening: boolean;
    /** Batches started and not finished. */
    running: number;
  }
  const lanes = new Map<string, Lane>();

  function startBatch(campaignId: string, lane: Lane): void {
    if (lane.opening) return;
    if (!lane.queue.length) {
      if (!lane.running) lanes.delete(campaignId);
      return;
    }
    // A few waiting go with the batch after the running one ends, together: a batch's cost is
    // mostly per batch, and splitting a light stream into many small overlapping batches costs
    // more CPU per reservation than the overlap saves.
    if (lane.running && lane.queue.length < overlapMin) return;
    const batch = lane.queue.splice(0, maxBatch);
    lane.opening = true;
    lane.running++;
    let handedOver = false;
    const locked = () => {
      if (handedOver) return;
      handedOver = true;
      lane.opening = false;
      startBatch(campaignId, lane);
    };
    void answer(campaignId, lane, batch, locked).finally(() => {
      lane.running--;
      locked();
      // Requests sent back to the queue (retries) when no batch is opening; else the lane ends.
      startBatch(campaignId, lane);
    });
  }

  async function answer(
    campaignId: string,
    lane: Lane,
    batch: Lane['queue'],
    locked: () => void,
  ): Promise<void> {
    // The same (user, key) twice in one batch: the first leads, the others take its answer.
    const leaders = new Map<string, (typeof batch)[number]>();
    const followers: Array<[(typeof batch)[number], (typeof batch)[number]]> = [];
    for (const r of batch) {
      const leader = leaders.get(claimOf(r));
      if (leader) followers.push([r, leader]);
      else leaders.set(claimOf(r), r);
    }
    const outcomes = await run(campaignId, [...leaders.values()], locked).catch(
      (err: unknown) => new Map<Request, Outcome>([...leaders.values()].map((r) => [r, { err }])),
    );
    const again: Lane['queue'] = [];
    for (const r of leaders.values()) {
      const o = outcomes.get(r) ?? { err: new Error('bookings: no outcome for a request') };
      if ('retry' in o) again.push(r);
      else r.done(o);
    }
    for (const [r, leader] of followers) {
      const o = outcomes.get(leader);
      if (!o || 'retry' in o) again.push(r);
      else if (r.hash !== leader.hash) r.done({ err: BookingErrors.idempotencyKeyReused() });
      else r.done('ok' in o ? { ok: { ...o.ok, replayed: true } } : o);
    }
    // Retried requests go first in the next batch (they arrived before the queued ones).
    if (again.length) lane.queue.unshift(...again);
  }

  return {
    /** Queues the request for its campaign's next batch and answers its own outcome. */
    submit(actor: Actor, key: string, hash: string, input: ReserveInput): Promise<ReserveResult> {
      return new Promise<ReserveResult>((resolve, reject) => {
        const request = {
          actor,
          key,
          hash,
          input,
          done: (o: Outcome) =>
            'ok' in o
              ? resolve(o.ok)
              : reject('err' in o ? o.err : new Error('bookings: unresolved request')),
        };
        let lane = lanes.get(input.campaignId);
        if (!lane) lanes.set(input.campaignId, (lane = { queue: [], opening: false, running: 0 }));
        lane.queue.push(request);
        // Taken now when no batch of this campaign is waiting for the lock, else by the next one.
        startBatch(input.campaignId, lane);
      });
    },
  };
}

/** The checked-out client's 'error' listener: its failed query already carries the error. */
function ignoreClientError(): void {}
