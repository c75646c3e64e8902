import { Prisma } from '../../generated/prisma/client';
import type { Db, Tx } from '../../shared/db';
import type {
  BookingOutcome,
  ChargeRecord,
  ChargeRole,
  PaymentRecord,
  PaymentStatus,
  RefundPortion,
  RefundReason,
  RefundRecord,
  RefundStatus,
} from './payments.types';

/** The only code that reads or writes payments, payment_charges, webhook_events and refunds. */
type Client = Db | Tx;

type PaymentRow = Prisma.PaymentGetPayload<object>;
type RefundRow = Prisma.RefundGetPayload<object>;
type ChargeRow = Prisma.PaymentChargeGetPayload<object>;

function toPayment(row: PaymentRow): PaymentRecord {
  return {
    ...row,
    status: row.status as PaymentStatus,
    bookingOutcome: row.bookingOutcome as BookingOutcome | null,
    amountMinor: Number(row.amountMinor),
    flwTransactionId: row.flwTransactionId === null ? null : Number(row.flwTransactionId),
    paidMinor: row.paidMinor === null ? null : Number(row.paidMinor),
    hintedTransactionId: row.hintedTransactionId === null ? null : Number(row.hintedTransactionId),
    problems: (row.problems as string[] | null) ?? null,
  };
}

function toCharge(row: ChargeRow): ChargeRecord {
  return {
    ...row,
    role: row.role as ChargeRole,
    flwTransactionId: Number(row.flwTransactionId),
    amountMinor: Number(row.amountMinor),
  };
}

function toRefund(row: RefundRow): RefundRecord {
  return {
    ...row,
    reason: row.reason as RefundReason,
    status: row.status as RefundStatus,
    amountMinor: Number(row.amountMinor),
    providerRefundId: row.providerRefundId === null ? null : Number(row.providerRefundId),
    flwTransactionId: Number(row.flwTransactionId),
    portion: row.portion as RefundPortion,
  };
}

// ---------------------------------------------------------------- payments

/** A new attempt: the record's own fields; its status and times are set when it is stored. */
export type NewPayment = Pick<
  PaymentRecord,
  | 'id'
  | 'bookingId'
  | 'userId'
  | 'campaignId'
  | 'sellerId'
  | 'txRef'
  | 'amountMinor'
  | 'currency'
  | 'checkoutExpiresAt'
  | 'nextCheckAt'
>;

/**
 * Inserts the booking's live attempt unless it already has one (the partial unique index
 * "one OPEN/FAILED payment per booking" decides, also between two requests racing: the second
 * waits on the first's index entry, then inserts nothing). Returns the booking's live attempt,
 * locked, and whether this call created it.
 */
export async function claimLiveAttempt(
  tx: Tx,
  p: NewPayment,
  now: Date,
): Promise<{ payment: PaymentRecord; created: boolean }> {
  const inserted = await tx.$executeRaw`
    INSERT INTO payments (id, booking_id, user_id, campaign_id, seller_id, tx_ref, amount_minor, currency, status,
      checkout_expires_at, next_check_at, created_at, updated_at)
    VALUES (${p.id}::uuid, ${p.bookingId}::uuid, ${p.userId}::uuid, ${p.campaignId}::uuid, ${p.sellerId}::uuid, ${p.txRef},
      ${p.amountMinor}, ${p.currency}, 'OPEN', ${p.checkoutExpiresAt}, ${p.nextCheckAt}, ${now}, ${now})
    ON CONFLICT (booking_id) WHERE status IN ('OPEN', 'FAILED') DO NOTHING`;
  const rows = await tx.$queryRaw<Array<{ id: string }>>`
    SELECT id::text FROM payments WHERE booking_id = ${p.bookingId}::uuid AND status IN ('OPEN', 'FAILED') FOR UPDATE`;
  const id = rows[0]?.id;
  if (!id) throw new Error(`payments: no live attempt for booking ${p.bookingId} after claiming one`);
  // A reused attempt closes with the hold as it is now: the buyer may have extended it since.
  if (inserted !== 1)
    await tx.$executeRaw`
      UPDATE payments SET checkout_expires_at = ${p.checkoutExpiresAt}, updated_at = ${now}
      WHERE id = ${id}::uuid AND checkout_expires_at < ${p.checkoutExpiresAt}`;
  return { payment: (await findPayment(tx, id))!, created: inserted === 1 };
}

