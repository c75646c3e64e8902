import type { RequestHandler } from 'express';
import { usesFlutterwaveSimulator, type Config } from '../../shared/config';
import type { Platform } from '../../shared/platform';
import type { WebModule } from '../registry';

/**
 * The payments module's public API. Today: the Flutterwave v3 client, the checks every payment
 * flow relies on (verification verdict, webhook authentication) and the web module that marks
 * pages as sandbox while the platform talks to the local simulator. The payment routes, tables
 * and worker come with the bookings module.
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

/** Sets res.locals.sandbox so that the layout shows the "payments are simulated" badge. */
export function sandboxBadge(config: Config): RequestHandler {
  const sandbox = usesFlutterwaveSimulator(config);
  return (_req, res, next) => {
    res.locals.sandbox = sandbox;
    next();
  };
}

/** The payments web module (routes and pages join it with the payment flows). */
export function paymentsWebModule(platform: Platform): WebModule {
  return { name: 'payments', middleware: [sandboxBadge(platform.config)] };
}
