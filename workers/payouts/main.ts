import { createModules } from '../../src/modules/container';
import { runWorkerProcess } from '../../src/shared/worker';
import { payoutsWorker } from './handler';

/**
 * Payouts: sends each approved withdrawal as one Flutterwave transfer (reference = withdrawal id),
 * applies transfer.completed webhooks after re-verifying them, re-checks transfers with no final
 * answer, and reconciles the clearing account with Flutterwave daily. Any number of copies: every
 * step is a guarded transition (see handler.ts).
 */
runWorkerProcess('payouts', (platform) => payoutsWorker(platform, createModules(platform)));
