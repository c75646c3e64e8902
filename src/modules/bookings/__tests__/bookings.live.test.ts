import crypto from 'node:crypto';
import { io as connect, type Socket } from 'socket.io-client';
import { fixedClock } from '../../../shared/clock';
import type { OutboxRelay } from '../../../shared/messaging/relay';
import type { Platform } from '../../../shared/platform';
import { startWorker, type RunningWorker } from '../../../shared/worker';
import { actor } from '../../../../test/support/factories';
import { expectInventoryInvariant } from '../../../../test/support/inventory-invariant';
import {
  createTestPlatform,
  resetDatabase,
  startApp,
  waitFor,
  type RunningApp,
} from '../../../../test/support/platform';
import { createSale } from '../../../../test/support/sale';
import { liveCountersConsumer } from '../../../../workers/realtime/handler';
import type { CounterSnapshot } from '../../campaigns';
import { createModules } from '../../container';
import { createRelay } from '../../../../test/support/messaging';

describe('bookings → live counters', () => {
  let web: Platform;
  let workerPlatform: Platform;
  let app: RunningApp;
  let worker: RunningWorker;
  let relay: OutboxRelay;
  let socket: Socket | undefined;

  beforeAll(async () => {
    web = await createTestPlatform({}, 'web');
    workerPlatform = await createTestPlatform({ LIVE_COUNTERS_INTERVAL_MS: '400' }, 'realtime');
    await resetDatabase(web);
    app = await startApp(web, { realtime: true });
    worker = startWorker(workerPlatform, { consumers: [liveCountersConsumer(workerPlatform)] });
    relay = createRelay(workerPlatform);
    relay.start();
  });
  afterAll(async () => {
    socket?.disconnect();
    await relay.stop();
    await worker.stop();
    await app.close();
    await expectInventoryInvariant(web.prisma);
    await Promise.all([web.close(), workerPlatform.close()]);
  });

  it('when tickets are reserved, expired and confirmed, then browsers in the campaign room get the new absolute counters', async () => {
    const clock = fixedClock(new Date());
    const bookings = createModules({ ...web, clock }).bookings;
    const s = await createSale({ ...web, clock }, { types: [{ capacity: 30 }] });
    const t = s.types[0]!;

    const received: CounterSnapshot[] = [];
    socket = connect(app.url, { transports: ['websocket'] });
    socket.on('booking:counter', (c: CounterSnapshot) => received.push(c));
    await new Promise<{ ok: boolean }>((resolve) => socket!.emit('campaign:join', s.campaign.id, resolve));
    await waitFor(
      () => received.some((c) => c.ticketTypeId === t.id && c.available === 30),
      5000,
      'snapshot',
    );

    const reserve = (q: number) =>
      bookings.reserveBooking(actor(), crypto.randomUUID(), {
        campaignId: s.campaign.id,
        items: [{ ticketTypeId: t.id, quantity: q }],
        issuance: 'SINGLE',
      });
    const a = (await reserve(4)).body as { id: string };
    await waitFor(
      () => received.find((c) => c.reserved === 4 && c.available === 26),
      10_000,
      'counter after booking.reserved',
    );

    await bookings.confirmBooking(undefined, a.id, 'live-pay');
    await waitFor(
      () => received.find((c) => c.sold === 4 && c.reserved === 0),
      10_000,
      'counter after booking.confirmed',
    );

    await reserve(5);
    await waitFor(
      () => received.find((c) => c.reserved === 5 && c.sold === 4),
      10_000,
      'counter after the second booking',
    );
    const mark = received.length;
    clock.advance(16 * 60_000);
    expect(await bookings.expireDueBookings()).toBe(1);
    const last = await waitFor(
      () => received.slice(mark).find((c) => c.reserved === 0),
      10_000,
      'counter after booking.expired',
    );
    expect(last).toEqual({
      campaignId: s.campaign.id,
      ticketTypeId: t.id,
      capacity: 30,
      sold: 4,
      reserved: 0,
      available: 26,
    });
  });

  it('when a burst of bookings lands on one campaign, then its room gets a few broadcasts with the final numbers, not one per booking', async () => {
    const clock = fixedClock(new Date());
    const bookings = createModules({ ...web, clock }).bookings;
    const s = await createSale({ ...web, clock }, { types: [{ capacity: 100 }] });
    const t = s.types[0]!;
    const mine: CounterSnapshot[] = [];
    const burst = connect(app.url, { transports: ['websocket'] });
    try {
      burst.on('booking:counter', (c: CounterSnapshot) => {
        if (c.ticketTypeId === t.id) mine.push(c);
      });
      await new Promise((resolve) => burst.emit('campaign:join', s.campaign.id, resolve));
      await waitFor(() => mine.some((c) => c.available === 100), 5000, 'snapshot');
      mine.length = 0;

      const results = await Promise.all(
        Array.from({ length: 40 }, () =>
          bookings.reserveBooking(actor(), crypto.randomUUID(), {
            campaignId: s.campaign.id,
            items: [{ ticketTypeId: t.id, quantity: 1 }],
            issuance: 'SINGLE',
          }),
        ),
      );
      expect(results.every((r) => r.status === 201)).toBe(true);
      await waitFor(() => mine.some((c) => c.reserved === 40), 10_000, 'the final counters');
      // 40 booking.reserved events, folded into a handful of refreshes (each the absolute numbers).
      expect(mine.length).toBeLessThan(10);
      expect(mine[mine.length - 1]).toMatchObject({ capacity: 100, reserved: 40, sold: 0, available: 60 });
      const published = await web.prisma.outboxMessage.count({
        where: {
          eventName: 'booking.reserved',
          payload: { path: ['payload', 'campaignId'], equals: s.campaign.id },
        },
      });
      expect(published).toBe(40);
    } finally {
      burst.disconnect();
    }
  });
});
