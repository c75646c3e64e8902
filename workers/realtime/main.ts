import { runWorkerProcess } from '../../src/shared/worker';
import { liveCountersConsumer } from './handler';

/** Realtime: turns domain events into live counters pushed to browsers (Redis emitter). */
runWorkerProcess('realtime', (platform) => ({ consumers: [liveCountersConsumer(platform)] }));
