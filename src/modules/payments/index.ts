import type { RequestHandler } from 'express';
import { usesFlutterwaveSimulator, type Config } from '../../shared/config';
import type { Platform } from '../../shared/platform';
import type { WebModule } from '../registry';
import { registerPaymentSockets } from './payments.live';
import { paymentReviewApi, paymentReviewPages, REVIEW_PAGE } from './payments.review';
import { paymentsRoutes, WEBHOOK_PATH } from './payments.routes';
import type { PaymentsService } from './payments.service';

/**
 * The payments module's public API: the Flutterwave v3 client and checks (verification verdict,
 * webhook authentication), the payments service (initialize, callback, webhook, verification,
 * refunds, reconciliation), the worker definition (workers/payments) and the web module (API
 * routes, the callback page, the live payment room, the sandbox badge).
 */
export {
  FlutterwaveClient,
  FlutterwaveError,
  createFlutterwaveClient,
  type CallOptions,
  type ClientLogger,
  type CreatePaymentParams,
  type CreateTransferParams,
  type FlutterwaveClientOptions,
  type RefundParams,
} from './flutterwave.client';
export {
  assessTransaction,
  isAuthenticWebhook,
  parseWebhookEvent,
  type ExpectedPayment,
  type PaymentVerdict,
} from './flutterwave.checks';
export type * from './flutterwave.types';
export {
  createPaymentsService,
  newTxRef,
  publicStateOf,
  TX_REF_PATTERN,
  type InitializeResult,
  type PaymentsDeps,
  type PaymentsService,
  type SettleOutcome,
} from './payments.service';
export {
  PaymentEvents,
  type PaymentEventPayload,
  type RefundEventPayload,
  type WebhookReceivedPayload,
} from './payments.events';
export { paymentDto, refundDto } from './payments.dto';
export { PAYMENT_STATUS_EVENT, paymentRoomOf, paymentLiveConsumer } from './payments.live';
export { CALLBACK_PATH, WEBHOOK_PATH, PAYMENTS_PREFIX } from './payments.routes';
export { REVIEW_PAGE, REVIEW_PREFIX } from './payments.review';
export {
  paymentsWorker,
  PaymentsQueues,
  paymentVerificationConsumer,
  refundConsumer,
  campaignCancelledConsumer,
} from './payments.worker';
export type * from './payments.types';

/** Sets res.locals.sandbox so that the layout shows the "payments are simulated" badge. */
export function sandboxBadge(config: Config): RequestHandler {
  const sandbox = usesFlutterwaveSimulator(config);
  return (_req, res, next) => {
    res.locals.sandbox = sandbox;
    next();
  };
}

/**
 * The payments web module: the API (initialize, callback page, webhook, refunds), the admins'
 * review queue (FLAGGED payments, FAILED refunds: API and page), the live
 * payment room for the callback page, and the sandbox badge. The webhook is exempt from the
 * general per-IP API limit: Flutterwave delivers every merchant's webhooks from a few addresses,
 * so a busy sale would be throttled into retries and delays; it has its own limit on failed
 * authentications instead, and an unauthenticated call costs no database work.
 */
export function paymentsWebModule(platform: Platform, service: PaymentsService): WebModule {
  return {
    name: 'payments',
    middleware: [sandboxBadge(platform.config)],
    api: [paymentsRoutes(platform, service), paymentReviewApi(service)],
    pages: paymentReviewPages(service),
    nav: [
      {
        label: 'Payments review',
        href: REVIEW_PAGE,
        when: (u) => !!(u as { isAdmin?: boolean } | null)?.isAdmin,
      },
    ],
    apiRateLimitExempt: [WEBHOOK_PATH],
    sockets: (io) => registerPaymentSockets(io, service),
  };
}
