import { CampaignEvents } from '../../src/modules/campaigns';
import { PaymentEvents } from '../../src/modules/payments';
import type { QueueTopology } from '../../src/shared/messaging/topology';

/**
 * The payments worker's queues and the events bound to each: what the consumers in handler.ts
 * subscribe with, and what workers/topology.ts declares for the relay (no client built for it).
 */
export const PaymentQueues: Record<'verify' | 'refunds' | 'campaignCancelled' | 'live', QueueTopology> = {
  /** Stored webhooks (verify by transaction id) and callback visits (verify by reference). */
  verify: {
    name: 'payments.verify',
    events: [PaymentEvents.webhookReceived, PaymentEvents.verificationRequested],
  },
  /** Refunds through Flutterwave, one message per refund. */
  refunds: { name: 'payments.refunds', events: [PaymentEvents.refundRequested] },
  /** A seller cancelled a campaign: a refund for every confirmed booking of it. */
  campaignCancelled: { name: 'payments.campaign-cancelled', events: [CampaignEvents.cancelled] },
  /** Every event that moves a payment or its refund → its state, to the callback page's room. */
  live: {
    name: 'payments.live',
    events: [
      PaymentEvents.succeeded,
      PaymentEvents.failed,
      PaymentEvents.flagged,
      PaymentEvents.refundRequested,
      PaymentEvents.refundCompleted,
      PaymentEvents.refundFailed,
    ],
  },
};
