import { financeServiceFor, type FinanceService } from '../../src/modules/finance';
import { PaymentEvents, type PaymentEventPayload, type RefundEventPayload } from '../../src/modules/payments';
import { PermanentError } from '../../src/shared/errors';
import type { ConsumerSpec } from '../../src/shared/messaging/consumer';
import type { DomainEvent } from '../../src/shared/messaging/events';
import type { Platform } from '../../src/shared/platform';
import type { WorkerDefinition } from '../../src/shared/worker';

/*
 * Ledger postings from the payments module's events. Each handler runs in its inbox transaction
 * and posts one journal whose cause key is the payment or refund id, so a redelivered or replayed
 * event (or the same payment announced twice) posts once: the second insert finds the cause key
 * and writes nothing. No network call happens here, so holding the transaction is cheap.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A payload that can never post (missing ids or money) goes to the DLQ at once: a retry cannot fix it. */
function checkMoneyPayload(event: DomainEvent<Record<string, unknown>>, ids: string[]): void {
  const p = event.payload ?? {};
  for (const f of ids) {
    if (typeof p[f] !== 'string' || !UUID.test(p[f] as string))
      throw new PermanentError(`${event.name} ${event.id}: ${f} is not a uuid`);
  }
  if (typeof p.amountMinor !== 'number' || !Number.isSafeInteger(p.amountMinor) || p.amountMinor < 0)
    throw new PermanentError(`${event.name} ${event.id}: amountMinor must be a non-negative integer`);
  if (typeof p.currency !== 'string' || !/^[A-Z]{3}$/.test(p.currency))
    throw new PermanentError(`${event.name} ${event.id}: currency must be an ISO 4217 code`);
}

export const FINANCE_PAYMENTS_QUEUE = {
  name: 'finance.payments',
  events: [PaymentEvents.succeeded],
} as const;
export const FINANCE_REFUNDS_QUEUE = {
  name: 'finance.refunds',
  events: [PaymentEvents.refundCompleted],
} as const;

export function paymentPostingConsumer(service: FinanceService): ConsumerSpec<PaymentEventPayload> {
  return {
    ...FINANCE_PAYMENTS_QUEUE,
    events: [...FINANCE_PAYMENTS_QUEUE.events],
    concurrency: 4,
    async handle(event, { tx, logger }) {
      checkMoneyPayload(event as unknown as DomainEvent<Record<string, unknown>>, [
        'paymentId',
        'campaignId',
        'sellerId',
      ]);
      const outcome = await service.postPayment(tx, event.payload);
      logger.info('payment posted to the ledger', { paymentId: event.payload.paymentId, outcome });
    },
  };
}

export function refundPostingConsumer(service: FinanceService): ConsumerSpec<RefundEventPayload> {
  return {
    ...FINANCE_REFUNDS_QUEUE,
    events: [...FINANCE_REFUNDS_QUEUE.events],
    concurrency: 2,
    async handle(event, { tx, logger }) {
      checkMoneyPayload(event as unknown as DomainEvent<Record<string, unknown>>, [
        'refundId',
        'paymentId',
        'campaignId',
      ]);
      const outcome = await service.postRefund(tx, event.payload);
      logger.info('refund posted to the ledger', { refundId: event.payload.refundId, outcome });
    },
  };
}

export function financeConsumers(
  service: FinanceService,
): Array<ConsumerSpec<PaymentEventPayload> | ConsumerSpec<RefundEventPayload>> {
  return [paymentPostingConsumer(service), refundPostingConsumer(service)];
}

/** Everything the finance worker process runs. */
export function financeWorker(
  platform: Platform,
  service: FinanceService = financeServiceFor(platform),
): WorkerDefinition {
  return { consumers: financeConsumers(service) };
}
