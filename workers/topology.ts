import { liveCountersConsumer } from '../src/modules/campaigns';
import { paymentsWorker } from '../src/modules/payments';
import { gateLiveConsumer } from '../src/modules/validation';
import { createMailer } from '../src/shared/mailer';
import { topologyOf, type QueueTopology } from '../src/shared/messaging/topology';
import type { Platform } from '../src/shared/platform';
import { createStorage } from '../src/shared/storage';
import { emailConsumers } from './email/handler';
import { ticketsConsumers } from './tickets/handler';

/**
 * Every worker's consumer queues and their bindings, built from the same specs the workers
 * run (so the list cannot drift from them). The relay declares these before publishing.
 */
export function platformTopology(platform: Platform): QueueTopology[] {
  const storage = createStorage(platform.config);
  const mailer = createMailer(platform.config);
  try {
    return topologyOf([
      ...ticketsConsumers(platform, storage),
      ...emailConsumers(platform, { mailer, storage }),
      ...(paymentsWorker(platform).consumers ?? []),
      liveCountersConsumer(platform),
      gateLiveConsumer(platform),
    ]);
  } finally {
    void mailer.close();
  }
}
