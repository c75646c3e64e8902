import { createModules } from '../../src/modules/container';
import { runWorkerProcess } from '../../src/shared/worker';
import { realtimeConsumers } from './consumers';

/**
 * Realtime: turns domain events into live counters, low-stock crossings, gate counts and
 * revocations pushed to browsers, and in-app notifications (stored, then pushed to each user's
 * room), all through the Redis emitter.
 */
runWorkerProcess('realtime', (platform) => ({
  consumers: realtimeConsumers(platform, createModules(platform)),
}));
