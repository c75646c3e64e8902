import { liveCountersConsumer } from '../src/modules/campaigns';
import { paymentsWorker } from '../src/modules/payments';
import { createMailer } from '../src/shared/mailer';
import { topologyOf, type QueueTopology } from '../src/shared/messaging/topology';
import type { Platform } from '../src/shared/platform';
import { createStorage } from '../src/shared/storage';
import { emailConsumers } from './email/handler';
import { financeWorker } from './finance/handler';
import { PAYOUTS_SEND_QUEUE, PAYOUTS_WEBHOOK_QUEUE } from './payouts/handler';
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
      ...(financeWorker(platform).consumers ?? []),
      { name: PAYOUTS_SEND_QUEUE.name, events: [...PAYOUTS_SEND_QUEUE.events] },
      { name: PAYOUTS_WEBHOOK_QUEUE.name, events: [...PAYOUTS_WEBHOOK_QUEUE.events] },
      liveCountersConsumer(platform),
    ]);
  } finally {
    void mailer.close();
  }
}
