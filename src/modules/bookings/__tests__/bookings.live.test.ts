import crypto from 'node:crypto';
import { io as connect, type Socket } from 'socket.io-client';
import { fixedClock } from '../../../shared/clock';
import { OutboxRelay } from '../../../shared/messaging/relay';
import type { Platform } from '../../../shared/platform';
import { startWorker, type RunningWorker } from '../../../shared/worker';
import { actor } from '../../../../test/support/factories';
import { expectInventoryInvariant } from '../../../../test/support/inventory-invariant';
import { createTestPlatform, resetDatabase, startApp, waitFor, type RunningApp } from '../../../../test/support/platform';
import { createSale } from '../../../../test/support/sale';
import { liveCountersConsumer, type CounterSnapshot } from '../../campaigns';
import { createBookingsService } from '../bookings.service';

describe('bookings → live counters', () => {
  let web: Platform;
  let workerPlatform: Platform;
  let app: RunningApp;
  let worker: RunningWorker;
  let relay: OutboxRelay;
  let socket: Socket | undefined;

  beforeAll(async () => {
    web = await createTestPlatform({}, 'web');
    workerPlatform = await createTestPlatform({}, 'realtime');
    await resetDatabase(web);
    app = await startApp(web, { realtime: true });
    worker = startWorker(workerPlatform, { consumers: [liveCountersConsumer(workerPlatform)] });
    relay = new OutboxRelay({
      prisma: workerPlatform.prisma,
      broker: workerPlatform.broker,
      databaseUrl: workerPlatform.config.DATABASE_URL,
      logger: workerPlatform.logger,
      counters: workerPlatform.counters,
      batchSize: 100,
      pollMs: 50,
    });
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
    const bookings = createBookingsService({ prisma: web.prisma, clock, config: web.config });
    const s = await createSale({ prisma: web.prisma, clock }, { types: [{ capacity: 30 }] });
    const t = s.types[0]!;

    const received: CounterSnapshot[] = [];
    socket = connect(app.url, { transports: ['websocket'] });
    socket.on('booking:counter', (c: CounterSnapshot) => received.push(c));
    await new Promise<{ ok: boolean }>((resolve) => socket!.emit('campaign:join', s.campaign.id, resolve));
    await waitFor(() => received.some((c) => c.ticketTypeId === t.id && c.available === 30), 5000, 'snapshot');

    const reserve = (q: number) => bookings.reserveBooking(actor(), crypto.randomUUID(), { campaignId: s.campaign.id, items: [{ ticketTypeId: t.id, quantity: q }], issuance: 'SINGLE' });
    const a = (await reserve(4)).body as { id: string };
    await waitFor(() => received.find((c) => c.reserved === 4 && c.available === 26), 10_000, 'counter after booking.reserved');

    await bookings.confirmBooking(undefined, a.id, 'live-pay');
    await waitFor(() => received.find((c) => c.sold === 4 && c.reserved === 0), 10_000, 'counter after booking.confirmed');

    await reserve(5);
    await waitFor(() => received.find((c) => c.reserved === 5 && c.sold === 4), 10_000, 'counter after the second booking');
    const mark = received.length;
    clock.advance(16 * 60_000);
    expect(await bookings.expireDueBookings()).toBe(1);
    const last = await waitFor(() => received.slice(mark).find((c) => c.reserved === 0), 10_000, 'counter after booking.expired');
    expect(last).toEqual({ campaignId: s.campaign.id, ticketTypeId: t.id, capacity: 30, sold: 4, reserved: 0, available: 26 });
  });
});
