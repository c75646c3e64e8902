import type { Platform } from '../../shared/platform';
import type { ConsumerSpec } from '../../shared/messaging/consumer';
import type { QueueTopology } from '../../shared/messaging/topology';
import type { WorkerDefinition } from '../../shared/worker';
import { CampaignEvents, type CampaignCancelledPayload } from '../campaigns';
import { PAYMENT_LIVE_EVENTS, paymentLiveConsumer } from './payments.live';
import {
  PaymentEvents,
  type RefundEventPayload,
  type VerificationRequestedPayload,
  type WebhookReceivedPayload,
} from './payments.events';
import type { PaymentsService } from './payments.service';

/** The payments worker's queues: the relay declares them from this constant (workers/topology.ts). */
export const PaymentsQueues = {
  verify: {
    name: 'payments.verify',
    events: [PaymentEvents.webhookReceived, PaymentEvents.verificationRequested],
  },
  refunds: { name: 'payments.refunds', events: [PaymentEvents.refundRequested] },
  campaignCancelled: { name: 'payments.campaign-cancelled', events: [CampaignEvents.cancelled] },
  live: { name: 'payments.live', events: PAYMENT_LIVE_EVENTS },
} as const satisfies Record<string, QueueTopology>;

/**
 * Verification: stored webhooks (GET verify by transaction id) and callback visits (GET
 * verify_by_reference). Each message is handled in one transaction with its inbox row: a crash
 * mid-way (even during the provider call) rolls everything back and RabbitMQ redelivers it.
 * That transaction holds a pooled connection during the provider call, so the consumers'
 * concurrencies together stay near DATABASE_POOL_SIZE (10): more would only queue for connections.
 */
export function paymentVerificationConsumer(
  service: PaymentsService,
): ConsumerSpec<WebhookReceivedPayload | VerificationRequestedPayload> {
  return {
    ...PaymentsQueues.verify,
    concurrency: 4,
    async handle(event, { tx, logger }) {
      const outcome =
        event.name === PaymentEvents.webhookReceived
          ? await service.handleWebhookReceived(tx, event.payload as WebhookReceivedPayload)
          : await service.handleVerificationRequested(tx, event.payload as VerificationRequestedPayload);
      logger.info('payment verification handled', { event: event.name, eventId: event.id, outcome });
    },
  };
}

/** Refunds through Flutterwave, one message per refund. */
export function refundConsumer(service: PaymentsService): ConsumerSpec<RefundEventPayload> {
  return {
    ...PaymentsQueues.refunds,
    concurrency: 2,
    async handle(event, { tx, logger }) {
      const outcome = await service.performRefund(tx, event.payload.refundId);
      logger.info('refund handled', { refundId: event.payload.refundId, outcome });
    },
  };
}

/** A seller cancelled a campaign: refund every confirmed booking of it. */
export function campaignCancelledConsumer(service: PaymentsService): ConsumerSpec<CampaignCancelledPayload> {
  return {
    ...PaymentsQueues.campaignCancelled,
    concurrency: 1,
    async handle(event, { tx, logger }) {
      const n = await service.refundCancelledCampaign(tx, event.payload.campaignId);
      logger.info('campaign cancelled: refunds requested', {
        campaignId: event.payload.campaignId,
        refunds: n,
      });
    },
  };
}

/** Everything the payments worker process runs: its consumers and the reconciliation job. */
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
        name: 'payments.reconcile',
        everyMs: platform.config.PAYMENT_RECONCILE_EVERY_MS,
        run: () => service.reconcilePayments(),
      },
      {
        name: 'payments.redrive-refunds',
        everyMs: platform.config.PAYMENT_RECONCILE_EVERY_MS,
        run: () => service.redriveStaleRefunds(),
      },
    ],
  };
}
