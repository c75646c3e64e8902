import crypto from 'node:crypto';
import type { Clock } from '../../shared/clock';
import type { Config } from '../../shared/config';
import type { Db, SqlPool, Tx } from '../../shared/db';
import { AppError } from '../../shared/errors';
import { actsForSeller, isAdmin, type Actor } from '../../shared/http/authorize';
import { createEvent } from '../../shared/messaging/events';
import { enqueue } from '../../shared/outbox';
import {
  commitStock,
  getCampaignsByIds,
  releaseStock,
  sellStock,
  unsellStock,
  type StockItem,
} from '../campaigns';
import { confirmPromoUse, releasePromoUses } from '../promotions';
import { BookingErrors } from './bookings.errors';
import { BookingEvents, type BookingEventPayload } from './bookings.events';
import { createExpiryWarnings } from './bookings.expiring';
import { createHolds } from './bookings.holds';
import { createReservations, TX_OPTIONS, type ReserveResult } from './bookings.reserve';
import * as repo from './bookings.repository';
import {
  commitBookingSeats,
  releaseBookingSeats,
  retakeBookingSeats,
  unsellBookingSeats,
  withSeats,
} from './bookings.seats';
import type { BookingRecord, BookingStatus, ReserveInput } from './bookings.types';
import { createWaitlist } from './bookings.waitlist';

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
 * booking row → campaign sales lock (advisory) → idempotency key rows → ticket type rows (in id
 * order, inside the campaigns inventory functions). Reservation batches never wait on a booking
 * row; the expiry job skips locked booking rows instead of waiting on them.
 * Reservations themselves run in group transactions: see bookings.reserve.ts.
 */

export interface BookingDeps {
  prisma: Db;
  /** The pg pool under `prisma` (the common reservation batch runs on it: bookings.reserve.ts). */
  sql: SqlPool;
  clock: Clock;
  config: Pick<
    Config,
    | 'BOOKING_HOLD_MINUTES'
    | 'BOOKING_EXPIRY_BATCH_SIZE'
    | 'IDEMPOTENCY_KEY_TTL_HOURS'
    | 'BOOKING_BATCH_MAX'
    | 'BOOKING_BATCH_OVERLAP_MIN'
    | 'WAITLIST_OFFER_MINUTES'
    | 'BOOKING_HOLD_EXTENSION_MINUTES'
    | 'BOOKING_HOLD_MAX_MINUTES'
    | 'BOOKING_EXPIRY_WARNING_MINUTES'
  >;
}

export type { ReserveResult };
export type RefundReason =
  'SOLD_OUT' | 'DUPLICATE_PAYMENT' | 'ALREADY_REFUNDED' | 'CAMPAIGN_CLOSED' | 'CUSTOMER_LIMIT';
export type ConfirmResult =
  | { outcome: 'CONFIRMED'; booking: BookingRecord; late: boolean }
  | { outcome: 'ALREADY_CONFIRMED'; booking: BookingRecord }
  | { outcome: 'REFUND_REQUIRED'; reason: RefundReason; booking: BookingRecord };
export type RefundResult = { outcome: 'REFUNDED' | 'ALREADY_REFUNDED'; booking: BookingRecord };

const FOR_PAYMENT = [
  'id',
  'reference',
  'userId',
  'campaignId',
  'sellerId',
  'status',
  'totalMinor',
  'currency',
  'expiresAt',
  'paymentRef',
] as const;

/** What the payments module needs to charge for a booking and check the charge against it. */
export type BookingForPayment = Pick<BookingRecord, (typeof FOR_PAYMENT)[number]>;

function forPayment(b: BookingRecord): BookingForPayment {
  return Object.fromEntries(FOR_PAYMENT.map((k) => [k, b[k]])) as BookingForPayment;
}

/** The booking as it is once a guarded confirm by `paymentRef` has committed. */
const confirmedRecord = (b: BookingRecord, paymentRef: string, now: Date): BookingRecord => ({
  ...b,
  status: 'CONFIRMED',
  paymentRef,
  confirmedAt: now,
  updatedAt: now,
});