export async function findPayment(db: Client, id: string): Promise<PaymentRecord | null> {
  const row = await db.payment.findUnique({ where: { id } });
  return row ? toPayment(row) : null;
}

export async function findPaymentByTxRef(db: Client, txRef: string): Promise<PaymentRecord | null> {
  const row = await db.payment.findUnique({ where: { txRef } });
  return row ? toPayment(row) : null;
}

/** Locks the payment row until the end of the transaction: serialises every transition on it. */
export async function lockPayment(tx: Tx, id: string): Promise<PaymentRecord | null> {
  const rows = await tx.$queryRaw<
    Array<{ id: string }>
  >`SELECT id::text FROM payments WHERE id = ${id}::uuid FOR UPDATE`;
  return rows.length ? findPayment(tx, id) : null;
}

export async function listBookingPayments(db: Client, bookingId: string): Promise<PaymentRecord[]> {
  const rows = await db.payment.findMany({
    where: { bookingId },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
  });
  return rows.map(toPayment);
}

export interface PaymentTransitionFields {
  bookingOutcome?: BookingOutcome;
  outcomeReason?: string | null;
  flwTransactionId?: number;
  paidMinor?: number;
  failureReason?: string | null;
  problems?: string[];
  succeededAt?: Date;
  flaggedAt?: Date;
  failedAt?: Date;
  expiredAt?: Date;
}

/**
 * Guarded transition: `UPDATE … WHERE id = $1 AND status IN (from)`. True only when this call
 * moved the row; a caller that loses a race changes nothing and emits nothing.
 */
export async function transitionPayment(
  tx: Tx,
  id: string,
  from: PaymentStatus[],
  to: PaymentStatus,
  fields: PaymentTransitionFields,
  now: Date,
): Promise<boolean> {
  const { flwTransactionId, paidMinor, problems, ...rest } = fields;
  const result = await tx.payment.updateMany({
    where: { id, status: { in: from } },
    data: {
      status: to,
      ...rest,
      ...(flwTransactionId !== undefined ? { flwTransactionId: BigInt(flwTransactionId) } : {}),
      ...(paidMinor !== undefined ? { paidMinor: BigInt(paidMinor) } : {}),
      ...(problems !== undefined ? { problems } : {}),
      updatedAt: now,
    },
  });
  return result.count === 1;
}

/**
 * Marks a verification as asked for, at most once per `cooldownMs` per payment, and only while
 * the payment can still be paid. True when the caller should enqueue the verification (in the
 * same transaction): reloading the callback page cannot flood the worker.
 */
export async function markVerifyRequested(
  tx: Tx,
  id: string,
  now: Date,
  cooldownMs: number,
  /** The redirect's transaction id, kept as a hint for reconciliation (and checked for settled payments too). */
  hint: number | null = null,
): Promise<boolean> {
  const before = new Date(now.getTime() - cooldownMs);
  const statuses =
    hint === null ? Prisma.sql`('OPEN', 'FAILED')` : Prisma.sql`('OPEN', 'FAILED', 'SUCCEEDED', 'FLAGGED')`;
  const n = await tx.$executeRaw`
    UPDATE payments SET verify_requested_at = ${now}, updated_at = ${now},
      hinted_transaction_id = COALESCE(${hint}::bigint, hinted_transaction_id)
    WHERE id = ${id}::uuid AND status IN ${statuses} AND (verify_requested_at IS NULL OR verify_requested_at <= ${before})`;
  return n === 1;
}

/**
 * Claims up to `limit` OPEN/FAILED payments due for a check and pushes their next check to
 * `nextCheckAt`, in one statement. SKIP LOCKED lets several workers share the queue; pushing
 * the time is the claim, so the provider calls happen outside any transaction and a worker that
 * dies mid-batch only delays those payments to their next turn.
 */
