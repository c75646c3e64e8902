import type { RequestHandler } from 'express';
import { usesFlutterwaveSimulator, type Config } from '../../shared/config';
import type { Platform } from '../../shared/platform';
import type { WebModule } from '../registry';
import { confirmPaymentApi } from './payments.confirm';
import { registerPaymentSockets } from './payments.live';
import { paymentReviewApi, paymentReviewPages, REVIEW_PAGE } from './payments.review';
import { paymentsRoutes, WEBHOOK_PATH } from './payments.routes';
import type { PaymentsService } from './payments.service';

/**
 * The payments module's public API, for other modules and processes: the Flutterwave v3 client
 * and checks (the finance module's transfers, the simulator), the payments service and its
 * factory (the composition root, the payments worker in workers/payments), its events and their
 * payloads (the email and payments workers), the live room's names (the worker emits to it), and
 * the web module (API routes, "confirm payment", the callback page, the review queue, the live
 * payment room, the sandbox badge).
 */
export {
  FlutterwaveClient,
  FlutterwaveError,
  createFlutterwaveClient,
  type CallOptions,
  type ClientLogger,
  type CreatePaymentParams,
  type FlutterwaveClientOptions,
  type RefundParams,
} from './flutterwave.client';
export {
  FlutterwaveTransfers,
  assessTransfer,
  decimalText,
  payoutProviderHooks,
  toProviderTransfer,
  type CreateTransferParams,
  type ExpectedTransfer,
  type ProviderBalance,
  type ProviderFee,
  type ProviderTransfer,
  type TransferState,
  type TransferVerdict,
} from './flutterwave.transfers';
export {
  assessTransaction,
  isAuthenticWebhook,
  parseWebhookEvent,
  phoneNumberOf,
  type ExpectedPayment,
  type PaymentVerdict,
  type WebhookHint,
} from './flutterwave.checks';
export type * from './flutterwave.types';
export {
  createPaymentsService,
  type FetchedRefund,
  type FetchedVerification,
  type PaymentsDeps,
  type PaymentsService,
  type RefundOutcome,
  type SettleOutcome,
  type VerificationOutcome,
} from './payments.service';
export {
  PaymentEvents,
  type PaymentEventPayload,
  type RefundEventPayload,
  type VerificationRequestedPayload,
  type WebhookReceivedPayload,
} from './payments.events';
export { PAYMENT_STATUS_EVENT, paymentRoomOf } from './payments.live';
export { WEBHOOK_PATH } from './payments.routes';
export { REFUND_POLL_EVERY_MS } from './payments.refunds';
export type * from './payments.types';
export { getPlatformRefundStats } from './payments.platform-stats';

/** Sets res.locals.sandbox so that the layout shows the "payments are simulated" badge. */
function sandboxBadge(config: Config): RequestHandler {
  const sandbox = usesFlutterwaveSimulator(config);
  return (_req, res, next) => {
    res.locals.sandbox = sandbox;
    next();
  };
}

/**
 * The payments web module: the API (initialize, callback page, webhook, refunds, and "confirm
 * payment" under the bookings prefix: POST /api/v1/bookings/:id/confirm), the admins'
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
    api: [paymentsRoutes(platform, service), paymentReviewApi(service), confirmPaymentApi(platform, service)],
    pages: paymentReviewPages(service),
    nav: [
      {
        label: 'Payments review',
        href: REVIEW_PAGE,
        when: (u) => !!(u as { isAdmin?: boolean } | null)?.isAdmin,
      },
    ],
    apiRateLimitExempt: [WEBHOOK_PATH],
    // Stored with each event, so that a signature over the body can be checked (payments.settlement.ts).
    rawBodyPaths: [WEBHOOK_PATH],
    sockets: (io) => registerPaymentSockets(io, service),
  };
}
