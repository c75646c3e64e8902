import { createModules } from '../../src/modules/container';
import { runWorkerProcess } from '../../src/shared/worker';
import { financeWorker } from './handler';

/**
 * Finance: posts payment.succeeded and refund.completed to the seller ledger (clearing, seller
 * pending, platform fees, reversals). Any number of copies: every posting has a unique cause key.
 */
runWorkerProcess('finance', (platform) => financeWorker(createModules(platform).finance));
