import { createEvent } from '../../src/shared/messaging/events';
import { declareTopology } from '../../src/shared/messaging/topology';
import { systemClock } from '../../src/shared/clock';
import { startWorker } from '../../src/shared/worker';
import type { Platform } from '../../src/shared/platform';
import { createTestPlatform, waitFor } from '../support/platform';
import { createModules } from '../../src/modules/container';
import { paymentsWorker } from '../../workers/payments/handler';
import { createMailer } from '../../src/shared/mailer';
import { emailConsumers } from '../../workers/email/handler';
import { financeWorker } from '../../workers/finance/handler';
import { payoutsWorker } from '../../workers/payouts/handler';
import { realtimeConsumers } from '../../workers/realtime/consumers';
import { ticketsConsumers } from '../../workers/tickets/handler';
import { platformTopology } from '../../workers/topology';

describe('consumer topology', () => {
  let platform: Platform;
  beforeAll(async () => {
    platform = await createTestPlatform();
  });
  afterAll(() => platform.close());

  it('when the relay publishes before a consumer has ever run, then the event waits in the declared queue', async () => {
    const queue = `topology.test.${Date.now()}`;
    const eventName = `topology.happened.${Date.now()}`;
    await declareTopology(platform.broker, [{ name: queue, events: [eventName] }]);
    const event = createEvent(eventName, { n: 1 }, systemClock);
    await platform.broker.publisher.send(
      {
        exchange: platform.broker.exchange,
        routingKey: eventName,
        messageId: event.id,
        durable: true,
        contentType: 'application/json',
      },
      event,
    );
    // Only now does the consumer start: the message was kept for it.
    const seen: string[] = [];
    const worker = startWorker(platform, {
      consumers: [{ name: queue, events: [eventName], handle: async (e) => void seen.push(e.id) }],
    });
    try {
      await waitFor(() => seen.length === 1, 10_000, 'the early event');
      expect(seen).toEqual([event.id]);
    } finally {
      await worker.stop();
    }
  });

  it('when the platform topology is built, then it names every worker queue with its bindings', () => {
    const topology = platformTopology();
    const names = topology.map((q) => q.name);
    expect(names).toEqual(expect.arrayContaining(['tickets.issue', 'campaigns.live-counters']));
    expect(new Set(names).size).toBe(names.length);
    expect(topology.find((q) => q.name === 'tickets.issue')?.events).toContain('booking.confirmed');
    expect(topology.every((q) => q.events.length > 0)).toBe(true);
  });

  it('when the workers build their consumers, then each consumes exactly a queue the topology declares, with the same bindings', async () => {
    const mailer = createMailer(platform.config);
    try {
      const modules = createModules(platform, { mailer });
      const specs = [
        ...ticketsConsumers(modules),
        ...emailConsumers(platform, modules),
        ...(paymentsWorker(platform, modules.payments).consumers ?? []),
        ...(financeWorker(modules.finance).consumers ?? []),
        ...(payoutsWorker(platform, modules).consumers ?? []),
        ...realtimeConsumers(platform, modules),
      ];
      const asDeclared = (qs: Array<{ name: string; events: readonly string[] }>) =>
        qs
          .map((q) => ({ name: q.name, events: [...q.events].sort() }))
          .sort((a, b) => a.name.localeCompare(b.name));
      expect(asDeclared(specs)).toEqual(asDeclared(platformTopology()));
    } finally {
      mailer.close();
    }
  });
});
