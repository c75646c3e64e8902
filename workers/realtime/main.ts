import { runWorkerProcess } from '../../src/shared/worker';
import { gateLiveConsumer, liveCountersConsumer } from './handler';

/** Realtime: turns domain events into live counters, gate counts and revocations pushed to browsers (Redis emitter). */
runWorkerProcess('realtime', (platform) => ({
  consumers: [liveCountersConsumer(platform), gateLiveConsumer(platform)],
}));
