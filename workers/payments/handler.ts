import { type CampaignCancelledPayload } from '../../src/modules/campaigns';
import {
  FlutterwaveError,
  PAYMENT_STATUS_EVENT,
  PaymentEvents,
  paymentRoomOf,
  type FetchedRefund,
  type FetchedVerification,
  type PaymentsService,
  type RefundEventPayload,
  type VerificationRequestedPayload,
  type WebhookReceivedPayload,
} from '../../src/modules/payments';
import type { Tx } from '../../src/shared/db';
import { AppError, PermanentError } from '../../src/shared/errors';
import type { Logger } from '../../src/shared/logger';
import { defineConsumer, type ConsumerSpec } from '../../src/shared/messaging/consumer';
import type { DomainEvent } from '../../src/shared/messaging/events';
import type { Platform } from '../../src/shared/platform';
import { createEmitter } from '../../src/shared/realtime';
import type { WorkerDefinition } from '../../src/shared/worker';
import { PaymentQueues } from './queues';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Retryable or permanent, like the tickets worker. Permanent (dead-lettered at once, a retry would
 * get the same answer): Flutterwave's definite refusals (a 4xx other than 429: bad key, unknown
 * record, rejected request) and our own malformed requests. Everything else is retried with
 * back-off: time-outs, connection errors, 5xx and 429 (the client reports them as retryable),
 * and database errors.
 */
export function classifyPaymentError(err: unknown): unknown {
  if (err instanceof PermanentError) return err;
  if (err instanceof FlutterwaveError) {
    return err.info.retryable ? err : new PermanentError(`${err.code}: ${err.message}`, { cause: err });
  }
  if (err instanceof AppError && err.kind === 'validation')
    return new PermanentError(`${err.code}: ${err.message}`, { cause: err });
  return err;
}

async function classified<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw classifyPaymentError(err);
  }
}

/** The uuid a payload field holds, or a PermanentError: a retry cannot fix a malformed payload. */
function uuidOf(event: DomainEvent<object>, field: string): string {
  const v = (event.payload as Record<string, unknown>)[field];
  if (typeof v !== 'string' || !UUID.test(v))
    throw new PermanentError(`${event.name} ${event.id} has no valid ${field}`);
  return v.toLowerCase();
}

function webhookPayloadOf(event: DomainEvent<object>): WebhookReceivedPayload {
  const p = event.payload as Partial<WebhookReceivedPayload>;
  if (typeof p.eventType !== 'string' || typeof p.reference !== 'string' || !Number.isSafeInteger(p.flwId))
    throw new PermanentError(`${event.name} ${event.id} is not a stored webhook`);
  return p as WebhookReceivedPayload;
}

function requestedVerificationOf(event: DomainEvent<object>): VerificationRequestedPayload {
  const p = event.payload as Partial<VerificationRequestedPayload>;
  const transactionId = Number.isSafeInteger(p.transactionId) ? p.transactionId : undefined;
  return {
    paymentId: uuidOf(event, 'paymentId'),
    txRef: String(p.txRef ?? ''),
    ...(transactionId !== undefined ? { transactionId } : {}),
  };
}

/**
 * A consumer that calls Flutterwave: `fetch` makes the call with no transaction open (it may read
 * by id with one short query first), `apply` writes the answer inside the transaction that holds
 * the inbox row, re-checking state under row locks. So no pooled connection waits on the provider,
 * and the worker's concurrency is not bounded by DATABASE_POOL_SIZE.
 */
interface FetchThenApply<P extends object, F> {
  queue: { name: string; events: readonly string[] };
  concurrency: number;
  fetch(event: DomainEvent<P>): Promise<F>;
  apply(tx: Tx, fetched: F, event: DomainEvent<P>, logger: Logger): Promise<void>;
}

/**
 * `fetch` runs as the consumer's `prepare` step, before startConsumer opens the inbox
 * transaction, so no pooled connection waits on Flutterwave; `apply` runs as `handle`, inside
 * the transaction that holds the inbox row. A duplicate delivery of a processed event is skipped
 * before `prepare` (no second provider call). A crash between the call and the commit leaves
 * nothing written (not even the inbox row), so RabbitMQ redelivers the message and `fetch` asks
 * again (see each service pair for why that is safe). Error classes: classifyPaymentError on both.
 */
function fetchThenApply<P extends object, F>(spec: FetchThenApply<P, F>): ConsumerSpec<P, F> {
  const { name, events } = spec.queue;
  return defineConsumer<P, F>({
    name,
    events: [...events],
    concurrency: spec.concurrency,
    prepare: (event) => classified(() => spec.fetch(event)),
    handle: (event, ctx, fetched) => classified(() => spec.apply(ctx.tx, fetched, event, ctx.logger)),
  });
}

/**
 * Verification: stored webhooks (GET verify by transaction id) and callback visits (GET
 * verify_by_reference). fetchWebhookVerification / fetchRequestedVerification → applyVerification.
 * A webhook naming a tx_ref we never issued is acknowledged (IGNORED: it may be another
 * integration's on the same Flutterwave account); a verification request naming a payment we do
 * not have is our own poisoned message: dead-lettered.
 */