export async function claimDueForCheck(
  db: Client,
  now: Date,
  nextCheckAt: Date,
  limit: number,
): Promise<PaymentRecord[]> {
  const rows = await db.$queryRaw<Array<{ id: string }>>`
    UPDATE payments SET next_check_at = ${nextCheckAt}
    WHERE id IN (SELECT id FROM payments WHERE status IN ('OPEN', 'FAILED') AND next_check_at <= ${now}
                 ORDER BY next_check_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)
    RETURNING id::text`;
  if (!rows.length) return [];
  const found = await db.payment.findMany({ where: { id: { in: rows.map((r) => r.id) } } });
  return found.map(toPayment);
}

/** Sets when reconciliation looks at a payment next (an ambiguous answer: look again later). */
export async function scheduleCheck(tx: Tx, id: string, nextCheckAt: Date): Promise<void> {
  await tx.$executeRaw`UPDATE payments SET next_check_at = ${nextCheckAt} WHERE id = ${id}::uuid`;
}

/** The SUCCEEDED payment that bought the booking (its tx_ref is the booking's payment_ref), locked. */
export async function lockPaymentByTxRef(tx: Tx, txRef: string): Promise<PaymentRecord | null> {
  const rows = await tx.$queryRaw<
    Array<{ id: string }>
  >`SELECT id::text FROM payments WHERE tx_ref = ${txRef} FOR UPDATE`;
  return rows[0] ? findPayment(tx, rows[0].id) : null;
}

// ---------------------------------------------------------------- webhook events

export interface NewWebhookEvent {
  id: string;
  providerKey: string;
  eventType: string;
  flwId: number;
  reference: string;
  payload: unknown;
  /** The body's bytes as received (null when the route had none, e.g. a service call in a test). */
  rawBody: Buffer | null;
  receivedAt: Date;
}

/** Stores the event unless one with the same provider key exists. True when this call stored it. */
export async function insertWebhookEvent(tx: Tx, e: NewWebhookEvent): Promise<boolean> {
  const n = await tx.$executeRaw`
    INSERT INTO webhook_events (id, provider_key, event_type, flw_id, reference, payload, raw_body, received_at)
    VALUES (${e.id}::uuid, ${e.providerKey}, ${e.eventType}, ${e.flwId}, ${e.reference}, ${JSON.stringify(e.payload)}::jsonb,
      ${e.rawBody}, ${e.receivedAt})
    ON CONFLICT (provider_key) DO NOTHING`;
  return n === 1;
}

/**
 * The Flutterwave transaction ids of the stored charge webhooks for a tx_ref, newest first (at
 * most `limit`). Only hints of which transactions to ask Flutterwave about: the bodies are never
 * believed.
 */
export async function chargeWebhookIds(db: Client, txRef: string, limit = 10): Promise<number[]> {
  const rows = await db.$queryRaw<Array<{ flw_id: bigint | number }>>`
    SELECT flw_id FROM webhook_events WHERE reference = ${txRef} AND event_type = 'charge.completed'
    GROUP BY flw_id ORDER BY max(received_at) DESC LIMIT ${limit}`;
  return rows.map((r) => Number(r.flw_id));
}

// ---------------------------------------------------------------- charges

/**
 * Records a verified successful charge of a payment once (its provider transaction id is unique).
 * True when this call recorded it; false when it was recorded already (by another path, or a
 * redelivery), in which case the caller must not act on it again.
 */
export async function insertCharge(tx: Tx, c: Omit<ChargeRecord, 'id'> & { id: string }): Promise<boolean> {
  const n = await tx.$executeRaw`
    INSERT INTO payment_charges (id, payment_id, flw_transaction_id, amount_minor, currency, role, verified_at)
    VALUES (${c.id}::uuid, ${c.paymentId}::uuid, ${c.flwTransactionId}, ${c.amountMinor}, ${c.currency}, ${c.role}, ${c.verifiedAt})
    ON CONFLICT (flw_transaction_id) DO NOTHING`;
  return n === 1;
}

