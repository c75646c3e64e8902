import crypto from 'node:crypto';
import { createTestPlatform, waitFor } from '../../../test/support/platform';
import { queueState } from '../../../test/support/queues';
import { systemClock } from '../clock';
import { createEvent } from '../messaging/events';
import type { Platform } from '../platform';
import { startWorker } from '../worker';

describe('startWorker', () => {
  let platform: Platform;
  beforeAll(async () => {
    platform = await createTestPlatform({ AMQP_PREFETCH: '3' });
  });
  afterAll(() => platform.close());

  it('when AMQP_PREFETCH is set, then a worker consumer takes exactly that many unacknowledged messages', async () => {
    const suffix = crypto.randomUUID().slice(0, 8);
    const queue = `t.prefetch.${suffix}`;
    const name = `test.prefetch.${suffix}`;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let started = 0;
    const worker = startWorker(platform, {
      consumers: [
        {
          name: queue,
          events: [name],
          concurrency: 1,
          inbox: false,
          async handle() {
            started += 1;
            await held;
          },
        },
      ],
    });
    try {
      await worker.consumers[0]!.ready;
      for (let i = 0; i < 10; i++) {
        const event = createEvent(name, { i }, systemClock);
        await platform.broker.publisher.send(
          { exchange: platform.broker.exchange, routingKey: name, messageId: event.id, durable: true },
          event,
        );
      }
      // Without the setting the consumer would take 2 × concurrency = 2, leaving 8 ready.
      await waitFor(
        async () => started === 1 && (await queueState(platform.broker, queue)).messageCount === 7,
        10_000,
        '3 messages prefetched and 7 left ready',
      );
      expect((await queueState(platform.broker, queue)).messageCount).toBe(7);
    } finally {
      release();
      await worker.stop();
    }
  });
});
