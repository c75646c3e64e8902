import { liveCountersConsumer } from '../../src/modules/campaigns';
import { gateLiveConsumer } from '../../src/modules/validation';
import { runWorkerProcess } from '../../src/shared/worker';

/** Realtime: turns domain events into live counters, gate counts and revocations pushed to browsers (Redis emitter). */
runWorkerProcess('realtime', (platform) => ({
  consumers: [liveCountersConsumer(platform), gateLiveConsumer(platform)],
}));
