import { createModules } from '../../src/modules/container';
import { runWorkerProcess } from '../../src/shared/worker';
import { paymentsWorker } from './handler';

/**
 * Payments: verifies every charge with Flutterwave before a booking is confirmed (webhooks and
 * callback visits), refunds, campaign-cancellation refunds, live payment state for the callback
 * page, and the reconciliation job for payments whose webhook never came. Any number of copies.
 */
runWorkerProcess('payments', (platform) => paymentsWorker(platform, createModules(platform).payments));