export async function findCharge(db: Client, flwTransactionId: number): Promise<ChargeRecord | null> {
  const row = await db.paymentCharge.findUnique({ where: { flwTransactionId: BigInt(flwTransactionId) } });
  return row ? toCharge(row) : null;
}

export async function listPaymentCharges(db: Client, paymentId: string): Promise<ChargeRecord[]> {
  const rows = await db.paymentCharge.findMany({
    where: { paymentId },
    orderBy: [{ verifiedAt: 'asc' }, { id: 'asc' }],
  });
  return rows.map(toCharge);
}

// ---------------------------------------------------------------- refunds

/** A refund to claim: the record's own fields; status, times and the provider's id come later. */
export type NewRefund = Pick<
  RefundRecord,
  | 'id'
  | 'paymentId'
  | 'bookingId'
  | 'userId'
  | 'campaignId'
  | 'amountMinor'
  | 'currency'
  | 'reason'
  | 'cancelsBooking'
  | 'requestedBy'
  | 'flwTransactionId'
  | 'portion'
>;

/**
 * Inserts a PENDING refund unless that portion of that charge already has a PENDING or COMPLETED
 * one (partial unique index): a buyer's double click, a campaign cancellation racing the buyer's
 * own request, or a redelivered event all end with one refund. Returns the active refund of that
 * portion and whether this call created it.
 */
export async function claimRefund(
  tx: Tx,
  r: NewRefund,
  now: Date,
): Promise<{ refund: RefundRecord; created: boolean }> {
  const n = await tx.$executeRaw`
    INSERT INTO refunds (id, payment_id, booking_id, user_id, campaign_id, amount_minor, currency, reason, cancels_booking,
      status, requested_by, flw_transaction_id, portion, created_at, updated_at)
    VALUES (${r.id}::uuid, ${r.paymentId}::uuid, ${r.bookingId}::uuid, ${r.userId}::uuid, ${r.campaignId}::uuid,
      ${r.amountMinor}, ${r.currency}, ${r.reason}, ${r.cancelsBooking}, 'PENDING', ${r.requestedBy}::uuid,
      ${r.flwTransactionId}, ${r.portion}, ${now}, ${now})
    ON CONFLICT (flw_transaction_id, portion) WHERE status IN ('PENDING', 'COMPLETED') DO NOTHING`;
  const row = await tx.refund.findFirst({
    where: {
      flwTransactionId: BigInt(r.flwTransactionId),
      portion: r.portion,
      status: { in: ['PENDING', 'COMPLETED'] },
    },
  });
  if (!row)
    throw new Error(
      `payments: no active refund of charge ${r.flwTransactionId} (${r.portion}) after claiming one`,
    );
  return { refund: toRefund(row), created: n === 1 };
}

export async function findRefund(db: Client, id: string): Promise<RefundRecord | null> {
  const row = await db.refund.findUnique({ where: { id } });
  return row ? toRefund(row) : null;
}

export async function lockRefund(tx: Tx, id: string): Promise<RefundRecord | null> {
  const rows = await tx.$queryRaw<
    Array<{ id: string }>
  >`SELECT id::text FROM refunds WHERE id = ${id}::uuid FOR UPDATE`;
  return rows.length ? findRefund(tx, id) : null;
}

/** The refunds of a payment, newest first. */
export async function listPaymentRefunds(db: Client, paymentId: string): Promise<RefundRecord[]> {
  const rows = await db.refund.findMany({
    where: { paymentId },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
  });
  return rows.map(toRefund);
}

export async function listBookingRefunds(db: Client, bookingId: string): Promise<RefundRecord[]> {
  const rows = await db.refund.findMany({
    where: { bookingId },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
  });
  return rows.map(toRefund);
}

