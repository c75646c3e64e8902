import type { FinanceService } from '../../src/modules/finance';
import { PaymentEvents, type PaymentEventPayload, type RefundEventPayload } from '../../src/modules/payments';
import { PermanentError } from '../../src/shared/errors';
import type { ConsumerSpec } from '../../src/shared/messaging/consumer';
import type { DomainEvent } from '../../src/shared/messaging/events';
import type { QueueTopology } from '../../src/shared/messaging/topology';
import type { WorkerDefinition } from '../../src/shared/worker';

/*
 * Ledger postings from the payments module's events. Each handler runs in its inbox transaction
 * and posts one journal whose cause key is the payment or refund id, so a redelivered or replayed
 * event (or the same payment announced twice) posts once: the second insert finds the cause key
 * and writes nothing. No network call happens here, so there is no `prepare` step and holding the
 * transaction is cheap.
 */

/** The finance worker's queues: the relay declares them from this constant (workers/topology.ts). */
export const FinanceQueues = {
  payments: { name: 'finance.payments', events: [PaymentEvents.succeeded] },
  refunds: { name: 'finance.refunds', events: [PaymentEvents.refundCompleted] },
} as const satisfies Record<string, QueueTopology>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A payload that can never post (missing ids or money) goes to the DLQ at once: a retry cannot fix it. */
function checkMoneyPayload(event: DomainEvent<object>, ids: string[]): void {
  const p = (event.payload ?? {}) as Record<string, unknown>;
  for (const f of ids) {
    if (typeof p[f] !== 'string' || !UUID.test(p[f]))
      throw new PermanentError(`${event.name} ${event.id}: ${f} is not a uuid`);
  }
  if (typeof p.amountMinor !== 'number' || !Number.isSafeInteger(p.amountMinor) || p.amountMinor < 0)
    throw new PermanentError(`${event.name} ${event.id}: amountMinor must be a non-negative integer`);
  if (typeof p.currency !== 'string' || !/^[A-Z]{3}$/.test(p.currency))
    throw new PermanentError(`${event.name} ${event.id}: currency must be an ISO 4217 code`);
}

/** payment.succeeded → clearing, seller pending (or available), platform fee, refunds due. */
export function paymentPostingConsumer(service: FinanceService): ConsumerSpec<PaymentEventPayload> {
  return {
    ...FinanceQueues.payments,
    concurrency: 4,
    async handle(event, { tx, logger }) {
      checkMoneyPayload(event, ['paymentId', 'campaignId', 'sellerId']);
      const outcome = await service.postPayment(tx, event.payload);
      logger.info('payment posted to the ledger', { paymentId: event.payload.paymentId, outcome });
    },
  };
}

/** refund.completed → the payment's journal reversed (from pending, or available once settled). */
export function refundPostingConsumer(service: FinanceService): ConsumerSpec<RefundEventPayload> {
  return {
    ...FinanceQueues.refunds,
    concurrency: 2,
    async handle(event, { tx, logger }) {
      checkMoneyPayload(event, ['refundId', 'paymentId', 'campaignId']);
      const outcome = await service.postRefund(tx, event.payload);
      logger.info('refund posted to the ledger', { refundId: event.payload.refundId, outcome });
    },
  };
}

/** Everything the finance worker process runs. */
export function financeWorker(service: FinanceService): WorkerDefinition {
  return { consumers: [paymentPostingConsumer(service), refundPostingConsumer(service)] };
}
