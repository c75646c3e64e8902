import crypto from 'node:crypto';
import { io as connect, type Socket } from 'socket.io-client';
import { createModules } from '../../src/modules/container';
import { recordLowStockCrossings } from '../../src/modules/campaigns';
import { fixedClock } from '../../src/shared/clock';
import type { Actor } from '../../src/shared/http/authorize';
import type { OutboxRelay } from '../../src/shared/messaging/relay';
import { startWorker, type RunningWorker } from '../../src/shared/worker';
import { realtimeConsumers } from '../../workers/realtime/consumers';
import { actorOfSeller, signIn, startSellerApp, type AuthTestEnv, type TestSession } from '../support/auth';
import { eventually } from '../support/eventually';
import { expectInventoryInvariant } from '../support/inventory-invariant';
import { createRelay } from '../support/messaging';
import { createSale, type Sale } from '../support/sale';

jest.setTimeout(120_000);

type Pushed = {
  notification: { id: string; kind: string; title: string; body: string; url: string };
  unreadCount: number;
};

describe('in-app notifications through the outbox, RabbitMQ, the realtime worker and Socket.io', () => {
  let env: AuthTestEnv;
  let seller: TestSession;
  let sellerActor: Actor;
  let buyer: TestSession;
  let other: TestSession;
  let worker: RunningWorker;
  let relay: OutboxRelay;
  let sale: Sale;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    ({ env, seller } = await startSellerApp(
      `n-seller-${crypto.randomBytes(3).toString('hex')}@example.test`,
      {},
      { realtime: true },
    ));
    sellerActor = actorOfSeller(seller);
    sale = await createSale(env.platform, {
      seller: sellerActor,
      campaign: { title: 'Harbour Lights', timezone: 'Africa/Lagos' },
      types: [
        { name: 'Free entry', priceMinor: 0, capacity: 100 },
        { name: 'Standard', priceMinor: 250_000, capacity: 100 },
      ],
    });
    worker = startWorker(env.platform, {
      consumers: realtimeConsumers(env.platform, createModules(env.platform)),
    });
    await Promise.all(worker.consumers.map((c) => c.ready));
    relay = createRelay(env.platform);
    relay.start();
    buyer = await signIn(env, `n-buyer-${crypto.randomBytes(3).toString('hex')}@example.test`);
    other = await signIn(env, `n-other-${crypto.randomBytes(3).toString('hex')}@example.test`);
  });
  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await relay?.stop();
    await worker?.stop();
    await expectInventoryInvariant(env.platform.prisma);
    await env?.close();
  });

  async function socketFor(cookie?: string): Promise<Socket> {
    const socket = connect(env.url, {
      transports: ['websocket'],
      reconnection: false,
      ...(cookie ? { extraHeaders: { Cookie: cookie.split(';')[0]! } } : {}),
    });
    sockets.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    return socket;
  }
  const pushesOf = (socket: Socket) => {
    const got: Pushed[] = [];
    socket.on('notification:new', (m: Pushed) => got.push(m));
    return got;
  };
  const join = (socket: Socket, asked?: string) =>
    new Promise<{ ok: boolean; unreadCount?: number }>((resolve) =>
      asked === undefined
        ? socket.emit('notifications:join', resolve)
        : socket.emit('notifications:join', asked, resolve),
    );

  async function book(who: TestSession, ticketTypeId: string, quantity = 1, campaignId = sale.campaign.id) {
    const res = await who
      .post('/api/v1/bookings')
      .set('Idempotency-Key', crypto.randomUUID())
      .send({ campaignId, items: [{ ticketTypeId, quantity }], issuance: 'SINGLE' });
    expect(res.status).toBe(201);
    return res.body as { id: string; reference: string; status: string };
  }
  /** The user's notifications (of one kind), once there is at least one. */
  const storedOnce = (userId: string, kind: string, what: string) =>
    eventually(
      async () => {
        const rows = await stored(userId, kind);
        return rows.length ? rows : null;
      },
      30_000,
      what,
    );
  const stored = (userId: string, kind?: string) =>
    env.platform.prisma.notification.findMany({
      where: { userId, ...(kind ? { kind } : {}) },
      orderBy: { createdAt: 'asc' },
    });

  it('when a seller application is approved, then the applicant has an "approved" notification linking to their campaigns', async () => {
    const [n] = await storedOnce(seller.userId, 'APPLICATION_DECIDED', 'the decision notification');
    expect(n).toMatchObject({ title: 'You can sell on Tikiti', url: '/seller/campaigns', readAt: null });
  });

  it('when a free booking is confirmed, then the buyer gets one stored notification, pushed live to their own room, listed by the API with the unread count', async () => {
    const socket = await socketFor(buyer.cookie);
    const got = pushesOf(socket);
    expect(await join(socket)).toEqual({ ok: true, unreadCount: 0 });
    const booking = await book(buyer, sale.types[0]!.id, 2);
    expect(booking.status).toBe('CONFIRMED');

    const push = await eventually(
      () => got.find((m) => m.notification.kind === 'BOOKING_CONFIRMED'),
      30_000,
      'the live push',
    );
    expect(push.notification).toMatchObject({
      title: `Booking ${booking.reference} confirmed`,
      url: `/bookings/${booking.id}`,
    });
    // The campaign's time zone and the plain words, with the zone named.
    expect(push.notification.body).toMatch(
      /^2 tickets for Harbour Lights, .+ · Lagos time\. Free\. Your tickets follow/,
    );
    expect(push.unreadCount).toBeGreaterThanOrEqual(1);

    const rows = await stored(buyer.userId, 'BOOKING_CONFIRMED');
    expect(rows).toHaveLength(1);
    expect(rows[0]!.id).toBe(push.notification.id);
    const list = await buyer.get('/api/v1/notifications').expect(200);
    expect(list.body.items.map((i: { id: string }) => i.id)).toContain(push.notification.id);
    expect(list.body.unreadCount).toBe(
      list.body.items.filter((i: { readAt: string | null }) => !i.readAt).length,
    );
    // The tickets follow: their own notification, from tickets.issued (not run here: no tickets worker).
    // The seller's first sale milestone (one of four: first, half, 90 %, sold out).
    const milestones = await storedOnce(seller.userId, 'SALE_MILESTONE', 'the first-sale milestone');
    expect(milestones.map((m) => m.title)).toEqual(['First sale for Harbour Lights']);
  });

  it('when the same confirmed event is delivered again, even with its inbox row gone, then it still makes one notification', async () => {
    const [row] = await env.platform.prisma.$queryRaw<Array<{ id: string }>>`
      SELECT id::text FROM outbox_messages WHERE event_name = 'booking.confirmed' ORDER BY created_at LIMIT 1`;
    const before = (await stored(buyer.userId)).length;
    const consumed = async () =>
      (await env.platform.counters.read())
        .filter(
          (c) =>
            c.metric === 'messages_consumed_total' &&
            c.labels.consumer === 'notifications.in-app' &&
            c.labels.event === 'booking.confirmed',
        )
        .reduce((n, c) => n + c.value, 0);

    // 1. A plain redelivery: the inbox row skips it.
    const seen = await consumed();
    await env.platform.prisma
      .$executeRaw`UPDATE outbox_messages SET published_at = NULL WHERE id = ${row!.id}::uuid`;
    await eventually(async () => (await consumed()) > seen, 30_000, 'the redelivery to be consumed');
    expect(await stored(buyer.userId)).toHaveLength(before);

    // 2. As if the inbox had lost it (a replay into a new queue): the (user, source) key holds.
    await env.platform.prisma.$executeRaw`
      DELETE FROM inbox_messages WHERE consumer = 'notifications.in-app' AND message_id = ${row!.id}::uuid`;
    await env.platform.prisma
      .$executeRaw`UPDATE outbox_messages SET published_at = NULL WHERE id = ${row!.id}::uuid`;
    await eventually(
      async () =>
        (
          await env.platform.prisma.$queryRaw<unknown[]>`
            SELECT 1 FROM inbox_messages WHERE consumer = 'notifications.in-app' AND message_id = ${row!.id}::uuid`
        ).length === 1,
      30_000,
      'the replay to be handled again',
    );
    expect(await stored(buyer.userId)).toHaveLength(before);
    expect(await stored(buyer.userId, 'BOOKING_CONFIRMED')).toHaveLength(1);
  });

  it("when a socket asks for another user's room, then it is refused and receives nothing of theirs; a socket without a session, or with a forged one, joins no room", async () => {
    const mine = await socketFor(buyer.cookie);
    const intruder = await socketFor(other.cookie);
    const anonymous = await socketFor();
    const sid = decodeURIComponent(buyer.cookie.split(';')[0]!.split('=')[1]!);
    const forged = await socketFor(
      `tm.sid=${encodeURIComponent(sid.replace(/\.[^.]+$/, '.forgedsignature'))}`,
    );
    const [gotMine, gotIntruder, gotAnonymous, gotForged] = [mine, intruder, anonymous, forged].map(
      pushesOf,
    ) as [Pushed[], Pushed[], Pushed[], Pushed[]];

    expect(await join(intruder, buyer.userId)).toEqual({ ok: false });
    expect(await join(intruder, `user:${buyer.userId}`)).toEqual({ ok: false });
    expect((await join(anonymous)).ok).toBe(false);
    expect((await join(forged)).ok).toBe(false);
    expect((await join(intruder)).ok).toBe(true);

    const first = await book(buyer, sale.types[0]!.id);
    await eventually(
      () => gotMine.find((m) => m.notification.url === `/bookings/${first.id}`),
      30_000,
      "the owner's push",
    );
    // The intruder's own notification comes after the buyer's on the same emitter: had the
    // intruder been in the buyer's room, that push would have reached it first.
    const own = await book(other, sale.types[0]!.id);
    await eventually(
      () => gotIntruder.find((m) => m.notification.url === `/bookings/${own.id}`),
      30_000,
      "the intruder's own push",
    );
    expect(gotIntruder.map((m) => m.notification.url)).toEqual([`/bookings/${own.id}`]);
    expect(gotMine.map((m) => m.notification.url)).not.toContain(`/bookings/${own.id}`);
    expect(gotAnonymous).toEqual([]);
    expect(gotForged).toEqual([]);
  });

  it("when someone marks another user's notification, then 404; the owner marks it read, then all; hostile input is a 4xx with a code", async () => {
    const [theirs] = await stored(buyer.userId, 'BOOKING_CONFIRMED');
    const notFound = await other.post(`/api/v1/notifications/${theirs!.id}/read`).expect(404);
    expect(notFound.body.error.code).toBe('NOTIFICATION_NOT_FOUND');
    expect(
      (await other.get('/api/v1/notifications').expect(200)).body.items.map((i: { id: string }) => i.id),
    ).not.toContain(theirs!.id);
    expect(
      (await env.platform.prisma.notification.findUniqueOrThrow({ where: { id: theirs!.id } })).readAt,
    ).toBeNull();

    // Cookie without the CSRF header; no session at all.
    await (
      await import('supertest')
    )
      .default(env.url)
      .post(`/api/v1/notifications/${theirs!.id}/read`)
      .set('Cookie', buyer.cookie)
      .expect(403);
    await (await import('supertest')).default(env.url).get('/api/v1/notifications').expect(401);

    const before = (await buyer.get('/api/v1/notifications').expect(200)).body.unreadCount as number;
    const read = await buyer.post(`/api/v1/notifications/${theirs!.id}/read`).expect(200);
    expect(read.body.notification.readAt).not.toBeNull();
    expect(read.body.unreadCount).toBe(before - 1);
    const again = await buyer.post(`/api/v1/notifications/${theirs!.id.toUpperCase()}/read`).expect(200);
    expect(again.body.notification.readAt).toBe(read.body.notification.readAt);
    const all = await buyer.post('/api/v1/notifications/read-all').send({}).expect(200);
    expect(all.body).toEqual({ updated: before - 1, unreadCount: 0 });

    for (const [path, expected] of [
      ['/api/v1/notifications/not-a-uuid/read', 400],
      ['/api/v1/notifications/%00/read', 400],
      ['/api/v1/notifications/%E0%A4%A/read', 400],
    ] as const) {
      const r = await buyer.post(path);
      expect([path, r.status]).toEqual([path, expected]);
      expect(typeof r.body.error.code).toBe('string');
    }
    for (const q of [
      'limit=0',
      'limit=101',
      'limit=1e309',
      'cursor=%00',
      'cursor=bm90LWEtY3Vyc29y',
      'limit=1&limit=2',
    ]) {
      const r = await buyer.get(`/api/v1/notifications?${q}`);
      expect([q, r.status]).toEqual([q, 400]);
      expect(r.body.error.code).toMatch(/^(VALIDATION_FAILED|INVALID_CURSOR)$/);
    }
    for (const body of [
      { ids: 'x' },
      { ids: [theirs!.id, 'x'] },
      { ids: Array.from({ length: 101 }, () => crypto.randomUUID()) },
      { ids: [] },
      { ids: ['\u0000'] },
      [1, 2],
    ]) {
      const r = await buyer.post('/api/v1/notifications/read-all').send(body as object);
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('VALIDATION_FAILED');
    }
    // Another user's ids in read-all change nothing of theirs.
    const [mineForOther] = await stored(other.userId, 'BOOKING_CONFIRMED');
    await buyer
      .post('/api/v1/notifications/read-all')
      .send({ ids: [mineForOther!.id] })
      .expect(200);
    expect(
      (await env.platform.prisma.notification.findUniqueOrThrow({ where: { id: mineForOther!.id } })).readAt,
    ).toBeNull();
  });

  it('when an unpaid hold nears its end, then the scheduler announces it once and the buyer is told when it lapses, in the campaign time zone', async () => {
    const hold = await book(buyer, sale.types[1]!.id);
    expect(hold.status).toBe('PENDING');
    const expiresAt = new Date(
      (await env.platform.prisma.booking.findUniqueOrThrow({ where: { id: hold.id } })).expiresAt,
    );
    // Two schedulers, two minutes before the end (the warning's lead is three).
    const later = createModules({
      ...env.platform,
      clock: fixedClock(new Date(expiresAt.getTime() - 120_000)),
    }).bookings;
    const counts = await Promise.all([later.warnExpiringHolds(), later.warnExpiringHolds()]);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(1);
    expect(await later.warnExpiringHolds()).toBe(0);
    const [n] = await storedOnce(buyer.userId, 'HOLD_EXPIRING', 'the hold warning');
    expect(n!.url).toBe(`/bookings/${hold.id}`);
    const lagos = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Africa/Lagos',
      hour: '2-digit',
      minute: '2-digit',
    }).format(expiresAt);
    expect(n!.body).toContain(`held for you until`);
    expect(n!.body).toContain(lagos);
    expect(n!.body).toContain('(Lagos time)');
    await buyer.post(`/api/v1/bookings/${hold.id}/cancel`).send({});
  });

  it('when the seller moves the venue, then every buyer holding tickets is told, and a change of description tells no one', async () => {
    await seller
      .patch(`/api/v1/campaigns/${sale.campaign.id}`)
      .send({ description: 'Now with a second stage.' })
      .expect(200);
    await seller
      .patch(`/api/v1/campaigns/${sale.campaign.id}`)
      .send({ venueName: 'Old Customs House' })
      .expect(200);
    for (const who of [buyer, other]) {
      const [n] = await storedOnce(who.userId, 'CAMPAIGN_CHANGED', 'the change notification');
      expect(n!.title).toBe('Harbour Lights has changed');
      expect(n!.body).toContain('New place: Old Customs House');
      expect(n!.url).toBe(`/campaigns/${sale.campaign.slug}`);
    }
    // The description's event says no date or place changed, so its handling tells no one.
    const updates = await env.platform.prisma.$queryRaw<
      Array<{ fields: string[]; changed: string[] | null }>
    >`
      SELECT payload->'payload'->'fields' AS fields, payload->'payload'->'changed' AS changed FROM outbox_messages
      WHERE event_name = 'campaign.updated' AND payload->'payload'->>'campaignId' = ${sale.campaign.id}
      ORDER BY created_at`;
    expect(updates.slice(-2)).toEqual([
      { fields: ['description'], changed: null },
      { fields: ['venueName'], changed: ['venue'] },
    ]);
    expect(await stored(buyer.userId, 'CAMPAIGN_CHANGED')).toHaveLength(1);
  });

  describe('low stock', () => {
    let small: Sale;
    let buyers: TestSession[];

    beforeAll(async () => {
      small = await createSale(env.platform, {
        seller: sellerActor,
        campaign: { title: 'Rooftop Session' },
        types: [{ name: 'Terrace', priceMinor: 0, capacity: 20, maxPerOrder: 10 }],
      });
      buyers = await Promise.all(
        [1, 2, 3].map((i) => signIn(env, `n-low-${i}-${crypto.randomBytes(3).toString('hex')}@example.test`)),
      );
    });

    it('when a type falls to the seller\'s threshold, then one campaign.stock-low, one "stock:low" on the live channel, and one seller notification, however many sales follow', async () => {
      const type = small.types[0]!;
      // The seller's own threshold: warn at 5 left (the default would be min(10, 10 % of 20) = 2).
      const patched = await seller
        .patch(`/api/v1/campaigns/${small.campaign.id}/ticket-types/${type.id}`)
        .send({ lowStockThreshold: 5 })
        .expect(200);
      expect(patched.body).toMatchObject({ lowStockThreshold: 5, lowStock: false });
      const live = await socketFor();
      const lows: Array<{ ticketTypeId: string; available: number; threshold: number }> = [];
      live.on('stock:low', (e: (typeof lows)[number]) => lows.push(e));
      await new Promise((resolve) => live.emit('campaign:join', small.campaign.id, resolve));

      await book(buyers[0]!, type.id, 10, small.campaign.id);
      await book(buyers[1]!, type.id, 4, small.campaign.id);
      // 6 left: above the threshold; a check now records nothing.
      expect(
        await recordLowStockCrossings(env.platform.prisma, env.platform.clock, small.campaign.id),
      ).toEqual([]);
      await book(buyers[1]!, type.id, 1, small.campaign.id); // 5 left: the crossing
      const crossing = await eventually(() => lows[0], 30_000, 'the live low-stock event');
      expect(crossing).toMatchObject({ ticketTypeId: type.id, available: 5, threshold: 5 });

      await book(buyers[2]!, type.id, 1, small.campaign.id); // 4 left
      await book(buyers[2]!, type.id, 1, small.campaign.id); // 3 left
      expect(
        await recordLowStockCrossings(env.platform.prisma, env.platform.clock, small.campaign.id),
      ).toEqual([]);
      const [n] = await storedOnce(seller.userId, 'LOW_STOCK', 'the seller notification');
      expect(n).toMatchObject({
        title: 'Few Terrace tickets left',
        url: `/seller/campaigns/${small.campaign.id}`,
      });
      expect(n!.body).toBe(
        'Only 5 of 20 Terrace tickets are left for Rooftop Session. Buyers now see "Few left".',
      );

      // Whenever the consumer gets to the later sales' events, the guard leaves nothing to record.
      const events = await env.platform.prisma.$queryRaw<Array<{ n: number }>>`
        SELECT count(*)::int AS n FROM outbox_messages WHERE event_name = 'campaign.stock-low'
          AND payload->'payload'->>'ticketTypeId' = ${type.id}`;
      expect(events[0]!.n).toBe(1);
      expect(lows).toHaveLength(1);
      expect(await stored(seller.userId, 'LOW_STOCK')).toHaveLength(1);
      const page = await (
        await import('supertest')
      )
        .default(env.url)
        .get(`/campaigns/${small.campaign.slug}`)
        .expect(200);
      expect(page.text).toMatch(/data-few-left\s*>Few left/);
    });

    it('when eight checks race on a type that has just crossed, then exactly one records the crossing', async () => {
      const type = small.types[0]!;
      const crossings = async () =>
        (
          await env.platform.prisma.$queryRaw<Array<{ n: number }>>`
            SELECT count(*)::int AS n FROM outbox_messages WHERE event_name = 'campaign.stock-low'
              AND payload->'payload'->>'ticketTypeId' = ${type.id}`
        )[0]!.n;
      const before = await crossings();
      await env.platform.prisma.ticketType.update({ where: { id: type.id }, data: { lowStockAt: null } });
      const results = await Promise.all(
        Array.from({ length: 8 }, () =>
          recordLowStockCrossings(env.platform.prisma, env.platform.clock, small.campaign.id),
        ),
      );
      // The realtime worker is a ninth racer: on a loaded machine it may still be folding the
      // previous test's sales, and then it is the one that records the crossing. One record, either way.
      expect(await crossings()).toBe(before + 1);
      expect(results.flat().length).toBeLessThanOrEqual(1);
      for (const r of results.flat())
        expect(r).toMatchObject({ ticketTypeId: type.id, available: 3, threshold: 5 });
    });
  });
});