/** The provider refund ids among `ids` that one of our refunds has recorded already. */
export async function recordedProviderRefundIds(db: Client, ids: number[]): Promise<Set<number>> {
  if (!ids.length) return new Set();
  const rows = await db.refund.findMany({
    where: { providerRefundId: { in: ids.map((i) => BigInt(i)) } },
    select: { providerRefundId: true },
  });
  return new Set(rows.map((r) => Number(r.providerRefundId)));
}

/**
 * A refund Flutterwave accepted but has not finished (`pending`, or a status we do not know):
 * stays PENDING with the provider's id (so it is read back, never sent again), its next read at
 * `nextPollAt`, and the caller's attempt lease released. False when it was not PENDING any more.
 */
export async function markRefundAwaitingProvider(
  tx: Tx,
  id: string,
  providerRefundId: number,
  nextPollAt: Date,
  now: Date,
): Promise<boolean> {
  const result = await tx.refund.updateMany({
    where: { id, status: 'PENDING' },
    data: {
      providerRefundId: BigInt(providerRefundId),
      nextPollAt,
      attemptStartedAt: null,
      updatedAt: now,
    },
  });
  return result.count === 1;
}

/**
 * Claims up to `limit` PENDING refunds that Flutterwave accepted and whose next read is due, and
 * pushes that read to `nextPollAt`, in one statement (SKIP LOCKED: several workers share them). The
 * provider calls happen after this commits.
 */
export async function claimRefundsToPoll(
  db: Client,
  now: Date,
  nextPollAt: Date,
  limit: number,
): Promise<RefundRecord[]> {
  const rows = await db.$queryRaw<Array<{ id: string }>>`
    UPDATE refunds SET next_poll_at = ${nextPollAt}, updated_at = ${now}
    WHERE id IN (SELECT id FROM refunds WHERE status = 'PENDING' AND provider_refund_id IS NOT NULL
                 AND next_poll_at <= ${now} ORDER BY next_poll_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)
    RETURNING id::text`;
  if (!rows.length) return [];
  const found = await db.refund.findMany({ where: { id: { in: rows.map((r) => r.id) } } });
  return found.map(toRefund);
}

/** Guarded PENDING → COMPLETED | FAILED. True only when this call moved the row. */
export async function finishRefund(
  tx: Tx,
  id: string,
  to: 'COMPLETED' | 'FAILED',
  fields: { providerRefundId?: number | null; failureReason?: string | null },
  now: Date,
): Promise<boolean> {
  const result = await tx.refund.updateMany({
    where: { id, status: 'PENDING' },
    data: {
      status: to,
      ...(fields.providerRefundId != null ? { providerRefundId: BigInt(fields.providerRefundId) } : {}),
      ...(fields.failureReason !== undefined ? { failureReason: fields.failureReason } : {}),
      ...(to === 'COMPLETED' ? { completedAt: now } : { failedAt: now }),
      updatedAt: now,
    },
  });
  return result.count === 1;
}

/**
 * Claims the right to call Flutterwave for a PENDING refund: stamps `attempt_started_at` unless
 * another attempt stamped it less than `leaseMs` ago. True when this caller may call. The lease
 * must outlast the longest refund call; if it did not, two calls could be in flight at once
 * (still not two refunds: see payments.refunds.ts), and a refusal of the second could be
 * recorded over the success of the first.
 */
export async function claimRefundAttempt(
  db: Client,
  id: string,
  now: Date,
  leaseMs: number,
): Promise<{ claimed: false } | { claimed: true; earlierAttempts: number }> {
  const before = new Date(now.getTime() - leaseMs);
  // Counted before the call: a call that never left counts too, which only costs a look-up later.
  const rows = await db.$queryRaw<Array<{ attempts: number }>>`
    UPDATE refunds SET attempt_started_at = ${now}, attempts = attempts + 1
    WHERE id = ${id}::uuid AND status = 'PENDING' AND (attempt_started_at IS NULL OR attempt_started_at <= ${before})
    RETURNING attempts`;
  return rows[0] ? { claimed: true, earlierAttempts: Number(rows[0].attempts) - 1 } : { claimed: false };
}

