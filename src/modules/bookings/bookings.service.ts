import crypto from 'node:crypto';
import type { Clock } from '../../shared/clock';
import type { Config } from '../../shared/config';
import type { Db, Tx } from '../../shared/db';
import { AppError } from '../../shared/errors';
import { actsForSeller, isAdmin, type Actor } from '../../shared/http/authorize';
import { createEvent } from '../../shared/messaging/events';
import { enqueue } from '../../shared/outbox';
import {
  commitStock,
  getCampaignForSale,
  getCampaignsByIds,
  releaseStock,
  reserveStock,
  sellStock,
  unsellStock,
  type StockItem,
} from '../campaigns';
import { bookingDto } from './bookings.dto';
import { BookingErrors } from './bookings.errors';
import { BookingEvents, type BookingEventPayload } from './bookings.events';
import * as repo from './bookings.repository';
import type { BookingRecord, BookingStatus, ReserveInput } from './bookings.types';

/*
 * Booking state machine. Every arrow is ONE guarded UPDATE (`… WHERE id = $1 AND status IN
 * (from)`) on the booking row, and inventory counters move only when that UPDATE changed the row,
 * in the same transaction. Expiry, cancel, confirm and refund can therefore race on one booking:
 * the first to commit wins, the others see a status they do not start from and change nothing.
 *
 *                      reserve (total > 0)                 expire (scheduler, hold lapsed)
 *      (new) ───────────────────────────────► PENDING ─────────────────────────────────► EXPIRED
 *        │           reserved += q            │    │            reserved -= q                 │
 *        │                                    │    │ cancel (owner)                           │
 *        │ reserve (total = 0)                │    └──────────────────────► CANCELLED         │
 *        │ reserved += q; reserved → sold     │            reserved -= q        │             │
 *        ▼                                    │ confirm (payment)               │             │
 *    CONFIRMED ◄──────────────────────────────┘ reserved -= q, sold += q        │             │
 *     ▲     │                                                                   │             │
 *     │     │ refund (payments)                confirm after the hold lapsed:   │             │
 *     │     └──────────► REFUNDED              sold += q if room remains, else  │             │
 *     │                  sold -= q             REFUND_REQUIRED and no change    │             │
 *     └─────────────────────────────────────────────────────────────────────────┴─────────────┘
 *
 * Counter invariant this keeps (checked by test/support/inventory-invariant.ts): for every ticket
 * type, reserved = Σ quantity of its PENDING items, sold = Σ quantity of its CONFIRMED items, and
 * sold + reserved ≤ capacity (also a CHECK constraint on ticket_types).
 *
 * Lock order, the same everywhere so that no two transactions wait on each other in a cycle:
 * idempotency key row → booking row → customer advisory lock → ticket type rows (in id order,
 * inside the campaigns inventory functions). The expiry job skips locked booking rows instead of
 * waiting on them.
 */

export interface BookingDeps {
  prisma: Db;
  clock: Clock;
  config: Pick<Config, 'BOOKING_HOLD_MINUTES' | 'BOOKING_EXPIRY_BATCH_SIZE' | 'IDEMPOTENCY_KEY_TTL_HOURS'>;
}

export interface ReserveResult {
  status: number;
  body: unknown;
  /** True when this is the stored answer to an earlier request with the same key. */
  replayed: boolean;
}

export type RefundReason = 'SOLD_OUT' | 'DUPLICATE_PAYMENT' | 'ALREADY_REFUNDED' | 'CAMPAIGN_CLOSED' | 'CUSTOMER_LIMIT';
export type ConfirmResult =
  | { outcome: 'CONFIRMED'; booking: BookingRecord; late: boolean }
  | { outcome: 'ALREADY_CONFIRMED'; booking: BookingRecord }
  | { outcome: 'REFUND_REQUIRED'; reason: RefundReason; booking: BookingRecord };
export type RefundResult = { outcome: 'REFUNDED' | 'ALREADY_REFUNDED'; booking: BookingRecord };

/** What the payments module needs to charge for a booking and check the charge against it. */
export interface BookingForPayment {
  id: string;
  reference: string;
  userId: string;
  campaignId: string;
  sellerId: string;
  status: BookingStatus;
  totalMinor: number;
  currency: string;
  expiresAt: Date;
  paymentRef: string | null;
}

