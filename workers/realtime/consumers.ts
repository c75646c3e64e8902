import type { Modules } from '../../src/modules/container';
import type { ConsumerSpec } from '../../src/shared/messaging/consumer';
import type { Platform } from '../../src/shared/platform';
import { createEmitter } from '../../src/shared/realtime';
import { gateLiveConsumer, liveCountersConsumer, lowStockConsumer } from './handler';
import { notificationsConsumer } from './notifications';

/** Every consumer the realtime worker runs (main.ts, and tests that run the worker in process). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function realtimeConsumers(platform: Platform, modules: Modules): Array<ConsumerSpec<any>> {
  return [
    liveCountersConsumer(platform),
    lowStockConsumer(platform),
    gateLiveConsumer(platform),
    notificationsConsumer(modules, createEmitter(platform.redis, platform.config.REDIS_PREFIX)),
  ];
}