/** Gives up this caller's claim (its call failed), so that a retry may call at once. */
export async function releaseRefundAttempt(db: Client, id: string, startedAt: Date): Promise<void> {
  await db.$executeRaw`
    UPDATE refunds SET attempt_started_at = NULL WHERE id = ${id}::uuid AND attempt_started_at = ${startedAt}`;
}

/**
 * Claims up to `limit` refunds still PENDING since `staleBefore` (their message was
 * dead-lettered after the provider stayed unreachable) and marks them touched now, so that the
 * next pass skips them for another period. SKIP LOCKED: several workers share the work.
 */
export async function claimStaleRefunds(
  db: Client,
  staleBefore: Date,
  now: Date,
  limit: number,
): Promise<RefundRecord[]> {
  const rows = await db.$queryRaw<Array<{ id: string }>>`
    UPDATE refunds SET updated_at = ${now}
    WHERE id IN (SELECT id FROM refunds WHERE status = 'PENDING' AND updated_at <= ${staleBefore}
                 ORDER BY updated_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)
    RETURNING id::text`;
  if (!rows.length) return [];
  const found = await db.refund.findMany({ where: { id: { in: rows.map((r) => r.id) } } });
  return found.map(toRefund);
}

// ---------------------------------------------------------------- review

/** FLAGGED payments whose money has not been sent back (no pending or completed refund), oldest first. */
export async function listFlaggedPaymentsToReview(
  db: Client,
  page: { limit: number; after?: { at: Date; id: string } },
): Promise<PaymentRecord[]> {
  const after = page.after
    ? Prisma.sql`AND (p.flagged_at, p.id) > (${page.after.at}, ${page.after.id}::uuid)`
    : Prisma.empty;
  const rows = await db.$queryRaw<Array<{ id: string }>>`
    SELECT p.id::text FROM payments p
    WHERE p.status = 'FLAGGED'
      AND NOT EXISTS (SELECT 1 FROM refunds a WHERE a.flw_transaction_id = p.flw_transaction_id
                      AND a.portion = 'CHARGE' AND a.status IN ('PENDING', 'COMPLETED'))
      ${after}
    ORDER BY p.flagged_at, p.id
    LIMIT ${page.limit}`;
  if (!rows.length) return [];
  const found = await db.payment.findMany({ where: { id: { in: rows.map((r) => r.id) } } });
  const order = new Map(rows.map((r, i) => [r.id, i]));
  return found.map(toPayment).sort((a, b) => order.get(a.id)! - order.get(b.id)!);
}

/** The latest FAILED refund of each (charge, portion) that has no pending or completed one since, oldest first. */
export async function listFailedRefundsToReview(
  db: Client,
  page: { limit: number; after?: { at: Date; id: string } },
): Promise<RefundRecord[]> {
  const after = page.after
    ? Prisma.sql`AND (f.failed_at, f.id) > (${page.after.at}, ${page.after.id}::uuid)`
    : Prisma.empty;
  const rows = await db.$queryRaw<Array<{ id: string }>>`
    SELECT f.id::text FROM refunds f
    WHERE f.status = 'FAILED'
      AND NOT EXISTS (SELECT 1 FROM refunds a WHERE a.flw_transaction_id = f.flw_transaction_id
                      AND a.portion = f.portion AND a.status IN ('PENDING', 'COMPLETED'))
      AND f.id = (SELECT l.id FROM refunds l WHERE l.flw_transaction_id = f.flw_transaction_id
                  AND l.portion = f.portion AND l.status = 'FAILED'
                  ORDER BY l.created_at DESC, l.id DESC LIMIT 1)
      ${after}
    ORDER BY f.failed_at, f.id
    LIMIT ${page.limit}`;
  if (!rows.length) return [];
  const found = await db.refund.findMany({ where: { id: { in: rows.map((r) => r.id) } } });
  const order = new Map(rows.map((r, i) => [r.id, i]));
  return found.map(toRefund).sort((a, b) => order.get(a.id)! - order.get(b.id)!);
}