function forPayment(b: BookingRecord): BookingForPayment {
  const { id, reference, userId, campaignId, sellerId, status, totalMinor, currency, expiresAt, paymentRef } = b;
  return { id, reference, userId, campaignId, sellerId, status, totalMinor, currency, expiresAt, paymentRef };
}

// Under a burst every request of a web process queues for one of its pool's connections; the
// default 2 s wait would turn a queue into 500s. The transaction itself is short.
const TX_OPTIONS = { maxWait: 30_000, timeout: 30_000 };

const stockOf = (b: Pick<BookingRecord, 'items'>): StockItem[] => b.items.map((i) => ({ ticketTypeId: i.ticketTypeId, quantity: i.quantity }));

/** Same request ⇔ same hash: the semantic content of the body, item order ignored. */
export function requestHash(input: ReserveInput): string {
  const canonical = {
    campaignId: input.campaignId.toLowerCase(),
    issuance: input.issuance,
    accessCode: input.accessCode ?? null,
    items: input.items
      .map((i) => [i.ticketTypeId.toLowerCase(), i.quantity] as const)
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
  };
  return crypto.createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

/** The key's row vanished between claim and read (TTL purge): the attempt is retried. */
class IdempotencyRace extends Error {}

function errorBody(err: AppError) {
  return { error: { code: err.code, message: err.message, details: err.details } };
}

export function createBookingsService(deps: BookingDeps) {
  const { prisma, clock, config } = deps;
  const holdMs = config.BOOKING_HOLD_MINUTES * 60_000;

  function event(name: string, b: BookingRecord, previousStatus: BookingStatus | null, extra: Partial<BookingEventPayload> = {}) {
    const payload: BookingEventPayload = {
      bookingId: b.id,
      reference: b.reference,
      campaignId: b.campaignId,
      sellerId: b.sellerId,
      userId: b.userId,
      status: b.status,
      previousStatus,
      ticketTypeIds: b.items.map((i) => i.ticketTypeId),
      items: stockOf(b),
      totalMinor: b.totalMinor,
      currency: b.currency,
      paymentRef: b.paymentRef,
      ...extra,
    };
    return createEvent(name, payload, clock);
  }

  /** Runs `fn` on the caller's transaction, or on a new one. */
  function inTx<T>(tx: Tx | undefined, fn: (tx: Tx) => Promise<T>): Promise<T> {
    return tx ? fn(tx) : prisma.$transaction(fn, TX_OPTIONS);
  }

  /**
   * Checks a booking request against the campaign as it is now and prices it, without writing.
   * Also refuses at once when a plain read already shows too few tickets left: under a rush for
   * the last tickets most requests end here, cheaply. That read is only a shortcut; the
   * conditional UPDATE in reserveStock remains what decides. Throws an AppError for a refusal.
   */
  async function planBooking(tx: Tx, actor: Actor, input: ReserveInput, now: Date) {
    const sale = await getCampaignForSale(tx, input.campaignId, input.items.map((i) => i.ticketTypeId));
    if (!sale || sale.campaign.status === 'DRAFT') throw BookingErrors.campaignNotFound();
    const c = sale.campaign;
    if (c.status !== 'ACTIVE') throw BookingErrors.notOnSale(c.status);
    if (c.saleStartsAt && now < c.saleStartsAt) throw BookingErrors.saleNotStarted(c.saleStartsAt);
    if (now >= (c.saleEndsAt ?? c.endsAt)) throw BookingErrors.saleEnded();

    const types = new Map(sale.ticketTypes.map((t) => [t.id, t]));
    // A hidden type is sold only through its link; without the code it does not exist for the buyer.
    const unavailable = input.items.filter((i) => {
      const t = types.get(i.ticketTypeId);
      return !t || (t.hidden && (input.accessCode === undefined || t.accessCode !== input.accessCode));
    });
    if (unavailable.length) throw BookingErrors.ticketTypeUnavailable(unavailable.map((i) => i.ticketTypeId));

    const id = crypto.randomUUID();
    const items = input.items.map((i) => {
      const t = types.get(i.ticketTypeId)!;
      if (t.saleStartsAt && now < t.saleStartsAt) throw BookingErrors.typeSaleNotStarted(t.name, t.id, t.saleStartsAt);
      if (t.saleEndsAt && now >= t.saleEndsAt) throw BookingErrors.typeSaleEnded(t.name, t.id);
      if (i.quantity < t.minPerOrder || i.quantity > t.maxPerOrder) {
        throw BookingErrors.quantityOutOfRange(t.name, t.id, t.minPerOrder, t.maxPerOrder);
      }
      const left = t.capacity - t.sold - t.reserved;
      if (left < i.quantity) throw BookingErrors.soldOut(t.name, t.id, Math.max(0, left));
      return {
        id: crypto.randomUUID(),
        bookingId: id,
        ticketTypeId: t.id,
        ticketTypeName: t.name,
        // The price is fixed here: a later price change applies to new bookings only.
        unitPriceMinor: t.priceMinor,
        quantity: i.quantity,
        entriesPerTicket: t.entriesPerTicket,
        lineTotalMinor: t.priceMinor * i.quantity,
      };
    });
    const requested = items.reduce((n, i) => n + i.quantity, 0);
    // Checked again, race-free, when inserting (insertBooking); this only spares a write.
    if (requested > c.maxTicketsPerCustomer) throw BookingErrors.customerLimit(c.maxTicketsPerCustomer, 0);

    const totalMinor = items.reduce((n, i) => n + i.lineTotalMinor, 0);
    if (!Number.isSafeInteger(totalMinor)) throw BookingErrors.tooLarge();
    const free = totalMinor === 0;
    const booking: Omit<BookingRecord, 'reference'> & { status: 'PENDING' | 'CONFIRMED' } = {
      id,
      userId: actor.userId,
      campaignId: c.id,
      sellerId: c.sellerId,
      status: free ? 'CONFIRMED' : 'PENDING',
      issuance: input.issuance,
      currency: c.currency,
      totalMinor,
      expiresAt: new Date(now.getTime() + holdMs),
      paymentRef: null,
      confirmedAt: free ? now : null,
      expiredAt: null,
      cancelledAt: null,
      refundedAt: null,
      createdAt: now,
      updatedAt: now,
      items: items.sort((a, b) => (a.ticketTypeId < b.ticketTypeId ? -1 : 1)),
    };
    return { booking, maxPerCustomer: c.maxTicketsPerCustomer };
  }

  /**
   * One attempt of a reservation inside its transaction, as few statements as it can be (each
   * is a round trip on the hot path):
   *   1. customer lock + idempotency key claim (lockCustomerAndClaimKey explains both);
   *   2. the campaign and its types (campaigns' public API), checks, no writes;
   *   3. SAVEPOINT, then the booking, its items and the key's 201 response in one statement,
   *      guarded by the per-customer maximum; then the events (outbox);
   *   4. the stock: reserveStock's conditional UPDATE, LAST, so that the ticket type row (the
   *      hot spot every buyer of the type queues on) stays locked only for that statement and
   *      the COMMIT. Its WHERE (sold + reserved + q <= capacity) is re-checked on the latest row
   *      version after any wait, which is what makes overselling impossible.
   * A business refusal rolls back to the savepoint (no booking, item, event or counter change
   * survives) and is stored as the key's response in the same transaction, so one key always
   * answers one outcome. An unexpected error rolls back everything, key included: a retry with
   * the same key then runs afresh.
   */
  async function reserveOnce(tx: Tx, actor: Actor, key: string, hash: string, input: ReserveInput): Promise<ReserveResult> {
    const now = clock.now();
    if (!(await repo.lockCustomerAndClaimKey(tx, actor.userId, input.campaignId, key, hash, now))) {
      const stored = await repo.findIdempotencyRecord(tx, actor.userId, key);
      // Deleted by the TTL purge between the two statements: the caller retries, and claims it.
      if (!stored) throw new IdempotencyRace();
      if (stored.requestHash !== hash) throw BookingErrors.idempotencyKeyReused();
      if (stored.responseStatus === null) throw new Error('bookings: an idempotency key was committed without its response');
      return { status: stored.responseStatus, body: stored.responseBody, replayed: true };
    }

    let savepoint = false;
    try {
      const { booking: planned, maxPerCustomer } = await planBooking(tx, actor, input, now);
      await tx.$executeRaw`SAVEPOINT reserve_booking`;
      savepoint = true;
      const inserted = await repo.insertBooking(tx, planned, now, { maxPerCustomer }, { key, response: (reference) => bookingDto({ ...planned, reference }) });
      if (!inserted.inserted) throw BookingErrors.customerLimit(maxPerCustomer, inserted.held);
      const booking: BookingRecord = { ...planned, reference: inserted.reference };
      const events = [event(BookingEvents.reserved, booking, null)];
      if (booking.status === 'CONFIRMED') events.push(event(BookingEvents.confirmed, booking, null));
      await enqueue(tx, events);

      const stock = stockOf(booking);
      const short = await reserveStock(tx, stock);
      if (short) {
        const item = booking.items.find((i) => i.ticketTypeId === short.ticketTypeId);
        throw BookingErrors.soldOut(item?.ticketTypeName ?? 'This ticket type', short.ticketTypeId, short.available);
      }
      if (booking.status === 'CONFIRMED') await commitStock(tx, stock);
      return { status: 201, body: bookingDto(booking), replayed: false };
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      if (savepoint) await tx.$executeRaw`ROLLBACK TO SAVEPOINT reserve_booking`;
      const body = errorBody(err);
      await repo.saveIdempotentResponse(tx, actor.userId, key, err.status, body);
      return { status: err.status, body, replayed: false };
    }
  }

  return {
    /**
     * Reserves tickets for the actor: 201 with a PENDING booking holding its stock until
     * expiresAt (CONFIRMED at once when free), or a refusal with nothing written. The same key
     * with the same body answers the first response; with another body, IDEMPOTENCY_KEY_REUSED.
     */
    async reserveBooking(actor: Actor, idempotencyKey: string, input: ReserveInput): Promise<ReserveResult> {
      const seen = new Set<string>();
      for (const i of input.items) {
        if (seen.has(i.ticketTypeId)) {
          throw AppError.validation('Each ticket type may appear once in items', [{ field: 'items', message: 'duplicate ticket type', ticketTypeId: i.ticketTypeId }]);
        }
        seen.add(i.ticketTypeId);
      }
      const hash = requestHash(input);
      for (let attempt = 0; ; attempt++) {
        try {
          return await prisma.$transaction((tx) => reserveOnce(tx, actor, idempotencyKey, hash, input), TX_OPTIONS);
        } catch (err) {
          if (err instanceof IdempotencyRace && attempt < 3) continue;
          throw err;
        }
      }
    },

    /** PENDING → CANCELLED by its owner, releasing the held stock. Cancelling twice answers the cancelled booking. */
    async cancelBooking(actor: Actor, bookingId: string): Promise<BookingRecord> {
      return prisma.$transaction(async (tx) => {
        const now = clock.now();
        const moved = await repo.transitionBooking(tx, bookingId, ['PENDING'], 'CANCELLED', { cancelledAt: now }, now, actor.userId);
        const b = await repo.findBooking(tx, bookingId);
        // Someone else's booking answers 404, like one that does not exist.
        if (!b || b.userId !== actor.userId) throw BookingErrors.notFound();
        if (!moved) {
          if (b.status === 'CANCELLED') return b;
          throw BookingErrors.notCancellable(b.status);
        }
        await releaseStock(tx, stockOf(b));
        await enqueue(tx, event(BookingEvents.cancelled, b, 'PENDING'));
        return b;
      }, TX_OPTIONS);
    },

    /**
     * For the payments module, after a verified payment: PENDING → CONFIRMED (reserved → sold).
     * Idempotent for the same paymentRef. A payment that lands after the hold lapsed (EXPIRED or
     * CANCELLED) takes stock again straight into sold if there is room and the customer's limit
     * allows; otherwise, and for a second payment of a paid booking, it answers REFUND_REQUIRED
     * and changes nothing. Runs on `tx` when given (the payment's own transaction).
     */
    confirmBooking(tx: Tx | undefined, bookingId: string, paymentRef: string): Promise<ConfirmResult> {
      return inTx(tx, async (tx) => {
        const now = clock.now();
        const b = await repo.lockBooking(tx, bookingId);
        if (!b) throw BookingErrors.notFound();
        if (b.status === 'CONFIRMED') {
          return b.paymentRef === paymentRef
            ? { outcome: 'ALREADY_CONFIRMED', booking: b }
            : { outcome: 'REFUND_REQUIRED', reason: 'DUPLICATE_PAYMENT', booking: b };
        }
        if (b.status === 'REFUNDED') return { outcome: 'REFUND_REQUIRED', reason: 'ALREADY_REFUNDED', booking: b };

        const [campaign] = await getCampaignsByIds(tx, [b.campaignId]);
        // Tickets for a cancelled or finished campaign are worth nothing: the money goes back.
        if (!campaign || campaign.status === 'CANCELLED' || campaign.status === 'ENDED') {
          return { outcome: 'REFUND_REQUIRED', reason: 'CAMPAIGN_CLOSED', booking: b };
        }

        if (b.status === 'PENDING') {
          // The stock is still held for this booking (even past expiresAt until the job runs), so it can be sold.
          if (!(await repo.transitionBooking(tx, b.id, ['PENDING'], 'CONFIRMED', { paymentRef, confirmedAt: now }, now))) {
            throw new Error(`bookings: guarded confirm of locked booking ${b.id} changed nothing`);
          }
          await commitStock(tx, stockOf(b));
          const confirmed = { ...b, status: 'CONFIRMED' as const, paymentRef, confirmedAt: now, updatedAt: now };
          await enqueue(tx, event(BookingEvents.confirmed, confirmed, 'PENDING', { late: false }));
          return { outcome: 'CONFIRMED', booking: confirmed, late: false };
        }

        // EXPIRED or CANCELLED: the hold is gone; selling again must pass the same checks as a new sale.
        if (campaign.status !== 'ACTIVE') return { outcome: 'REFUND_REQUIRED', reason: 'CAMPAIGN_CLOSED', booking: b };
        await repo.lockCustomerOnCampaign(tx, b.userId, b.campaignId);
        const held = await repo.ticketsHeldByCustomer(tx, b.userId, b.campaignId, b.id);
        const quantity = b.items.reduce((n, i) => n + i.quantity, 0);
        if (held + quantity > campaign.maxTicketsPerCustomer) return { outcome: 'REFUND_REQUIRED', reason: 'CUSTOMER_LIMIT', booking: b };
        // sellStock may move some types before finding one short: the savepoint undoes those.
        await tx.$executeRaw`SAVEPOINT late_confirm`;
        const short = await sellStock(tx, stockOf(b));
        if (short) {
          await tx.$executeRaw`ROLLBACK TO SAVEPOINT late_confirm`;
          return { outcome: 'REFUND_REQUIRED', reason: 'SOLD_OUT', booking: b };
        }
        if (!(await repo.transitionBooking(tx, b.id, [b.status], 'CONFIRMED', { paymentRef, confirmedAt: now }, now))) {
          throw new Error(`bookings: guarded late confirm of locked booking ${b.id} changed nothing`);
        }
        await tx.$executeRaw`RELEASE SAVEPOINT late_confirm`;
        const confirmed = { ...b, status: 'CONFIRMED' as const, paymentRef, confirmedAt: now, updatedAt: now };
        await enqueue(tx, event(BookingEvents.confirmed, confirmed, b.status, { late: true }));
        return { outcome: 'CONFIRMED', booking: confirmed, late: true };
      });
    },

    /**
     * For the payments module once money went back: CONFIRMED → REFUNDED, sold -= q, and
     * booking.cancelled (status REFUNDED) so tickets are revoked. Idempotent; any other status is refused.
     */
    refundBooking(tx: Tx | undefined, bookingId: string): Promise<RefundResult> {
      return inTx(tx, async (tx) => {
        const now = clock.now();
        const b = await repo.lockBooking(tx, bookingId);
        if (!b) throw BookingErrors.notFound();
        if (b.status === 'REFUNDED') return { outcome: 'ALREADY_REFUNDED', booking: b };
        if (!(await repo.transitionBooking(tx, b.id, ['CONFIRMED'], 'REFUNDED', { refundedAt: now }, now))) {
          throw BookingErrors.notRefundable(b.status);
        }
        await unsellStock(tx, stockOf(b));
        const refunded = { ...b, status: 'REFUNDED' as const, refundedAt: now, updatedAt: now };
        await enqueue(tx, event(BookingEvents.cancelled, refunded, 'CONFIRMED'));
        return { outcome: 'REFUNDED', booking: refunded };
      });
    },

    /**
     * Scheduler job: PENDING bookings past expiresAt → EXPIRED, their stock released, one
     * booking.expired each. Rows are claimed with FOR UPDATE SKIP LOCKED, so several schedulers
     * share the work and a booking being confirmed or cancelled right now is skipped (and left
     * to whoever holds it); the guarded UPDATE means a booking that moved on is never expired.
     * Returns how many bookings expired.
     */
    async expireDueBookings(batchSize = config.BOOKING_EXPIRY_BATCH_SIZE): Promise<number> {
      let total = 0;
      for (;;) {
        const { claimed, expired } = await prisma.$transaction(async (tx) => {
          const now = clock.now();
          const ids = await repo.lockDueToExpire(tx, now, batchSize);
          const moved = await repo.expireBookings(tx, ids, now);
          // One UPDATE per ticket type for the whole batch instead of one per booking.
          const byType = new Map<string, number>();
          for (const b of moved) for (const i of b.items) byType.set(i.ticketTypeId, (byType.get(i.ticketTypeId) ?? 0) + i.quantity);
          if (byType.size) await releaseStock(tx, [...byType].map(([ticketTypeId, quantity]) => ({ ticketTypeId, quantity })));
          await enqueue(tx, moved.map((b) => event(BookingEvents.expired, b, 'PENDING')));
          return { claimed: ids.length, expired: moved.length };
        }, TX_OPTIONS);
        total += expired;
        if (claimed < batchSize) return total;
      }
    },

    /** Scheduler job: forgets idempotency keys older than IDEMPOTENCY_KEY_TTL_HOURS. */
    async purgeIdempotencyKeys(): Promise<number> {
      const cutoff = new Date(clock.now().getTime() - config.IDEMPOTENCY_KEY_TTL_HOURS * 3_600_000);
      let total = 0;
      for (;;) {
        const n = await repo.deleteIdempotencyKeysBefore(prisma, cutoff, 1000);
        total += n;
        if (n < 1000) return total;
      }
    },

    /** The booking for its buyer, the campaign's seller or their team, or an admin; 404 for anyone else. */
    async getBookingForActor(actor: Actor, bookingId: string): Promise<BookingRecord> {
      const b = await repo.findBooking(prisma, bookingId);
      if (!b || !(b.userId === actor.userId || isAdmin(actor) || actsForSeller(actor, b.sellerId))) throw BookingErrors.notFound();
      return b;
    },

    /** The actor's own bookings, newest first, keyset-paginated. */
    listMyBookings(actor: Actor, limit: number, after?: { createdAt: Date; id: string }): Promise<BookingRecord[]> {
      return repo.listUserBookings(prisma, actor.userId, limit, after);
    },

    /** A booking with its items, for other modules (tickets, payments). */
    getBooking(bookingId: string, db: Db | Tx = prisma): Promise<BookingRecord | null> {
      return repo.findBooking(db, bookingId);
    },

    /** Amount, currency, owner, status and hold time of a booking, for starting or checking a payment. */
    async getBookingForPayment(bookingId: string, db: Db | Tx = prisma): Promise<BookingForPayment | null> {
      const b = await repo.findBooking(db, bookingId);
      return b ? forPayment(b) : null;
    },

    /**
     * A page of a campaign's CONFIRMED bookings in id order, after `afterId` (for the payments
     * module's refunds when the campaign is cancelled). Pass the last id of a page to get the next.
     */
    async listConfirmedBookingsOfCampaign(campaignId: string, opts: { limit: number; afterId?: string }, db: Db | Tx = prisma): Promise<BookingForPayment[]> {
      const rows = await repo.listConfirmedByCampaign(db, campaignId, opts.limit, opts.afterId);
      return rows.map(forPayment);
    },
  };
}

export type BookingsService = ReturnType<typeof createBookingsService>;