const stockOf = (b: Pick<BookingRecord, 'items'>): StockItem[] =>
  b.items.map((i) => ({ ticketTypeId: i.ticketTypeId, quantity: i.quantity }));

/** Same request ⇔ same hash: the semantic content of the body, item order ignored. */
export function requestHash(input: ReserveInput): string {
  const canonical = {
    campaignId: input.campaignId.toLowerCase(),
    issuance: input.issuance,
    accessCode: input.accessCode ?? null,
    // Only when given, so that the hash of a request without one is what it always was.
    ...(input.promoCode ? { promoCode: input.promoCode.trim().toUpperCase() } : {}),
    // Seat fields only when present, so a general-admission request hashes as it always did.
    items: input.items
      .map((i) =>
        i.seatIds || i.together !== undefined
          ? ([
              i.ticketTypeId.toLowerCase(),
              i.quantity,
              [...(i.seatIds ?? [])].sort(),
              i.together ?? null,
            ] as const)
          : ([i.ticketTypeId.toLowerCase(), i.quantity] as const),
      )
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
  };
  return crypto.createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

export function createBookingsService(deps: BookingDeps) {
  const { prisma, clock, config } = deps;
  const holdMs = config.BOOKING_HOLD_MINUTES * 60_000;

  function event(
    name: string,
    b: BookingRecord,
    previousStatus: BookingStatus | null,
    extra: Partial<BookingEventPayload> = {},
  ) {
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

  /** Releases the stock of bookings that just left PENDING: one UPDATE per ticket type, not per booking. */
  async function releaseHeldStock(tx: Tx, moved: BookingRecord[]): Promise<void> {
    const byType = new Map<string, number>();
    for (const b of moved)
      for (const i of b.items) byType.set(i.ticketTypeId, (byType.get(i.ticketTypeId) ?? 0) + i.quantity);
    if (byType.size)
      await releaseStock(
        tx,
        [...byType].map(([ticketTypeId, quantity]) => ({ ticketTypeId, quantity })),
      );
    if (moved.length)
      await releaseBookingSeats(
        tx,
        moved.map((b) => b.id),
        clock.now(),
      );
  }

  const newBookingEvents = (b: BookingRecord) => [
    event(BookingEvents.reserved, b, null),
    ...(b.status === 'CONFIRMED' ? [event(BookingEvents.confirmed, b, null)] : []),
  ];

  const waitlist = createWaitlist({
    prisma,
    clock,
    offerMs: config.WAITLIST_OFFER_MINUTES * 60_000,
    holdMs,
    batchSize: config.BOOKING_EXPIRY_BATCH_SIZE,
    eventsFor: newBookingEvents,
    txOptions: TX_OPTIONS,
  });

  /**
   * What else happens in the transaction that just moved bookings out of PENDING or CONFIRMED
   * and gave their stock back: their promo code uses go back (promotions), and the stock goes to
   * the types' waiting lists before the public (bookings.waitlist.ts explains why it must be here).
   */
  async function afterStockFreed(tx: Tx, moved: BookingRecord[], now: Date): Promise<void> {
    const withCode = moved.filter((b) => b.promoCodeId).map((b) => b.id);
    if (withCode.length) await releasePromoUses(tx, withCode, now);
    await waitlist.offerFreedStock(tx, [
      ...new Set(moved.flatMap((b) => b.items.map((i) => i.ticketTypeId))),
    ]);
  }

  const reservations = createReservations({
    prisma,
    sql: deps.sql,
    clock,
    holdMs,
    maxBatch: config.BOOKING_BATCH_MAX,
    overlapMin: config.BOOKING_BATCH_OVERLAP_MIN,
    eventsFor: newBookingEvents,
  });

  return {
    ...createHolds({ prisma, clock, config }),
    ...createExpiryWarnings({ prisma, clock, config }),

    /**
     * Reserves tickets for the actor: 201 with a PENDING booking holding its stock until
     * expiresAt (CONFIRMED at once when free), or a refusal with nothing written. The same key
     * with the same body answers the first response; with another body, IDEMPOTENCY_KEY_REUSED.
     */
    async reserveBooking(actor: Actor, idempotencyKey: string, input: ReserveInput): Promise<ReserveResult> {
      const seen = new Set<string>();
      for (const i of input.items) {
        if (seen.has(i.ticketTypeId)) {
          throw AppError.validation('Each ticket type may appear once in items', [
            { field: 'items', message: 'duplicate ticket type', ticketTypeId: i.ticketTypeId },
          ]);
        }
        seen.add(i.ticketTypeId);
        if (i.seatIds && new Set(i.seatIds).size !== i.seatIds.length)
          throw AppError.validation('A seat may appear once', [
            { field: 'items', message: 'duplicate seat', ticketTypeId: i.ticketTypeId },
          ]);
      }
      return reservations.submit(actor, idempotencyKey, requestHash(input), input);
    },

    /** PENDING → CANCELLED by its owner, releasing the held stock. Cancelling twice answers the cancelled booking. */
    async cancelBooking(actor: Actor, bookingId: string): Promise<BookingRecord> {
      return prisma.$transaction(async (tx) => {
        const now = clock.now();
        const moved = await repo.transitionBooking(
          tx,
          bookingId,
          ['PENDING'],
          'CANCELLED',
          { cancelledAt: now },
          now,
          actor.userId,
        );
        const b = await repo.findBooking(tx, bookingId);
        // Someone else's booking answers 404, like one that does not exist.
        if (!b || b.userId !== actor.userId) throw BookingErrors.notFound();
        if (!moved) {
          if (b.status === 'CANCELLED') return b;
          throw BookingErrors.notCancellable(b.status);
        }
        await releaseStock(tx, stockOf(b));
        await releaseBookingSeats(tx, [b.id], now);
        await afterStockFreed(tx, [b], now);
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
        if (b.status === 'REFUNDED')
          return { outcome: 'REFUND_REQUIRED', reason: 'ALREADY_REFUNDED', booking: b };

        const [campaign] = await getCampaignsByIds(tx, [b.campaignId]);
        // Tickets for a cancelled or finished campaign are worth nothing: the money goes back.
        if (!campaign || campaign.status === 'CANCELLED' || campaign.status === 'ENDED') {
          return { outcome: 'REFUND_REQUIRED', reason: 'CAMPAIGN_CLOSED', booking: b };
        }

        if (b.status === 'PENDING') {
          // The stock is still held for this booking (even past expiresAt until the job runs), so it can be sold.
          if (
            !(await repo.transitionBooking(
              tx,
              b.id,
              ['PENDING'],
              'CONFIRMED',
              { paymentRef, confirmedAt: now },
              now,
            ))
          ) {
            throw new Error(`bookings: guarded confirm of locked booking ${b.id} changed nothing`);
          }
          await commitStock(tx, stockOf(b));
          if (b.promoCodeId) await confirmPromoUse(tx, b.id, now);
          await commitBookingSeats(tx, b.id, now);
          const confirmed = confirmedRecord(b, paymentRef, now);
          await enqueue(tx, event(BookingEvents.confirmed, confirmed, 'PENDING', { late: false }));
          return { outcome: 'CONFIRMED', booking: confirmed, late: false };
        }

        // EXPIRED or CANCELLED: the hold is gone; selling again must pass the same checks as a new sale.
        if (campaign.status !== 'ACTIVE')
          return { outcome: 'REFUND_REQUIRED', reason: 'CAMPAIGN_CLOSED', booking: b };
        // The same sales lock as reservation batches: the customer's count cannot move under us.
        await repo.lockCampaignSales(tx, b.campaignId);
        const held =
          (await repo.ticketsHeldByCustomers(tx, b.campaignId, [b.userId], b.id)).get(b.userId) ?? 0;
        const quantity = b.items.reduce((n, i) => n + i.quantity, 0);
        if (held + quantity > campaign.maxTicketsPerCustomer)
          return { outcome: 'REFUND_REQUIRED', reason: 'CUSTOMER_LIMIT', booking: b };
        // sellStock may move some types before finding one short: the savepoint undoes those.
        await tx.$executeRaw`SAVEPOINT late_confirm`;
        const shortType = await sellStock(tx, stockOf(b));
        const seats = shortType ? null : await retakeBookingSeats(tx, b.id, now);
        if (shortType || !seats) {
          await tx.$executeRaw`ROLLBACK TO SAVEPOINT late_confirm`;
          return { outcome: 'REFUND_REQUIRED', reason: 'SOLD_OUT', booking: b };
        }
        if (
          !(await repo.transitionBooking(
            tx,
            b.id,
            [b.status],
            'CONFIRMED',
            { paymentRef, confirmedAt: now, ...(seats.changed ? { seatsChangedAt: now } : {}) },
            now,
          ))
        ) {
          throw new Error(`bookings: guarded late confirm of locked booking ${b.id} changed nothing`);
        }
        await tx.$executeRaw`RELEASE SAVEPOINT late_confirm`;
        // The buyer paid the discounted price: the booking keeps its code (see promotions.uses.ts).
        if (b.promoCodeId) await confirmPromoUse(tx, b.id, now);
        const confirmed = {
          ...confirmedRecord(b, paymentRef, now),
          ...(seats.seats.length ? { seats: seats.seats } : {}),
          ...(seats.changed ? { seatsChangedAt: now } : {}),
        };
        await enqueue(
          tx,
          event(BookingEvents.confirmed, confirmed, b.status, {
            late: true,
            ...(seats.changed ? { seatsChanged: true } : {}),
          }),
        );
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
        await unsellBookingSeats(tx, b.id, now);
        await afterStockFreed(tx, [b], now);
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
          await releaseHeldStock(tx, moved);
          await afterStockFreed(tx, moved, now);
          await enqueue(
            tx,
            moved.map((b) => event(BookingEvents.expired, b, 'PENDING')),
          );
          return { claimed: ids.length, expired: moved.length };
        }, TX_OPTIONS);
        total += expired;
        if (claimed < batchSize) return total;
      }
    },

    /**
     * For the campaigns module, inside the transaction that cancels the campaign: every PENDING
     * hold of it → CANCELLED, its stock released, one booking.cancelled each with
     * `cause: 'CAMPAIGN_CANCELLED'` (the email worker tells the buyer; the booking keeps the cause
     * for its page). Returns how many moved.
     *
     * Invariant: once the campaign's cancellation commits, no PENDING booking of it remains. Rows
     * are locked in id order and waited for (not skipped: a skipped hold would stay PENDING with
     * "Pay" on a dead campaign); then the campaign sales lock, which every reservation batch
     * holds while it reads the campaign and inserts, so a batch that committed meanwhile is seen
     * by the second pass and one still waiting reads CANCELLED and refuses. Lock order is booking
     * rows → sales lock → ticket type rows, as documented above; a confirm holding one of the
     * rows commits first (and payments' campaign.cancelled consumer then refunds it), and one
     * that comes after sees CANCELLED and answers REFUND_REQUIRED. If the sales lock were not
     * taken here, a reservation committing during the cancel would leave a live hold behind.
     */
    async cancelHoldsOfCampaign(tx: Tx, campaignId: string, now: Date): Promise<number> {
      const first = await repo.lockPendingOfCampaign(tx, campaignId);
      await repo.lockCampaignSales(tx, campaignId);
      const late = (await repo.lockPendingOfCampaign(tx, campaignId)).filter((id) => !first.includes(id));
      const moved = await repo.cancelBookingsOfCampaign(tx, [...first, ...late], now);
      await releaseHeldStock(tx, moved);
      // Nothing is offered from a cancelled campaign: its open offers are withdrawn, its lines closed.
      const withCode = moved.filter((b) => b.promoCodeId).map((b) => b.id);
      if (withCode.length) await releasePromoUses(tx, withCode, now);
      await waitlist.withdrawOffersOfCampaign(tx, campaignId, now);
      await enqueue(
        tx,
        moved.map((b) => event(BookingEvents.cancelled, b, 'PENDING', { cause: 'CAMPAIGN_CANCELLED' })),
      );
      return moved.length;
    },

    /** Waiting lists: join, leave, list, claim an offer; the offer-expiry job; freed stock to the line first. */
    offerFreedStock: waitlist.offerFreedStock,
    expireDueOffers: waitlist.expireDueOffers,
    joinWaitlist: waitlist.joinWaitlist,
    leaveWaitlist: waitlist.leaveWaitlist,
    listMyWaitlist: waitlist.listMyWaitlist,
    getOffer: waitlist.getOffer,
    getOfferForActor: waitlist.getOfferForActor,
    claimOffer: waitlist.claimOffer,

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
      if (!b || !(b.userId === actor.userId || isAdmin(actor) || actsForSeller(actor, b.sellerId)))
        throw BookingErrors.notFound();
      return (await withSeats(prisma, [b]))[0]!;
    },

    /** The actor's own bookings, newest first, keyset-paginated. */
    listMyBookings(
      actor: Actor,
      limit: number,
      after?: { createdAt: Date; id: string },
    ): Promise<BookingRecord[]> {
      return repo.listUserBookings(prisma, actor.userId, limit, after);
    },

    /** Confirmed sales of a campaign by ticket type and by day in its zone, and how many bookings were started (for seller analytics). */
    getCampaignSalesStats(campaignId: string, timeZone: string) {
      return repo.campaignSalesStats(prisma, campaignId, timeZone);
    },

    /**
     * A page of one campaign's bookings for its seller's order list (newest first) and the
     * number matching. No authorization here: the caller checked the actor manages the campaign.
     */
    listCampaignBookings(
      campaignId: string,
      filter: repo.CampaignBookingFilter,
      page: { limit: number; offset: number },
    ): Promise<{ items: BookingRecord[]; total: number }> {
      return repo.listCampaignBookings(prisma, campaignId, filter, page);
    },

    /** A booking with its items and seats, for other modules (tickets, payments). */
    async getBooking(bookingId: string, db: Db | Tx = prisma): Promise<BookingRecord | null> {
      const b = await repo.findBooking(db, bookingId);
      return b && (await withSeats(db, [b]))[0]!;
    },

    /** Amount, currency, owner, status and hold time of a booking, for starting or checking a payment. */
    async getBookingForPayment(bookingId: string, db: Db | Tx = prisma): Promise<BookingForPayment | null> {
      const b = await repo.findBooking(db, bookingId);
      return b ? forPayment(b) : null;
    },

    /**
     * A page of a campaign's buyers (user ids, ascending, after `afterUserId`), for telling them
     * about a change (`HOLDERS`: paid or pending bookings) or a cancellation (`CANCELLED`: also those
     * it refunded or whose hold it cancelled).
     */
    listCampaignBuyerIds(
      campaignId: string,
      audience: 'HOLDERS' | 'CANCELLED',
      opts: { limit: number; afterUserId?: string },
      db: Db | Tx = prisma,
    ): Promise<string[]> {
      return repo.listCampaignBuyerIds(db, campaignId, audience, opts.limit, opts.afterUserId);
    },

    /**
     * A page of a campaign's CONFIRMED bookings in id order, after `afterId` (for the payments
     * module's refunds when the campaign is cancelled). Pass the last id of a page to get the next.
     */
    async listConfirmedBookingsOfCampaign(
      campaignId: string,
      opts: { limit: number; afterId?: string },
      db: Db | Tx = prisma,
    ): Promise<BookingForPayment[]> {
      const rows = await repo.listConfirmedByCampaign(db, campaignId, opts.limit, opts.afterId);
      return rows.map(forPayment);
    },
  };
}

export type BookingsService = ReturnType<typeof createBookingsService>;
