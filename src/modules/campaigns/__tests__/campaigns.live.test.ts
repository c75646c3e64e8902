import { io as connect, type Socket } from 'socket.io-client';
import { fixedClock } from '../../../shared/clock';
import type { OutboxRelay } from '../../../shared/messaging/relay';
import type { Platform } from '../../../shared/platform';
import { startWorker, type RunningWorker } from '../../../shared/worker';
import { campaignBody, sellerActor, ticketTypeBody } from '../../../../test/support/factories';
import {
  createTestPlatform,
  resetDatabase,
  startApp,
  waitFor,
  type RunningApp,
} from '../../../../test/support/platform';
import { liveCountersConsumer } from '../../../../workers/realtime/handler';
import { createModules } from '../../container';
import type { CampaignInput } from '../campaigns.service';
import type { CounterSnapshot } from '../campaigns.types';
import { createRelay } from '../../../../test/support/messaging';

describe('live counters', () => {
  let web1: Platform;
  let web2: Platform;
  let workerPlatform: Platform;
  let app1: RunningApp;
  let app2: RunningApp;
  let worker: RunningWorker;
  let relay: OutboxRelay;
  let socket: Socket | undefined;

  beforeAll(async () => {
    web1 = await createTestPlatform({}, 'web1');
    web2 = await createTestPlatform({}, 'web2');
    workerPlatform = await createTestPlatform({}, 'realtime');
    await resetDatabase(web1);
    app1 = await startApp(web1, { realtime: true });
    app2 = await startApp(web2, { realtime: true });
    worker = startWorker(workerPlatform, { consumers: [liveCountersConsumer(workerPlatform)] });
    relay = createRelay(workerPlatform);
    relay.start();
  });
  afterAll(async () => {
    socket?.disconnect();
    await relay.stop();
    await worker.stop();
    await app1.close();
    await app2.close();
    await Promise.all([web1.close(), web2.close(), workerPlatform.close()]);
  });

  it('when counters change through web process 1, then a client on web process 2 gets the new absolute numbers', async () => {
    const clock = fixedClock(new Date());
    const service = createModules({ ...web1, clock }).campaigns;
    const seller = sellerActor();
    const c = await service.createCampaign(seller, campaignBody(clock.now()) as CampaignInput);
    const t = await service.createTicketType(seller, c.id, ticketTypeBody({ capacity: 50 }));
    await service.publishCampaign(seller, c.id);

    const received: CounterSnapshot[] = [];
    socket = connect(app2.url, { transports: ['websocket'] });
    socket.on('booking:counter', (s: CounterSnapshot) => received.push(s));
    const joined = await new Promise<{ ok: boolean }>((resolve) =>
      socket!.emit('campaign:join', c.id, resolve),
    );
    expect(joined.ok).toBe(true);
    // The joining client gets the snapshot at once.
    await waitFor(() => received.some((s) => s.ticketTypeId === t.id && s.capacity === 50), 5000, 'snapshot');

    // A change made through the API module on web process 1 (capacity 50 → 80).
    await service.updateTicketType(seller, c.id, t.id, { capacity: 80 });
    const update = await waitFor(
      () => received.find((s) => s.capacity === 80),
      10_000,
      'live counter from the worker',
    );
    expect(update).toEqual({
      campaignId: c.id,
      ticketTypeId: t.id,
      capacity: 80,
      sold: 0,
      reserved: 0,
      available: 80,
    });
  });
});
