import type { Clock } from '../../shared/clock';
import type { Config } from '../../shared/config';
import type { Db } from '../../shared/db';
import type { Logger } from '../../shared/logger';
import type { BookingsService } from '../bookings';
import type { FlutterwaveClient } from './flutterwave.client';

/** What the payments use cases are built from (createPaymentsService hands the same deps to each). */
export type PaymentsConfig = Pick<
  Config,
  | 'FLUTTERWAVE_SECRET_HASH'
  | 'FLUTTERWAVE_TIMEOUT_MS'
  | 'FLUTTERWAVE_MAX_RETRIES'
  | 'PAYMENT_RECONCILE_AFTER_MINUTES'
  | 'PAYMENT_RECONCILE_BATCH_SIZE'
  | 'PAYMENT_ABANDON_AFTER_MINUTES'
  | 'PAYMENT_VERIFY_COOLDOWN_SECONDS'
  | 'REFUND_REDRIVE_AFTER_MINUTES'
>;

export interface PaymentsDeps {
  prisma: Db;
  clock: Clock;
  config: PaymentsConfig;
  flutterwave: FlutterwaveClient;
  bookings: BookingsService;
  logger: Logger;
}

/** Every payments transaction: no provider call is ever made inside one (see payments.service.ts). */
export const TX_OPTIONS = { maxWait: 30_000, timeout: 60_000 };

/** How long after one check a payment that has not settled is checked again by reconciliation. */
export const reconcileEveryMs = (config: PaymentsConfig) =>
  Math.max(1, config.PAYMENT_RECONCILE_AFTER_MINUTES) * 60_000;

/**
 * How long a reconciliation claim keeps other workers off a payment: long enough for one attempt
 * (Flutterwave calls, then a transaction that may wait for a connection), and no longer, because
 * an attempt that dies (the worker killed, PostgreSQL gone between the claim and the commit) is
 * retried when the claim runs out. The attempt itself sets the next check when it commits.
 */
export const reconcileLeaseMs = (config: PaymentsConfig) =>
  Math.min(
    reconcileEveryMs(config),
    Math.max(30_000, 2 * config.FLUTTERWAVE_TIMEOUT_MS + TX_OPTIONS.maxWait),
  );
