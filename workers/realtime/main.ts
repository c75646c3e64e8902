import { liveCountersConsumer } from '../../src/modules/campaigns';
import { runWorkerProcess } from '../../src/shared/worker';

/** Realtime: turns domain events into live counters pushed to browsers (Redis emitter). */
runWorkerProcess('realtime', (platform) => ({ consumers: [liveCountersConsumer(platform)] }));
