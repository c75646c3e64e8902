import { createModules } from '../../src/modules/container';
import { createEmitter } from '../../src/shared/realtime';
import { runWorkerProcess } from '../../src/shared/worker';
import { gateLiveConsumer, liveCountersConsumer, lowStockConsumer } from './handler';
import { notificationsConsumer } from './notifications';

/**
 * Realtime: turns domain events into live counters, low-stock crossings, gate counts and
 * revocations pushed to browsers, and in-app notifications (stored, then pushed to each user's
 * room), all through the Redis emitter.
 */
runWorkerProcess('realtime', (platform) => ({
  consumers: [
    liveCountersConsumer(platform),
    lowStockConsumer(platform),
    gateLiveConsumer(platform),
    notificationsConsumer(
      createModules(platform),
      createEmitter(platform.redis, platform.config.REDIS_PREFIX),
    ),
  ],
}));