export function paymentVerificationConsumer(
  service: PaymentsService,
): ConsumerSpec<WebhookReceivedPayload | VerificationRequestedPayload, FetchedVerification> {
  return fetchThenApply({
    queue: PaymentQueues.verify,
    // Bounded by the provider's patience, not by the pool: each message holds a connection only
    // for its short reads and its apply transaction.
    concurrency: 8,
    async fetch(event) {
      const fetched =
        event.name === PaymentEvents.webhookReceived
          ? await service.fetchWebhookVerification(webhookPayloadOf(event))
          : await service.fetchRequestedVerification(requestedVerificationOf(event));
      if (fetched.outcome === 'PAYMENT_NOT_FOUND')
        throw new PermanentError(`payment ${fetched.paymentId} of ${event.name} ${event.id} does not exist`);
      return fetched;
    },
    async apply(tx, fetched, event, logger) {
      const outcome = await service.applyVerification(tx, fetched);
      logger.info('payment verification handled', { event: event.name, eventId: event.id, outcome });
    },
  });
}

/**
 * Refunds through Flutterwave, one message per refund: fetchRefund (the refund call, no
 * transaction) → applyRefund (PENDING → COMPLETED | FAILED under the refund row's lock). Sent at
 * most once: see "Sending a refund at most once" in the payments module's payments.refunds.ts.
 */
export function refundConsumer(service: PaymentsService): ConsumerSpec<RefundEventPayload, FetchedRefund> {
  return fetchThenApply({
    queue: PaymentQueues.refunds,
    concurrency: 4,
    async fetch(event) {
      const fetched = await service.fetchRefund(uuidOf(event, 'refundId'));
      if (fetched.outcome === 'REFUND_NOT_FOUND')
        throw new PermanentError(`refund ${fetched.refundId} of ${event.name} ${event.id} does not exist`);
      return fetched;
    },
    async apply(tx, fetched, event, logger) {
      const outcome = await service.applyRefund(tx, fetched);
      logger.info('refund handled', { refundId: event.payload.refundId, outcome });
    },
  });
}

/**
 * A seller cancelled a campaign: a PENDING refund for every confirmed booking of it, in the
 * consumer's own inbox transaction. No provider call here (each refund is its own
 * refund.requested message), so nothing waits on the network while the transaction is open.
 */
export function campaignCancelledConsumer(service: PaymentsService): ConsumerSpec<CampaignCancelledPayload> {
  return {
    name: PaymentQueues.campaignCancelled.name,
    events: [...PaymentQueues.campaignCancelled.events],
    concurrency: 1,
    async handle(event, { tx, logger }) {
      const campaignId = uuidOf(event, 'campaignId');
      const n = await classified(() => service.refundCancelledCampaign(tx, campaignId));
      logger.info('campaign cancelled: refunds requested', { campaignId, refunds: n });
    },
  };
}

/*
 * Live payment state for the callback page. Like the counters, every message is the ABSOLUTE
 * current state read from PostgreSQL, sent to the room of the payment's unguessable tx_ref: a
 * lost or reordered message is healed by the next one or by a reload.
 */
export function paymentLiveConsumer(
  platform: Platform,
  service: PaymentsService,
): ConsumerSpec<{ txRef?: string }> {
  const emitter = createEmitter(platform.redis, platform.config.REDIS_PREFIX);
  return {
    name: PaymentQueues.live.name,
    events: [...PaymentQueues.live.events],
    concurrency: 2,
    async handle(event, { tx }) {
      const txRef = event.payload.txRef;
      if (!txRef) return;
      const view = await service.getPaymentStatus(txRef, tx);
      if (view) emitter.to(paymentRoomOf(txRef)).emit(PAYMENT_STATUS_EVENT, view);
    },
  };
}

/** Everything the payments worker process runs: its consumers and the reconciliation jobs. */
export function paymentsWorker(platform: Platform, service: PaymentsService): WorkerDefinition {
  return {
    consumers: [
      paymentVerificationConsumer(service),
      refundConsumer(service),
      campaignCancelledConsumer(service),
      paymentLiveConsumer(platform, service),
    ],
    jobs: [
      {
        // Claims due payments, then verifies each by reference with no transaction open.
        name: 'payments.reconcile',
        everyMs: platform.config.PAYMENT_RECONCILE_EVERY_MS,
        run: () => service.reconcilePayments(),
      },
      {
        // No provider call: re-enqueues refund.requested for stale PENDING refunds.
        name: 'payments.redrive-refunds',
        everyMs: platform.config.PAYMENT_RECONCILE_EVERY_MS,
        run: () => service.redriveStaleRefunds(),
      },
      {
        // Claims refunds Flutterwave answered `pending` whose read is due, then reads each back
        // (GET /v3/refunds/:id) with no transaction open, until it is completed or failed.
        name: 'payments.poll-refunds',
        everyMs: platform.config.PAYMENT_RECONCILE_EVERY_MS,
        run: () => service.pollPendingRefunds(),
      },
    ],
  };
}
