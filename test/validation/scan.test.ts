import crypto from 'node:crypto';
import { io as connect, type Socket } from 'socket.io-client';
import request from 'supertest';
import { createModules } from '../../src/modules/container';
import { generateSigningKeyPair, signTicketPayload, toQrText } from '../../src/modules/tickets';
import { deviceCsrfToken } from '../../src/modules/validation';
import { gateLiveConsumer } from '../../workers/realtime/handler';
import type { Platform } from '../../src/shared/platform';
import { startWorker, type RunningWorker } from '../../src/shared/worker';
import {
  TEST_ADMIN_EMAIL,
  makeSeller,
  makeTeamMember,
  signIn,
  signInAdmin,
  type TestSession,
} from '../support/auth';
import {
  buyFreeTickets,
  createGate,
  enrolDevice,
  scanAs,
  scanOf,
  type BoughtTicket,
  type EnrolledDevice,
} from '../support/gate';
import { createTestPlatform, waitFor } from '../support/platform';
import { waitForConsumers } from '../support/queues';
import { expectScanInvariant } from '../support/scan-invariant';
import { createHttpSale, startTicketsEnv, type HttpSale, type TicketsTestEnv } from '../support/tickets-env';
import { expectAppHeaders } from '../support/fast-lane';

/**
 * Gate scanning through the real parts: tickets bought over HTTP and issued by the tickets
 * worker, devices enrolled through their setup links, scans over HTTP, the outbox relay and the
 * realtime consumer pushing to Socket.io.
 */

let env: TicketsTestEnv;
let live: RunningWorker;
let realtime: Platform;
let seller: TestSession;
let otherSeller: TestSession;
let sale: HttpSale;
let otherSale: HttpSale;
let northGate: string;
let device: EnrolledDevice;
let n = 0;
const email = (who: string) => `${who}-${++n}-${crypto.randomBytes(2).toString('hex')}@example.test`;
const soon = () => {
  const startsAt = new Date(Date.now() + 3_600_000);
  return {
    startsAt: startsAt.toISOString(),
    endsAt: new Date(startsAt.getTime() + 6 * 3_600_000).toISOString(),
  };
};

beforeAll(async () => {
  env = await startTicketsEnv({
    workers: ['tickets'],
    realtime: true,
    overrides: {
      SCAN_RATE_LIMIT_MAX: '100000',
      LIVE_COUNTERS_INTERVAL_MS: '0',
      ADMIN_EMAILS: TEST_ADMIN_EMAIL,
    },
  });
  // The realtime worker, as its own process would run: its emitter must share the web's Redis prefix.
  realtime = await createTestPlatform(
    { ...env.overrides, REDIS_PREFIX: env.platform.config.REDIS_PREFIX },
    'realtime',
  );
  live = startWorker(realtime, { consumers: [gateLiveConsumer(realtime)] });
  await waitForConsumers(realtime.broker, ['validation.live-gates']);
  const admin = await signInAdmin(env);
  seller = await makeSeller(env, email('seller'), { admin });
  otherSeller = await makeSeller(env, email('other-seller'), { admin });
  sale = await createHttpSale(seller, {
    campaign: soon(),
    free: { attributes: { reentry: false } },
  });
  otherSale = await createHttpSale(otherSeller, { campaign: soon() });
  northGate = await createGate(seller, sale.campaignId, 'North gate');
  device = await enrolDevice(env.url, seller, sale.campaignId, { name: 'Phone 1', gateId: northGate });
}, 120_000);

afterAll(async () => {
  await expectScanInvariant(env.platform.prisma);
  await live?.stop();
  await realtime?.close();
  await env?.close();
});

async function oneTicket(quantity = 1, issuance: 'SINGLE' | 'SEPARATE' = 'SINGLE', typeId = sale.freeTypeId) {
  const buyer = await signIn(env, email('buyer'));
  const [t] = await buyFreeTickets(buyer, sale.campaignId, typeId, quantity, issuance);
  return t!;
}

type Answer = {
  scanId: string;
  result: string;
  reason?: string;
  ticket: { id: string; entriesUsed: number; maxEntries: number } | null;
  conflict?: boolean;
  firstScannedAt?: string;
  firstGate?: string;
};

describe('scanning online', () => {
  it('when 50 gates scan one single-entry ticket at once, then exactly one is ok and 49 are already_used', async () => {
    const ticket = await oneTicket(1, 'SINGLE');
    expect(ticket.maxScans).toBe(1);
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => scanAs(env.url, device, { qr: ticket.qrText }).expect(200)),
    );
    const results = answers.map((r) => r.body as Answer);
    expect(results.filter((a) => a.result === 'ok')).toHaveLength(1);
    const refused = results.filter((a) => a.result === 'refused');
    expect(refused).toHaveLength(49);
    expect(new Set(refused.map((a) => a.reason))).toEqual(new Set(['already_used']));
    expect(refused[0]).toMatchObject({ firstGate: 'North gate', firstScannedAt: expect.any(String) });
    await expectScanInvariant(env.platform.prisma);
  }, 60_000);

  it('when a SINGLE ticket for 4 is scanned 8 times at once, then exactly 4 entries are admitted', async () => {
    const ticket = await oneTicket(4, 'SINGLE');
    expect(ticket.maxScans).toBe(4);
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => scanAs(env.url, device, { qr: ticket.qrText }).expect(200)),
    );
    const ok = answers.map((r) => r.body as Answer).filter((a) => a.result === 'ok');
    expect(ok).toHaveLength(4);
    expect(ok.map((a) => a.ticket!.entriesUsed).sort()).toEqual([1, 2, 3, 4]);
    expect(answers.filter((r) => (r.body as Answer).reason === 'already_used')).toHaveLength(4);
    const history = await seller.get(`/api/v1/validation/ticket/${ticket.id}`).expect(200);
    expect(history.body.ticket).toMatchObject({ entriesUsed: 4, maxEntries: 4, status: 'VALID' });
    expect(history.body.scans).toHaveLength(8);
    await expectScanInvariant(env.platform.prisma);
  }, 60_000);

  it('when SEPARATE tickets for 3 are bought, then each admits its one holder once', async () => {
    const buyer = await signIn(env, email('separate'));
    const tickets = await buyFreeTickets(buyer, sale.campaignId, sale.freeTypeId, 3, 'SEPARATE');
    for (const t of tickets) {
      expect((await scanAs(env.url, device, { qr: t.qrText }).expect(200)).body.result).toBe('ok');
      expect((await scanAs(env.url, device, { qr: t.qrText }).expect(200)).body.reason).toBe('already_used');
    }
  }, 60_000);

  it('when 10 different tickets are scanned at once, then each is admitted once with its own ticket, row and event', async () => {
    const buyer = await signIn(env, email('group'));
    const tickets = await buyFreeTickets(buyer, sale.campaignId, sale.freeTypeId, 10, 'SEPARATE');
    const scanAll = () =>
      Promise.all(
        tickets.map(async (t) => {
          const scanId = crypto.randomUUID();
          const res = await scanAs(env.url, device, { qr: t.qrText, scanId }).expect(200);
          return { t, scanId, answer: res.body as Answer & { ticket: { serial: number } } };
        }),
      );
    // Answered together, they go to PostgreSQL in group statements: each answer is its own ticket's.
    for (const { t, scanId, answer } of await scanAll())
      expect(answer).toMatchObject({
        scanId,
        result: 'ok',
        ticket: { id: t.id, serial: t.serial, entriesUsed: 1, maxEntries: 1 },
      });
    const rows = await env.platform.prisma.$queryRaw<Array<{ ticket_id: string; n: bigint; events: bigint }>>`
      SELECT s.ticket_id::text, count(*) AS n,
        (SELECT count(*) FROM outbox_messages o WHERE o.event_name = 'ticket.scanned'
           AND o.payload->'payload'->>'ticketId' = s.ticket_id::text) AS events
      FROM validation_scans s WHERE s.ticket_id = ANY(${tickets.map((t) => t.id)}::uuid[]) AND s.counted
      GROUP BY s.ticket_id`;
    expect(rows).toHaveLength(10);
    for (const r of rows) expect([Number(r.n), Number(r.events)]).toEqual([1, 1]);
    for (const { answer } of await scanAll())
      expect(answer).toMatchObject({ result: 'refused', reason: 'already_used' });
    await expectScanInvariant(env.platform.prisma);
  }, 60_000);

  it('when the same scanId is sent 10 times at once, then there is one scan row and ten identical answers', async () => {
    const ticket = await oneTicket(2, 'SINGLE');
    const scanId = crypto.randomUUID();
    const scannedAt = new Date().toISOString();
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        scanAs(env.url, device, { qr: ticket.qrText, scanId, scannedAt }).expect(200),
      ),
    );
    const first = answers[0]!.body as Answer;
    expect(first).toMatchObject({ result: 'ok', scanId, ticket: { entriesUsed: 1, maxEntries: 2 } });
    for (const a of answers) expect(a.body).toEqual(first);
    const rows = await env.platform.prisma.$queryRaw<Array<{ n: bigint }>>`
      SELECT count(*) AS n FROM validation_scans WHERE scan_id = ${scanId}::uuid`;
    expect(Number(rows[0]!.n)).toBe(1);
    // The copies that counted and then hit the taken scan id left nothing: one event, one entry.
    const events = await env.platform.prisma.$queryRaw<Array<{ n: bigint }>>`
      SELECT count(*) AS n FROM outbox_messages
      WHERE event_name = 'ticket.scanned' AND payload->'payload'->>'scanId' = ${scanId}`;
    expect(Number(events[0]!.n)).toBe(1);
    // Sent again later: still the first answer, and the second entry is still free.
    expect(
      (await scanAs(env.url, device, { qr: ticket.qrText, scanId, scannedAt }).expect(200)).body,
    ).toEqual(first);
    const again = await scanAs(env.url, device, { qr: ticket.qrText }).expect(200);
    expect(again.body).toMatchObject({ result: 'ok', ticket: { entriesUsed: 2 } });
    await expectScanInvariant(env.platform.prisma);
  }, 60_000);

  it('when a ticket type allows re-entry, then an exit frees an entry; without re-entry an exit is refused', async () => {
    const typeRes = await seller
      .post(`/api/v1/campaigns/${sale.campaignId}/ticket-types`)
      .send({
        name: 'Day pass',
        priceMinor: 0,
        capacity: 100,
        maxPerOrder: 10,
        attributes: { reentry: true },
      })
      .expect(201);
    const dayPass = await oneTicket(1, 'SINGLE', (typeRes.body as { id: string }).id);
    const scan = (type: 'entry' | 'exit') =>
      scanAs(env.url, device, { qr: dayPass.qrText, type }).expect(200);
    expect((await scan('exit')).body).toMatchObject({ result: 'refused', reason: 'not_inside' });
    expect((await scan('entry')).body).toMatchObject({ result: 'ok', ticket: { entriesUsed: 1 } });
    expect((await scan('entry')).body).toMatchObject({ result: 'refused', reason: 'already_used' });
    expect((await scan('exit')).body).toMatchObject({ result: 'ok', ticket: { entriesUsed: 0 } });
    expect((await scan('entry')).body).toMatchObject({ result: 'ok', ticket: { entriesUsed: 1 } });

    const plain = await oneTicket(1, 'SINGLE');
    await scanAs(env.url, device, { qr: plain.qrText }).expect(200);
    const exit = await scanAs(env.url, device, { qr: plain.qrText, type: 'exit' }).expect(200);
    expect(exit.body).toMatchObject({
      result: 'refused',
      reason: 'reentry_not_allowed',
      ticket: { entriesUsed: 1 },
    });

    const counts = await seller.get(`/api/v1/validation/campaigns/${sale.campaignId}/counts`).expect(200);
    const dayPassRow = counts.body.ticketTypes.find((t: { name: string }) => t.name === 'Day pass');
    expect(dayPassRow).toMatchObject({ entries: 2, exits: 1, inside: 1 });
    expect(counts.body.gates.find((g: { name: string }) => g.name === 'North gate').inside).toBe(
      counts.body.totals.inside,
    );
    await expectScanInvariant(env.platform.prisma);
  }, 60_000);

  it('when a campaign has not started its validity window, then its tickets are not_yet_valid', async () => {
    const later = await createHttpSale(seller); // starts in 30 days
    const phone = await enrolDevice(env.url, seller, later.campaignId);
    const buyer = await signIn(env, email('early'));
    const [t] = await buyFreeTickets(buyer, later.campaignId, later.freeTypeId, 1, 'SINGLE');
    const res = await scanAs(env.url, phone, { qr: t!.qrText }).expect(200);
    expect(res.body).toMatchObject({
      result: 'refused',
      reason: 'not_yet_valid',
      ticket: { entriesUsed: 0 },
    });
  }, 60_000);
});

describe('check-ins', () => {
  it("when tickets are scanned, then the seller's analytics count the validation module's counted entries", async () => {
    const counted = async () =>
      Number(
        (
          await env.platform.prisma.$queryRaw<Array<{ n: bigint }>>`
            SELECT count(*) AS n FROM validation_scans WHERE campaign_id = ${sale.campaignId}::uuid AND counted AND type = 'entry'`
        )[0]!.n,
      );
    const ticket = await oneTicket(3, 'SINGLE');
    const before = (await seller.get(`/api/v1/campaigns/${sale.campaignId}/analytics`).expect(200)).body;
    await scanAs(env.url, device, { qr: ticket.qrText }).expect(200);
    await scanAs(env.url, device, { qr: ticket.qrText }).expect(200);
    const after = (await seller.get(`/api/v1/campaigns/${sale.campaignId}/analytics`).expect(200)).body;
    expect(after.checkIns).toBe(before.checkIns + 2);
    expect(after.ticketsCheckedIn).toBe(before.ticketsCheckedIn + 1);
    expect(after.checkIns).toBe(await counted());
  }, 60_000);
});

describe('offline uploads', () => {
  it('when two offline devices both admitted one single-entry ticket, then after both sync one entry counts and one conflict is listed', async () => {
    const ticket = await oneTicket(1, 'SINGLE');
    const southGate = await createGate(seller, sale.campaignId, 'South gate');
    const phoneA = await enrolDevice(env.url, seller, sale.campaignId, {
      name: 'Phone A',
      gateId: northGate,
    });
    const phoneB = await enrolDevice(env.url, seller, sale.campaignId, {
      name: 'Phone B',
      gateId: southGate,
    });
    const socket = await joinGateRoom(phoneB);
    const conflicts: Array<{ scanId: string; ticketId: string; device: { name: string } }> = [];
    socket.on('gate:conflict', (c) => conflicts.push(c));
    const t0 = Date.now() - 120_000;
    const upload = (phone: EnrolledDevice, scanId: string, at: number) =>
      scanAs(env.url, phone, {
        qr: ticket.qrText,
        scanId,
        scannedAt: new Date(at).toISOString(),
        offline: true,
        deviceResult: 'ok',
      }).expect(200);
    const scanA = crypto.randomUUID();
    const scanB = crypto.randomUUID();
    const [a, b] = await Promise.all([upload(phoneA, scanA, t0), upload(phoneB, scanB, t0 + 5_000)]);
    const answers = [a.body as Answer, b.body as Answer];
    expect(answers.filter((x) => x.result === 'ok' && !x.conflict)).toHaveLength(1);
    const flagged = answers.filter((x) => x.conflict);
    expect(flagged).toHaveLength(1);
    expect(flagged[0]).toMatchObject({ result: 'refused', reason: 'already_used' });
    // Uploading the same queue again changes nothing.
    const [a2, b2] = await Promise.all([upload(phoneA, scanA, t0), upload(phoneB, scanB, t0 + 5_000)]);
    expect([a2.body, b2.body]).toEqual([a.body, b.body]);

    const history = await seller.get(`/api/v1/validation/ticket/${ticket.id}`).expect(200);
    expect(history.body.ticket).toMatchObject({ entriesUsed: 1, maxEntries: 1 });
    expect(history.body.scans).toHaveLength(2);
    for (const s of history.body.scans) {
      expect(s).toMatchObject({ offline: true, deviceResult: 'ok' });
      expect(Date.parse(s.receivedAt)).toBeGreaterThan(Date.parse(s.scannedAt));
    }
    const listed = await seller.get(`/api/v1/validation/campaigns/${sale.campaignId}/conflicts`).expect(200);
    const mine = listed.body.items.filter((c: { ticket: { id: string } }) => c.ticket.id === ticket.id);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      conflict: true,
      deviceResult: 'ok',
      result: 'refused',
      reason: 'already_used',
    });
    const flaggedId = flagged[0]!.scanId;
    await waitFor(() => conflicts.some((c) => c.scanId === flaggedId), 15_000, 'the gate:conflict push');
    socket.disconnect();
    await expectScanInvariant(env.platform.prisma);
  }, 60_000);
});

async function joinGateRoom(phone: EnrolledDevice): Promise<Socket> {
  const boot = await request(env.url)
    .get('/api/v1/validation/bootstrap')
    .set('Authorization', phone.auth)
    .expect(200);
  const campaign = boot.body.campaigns[0] as { id: string; socket: { token: string } };
  const socket = connect(env.url, { transports: ['websocket'], forceNew: true });
  const ack = await new Promise<{ ok: boolean }>((resolve) =>
    socket.emit('gate:join', { campaignId: campaign.id, token: campaign.socket.token }, resolve),
  );
  expect(ack).toEqual({ ok: true });
  return socket;
}

describe('revocations', () => {
  it('when a booking is refunded, then the next scan is revoked, the revocation is pushed over Socket.io and synced by cursor', async () => {
    const buyer = await signIn(env, email('refund'));
    const [ticket] = await buyFreeTickets(buyer, sale.campaignId, sale.freeTypeId, 1, 'SINGLE');
    const boot = await request(env.url)
      .get('/api/v1/validation/bootstrap')
      .set('Authorization', device.auth)
      .expect(200);
    const cursor = boot.body.campaigns[0].revocations.seq as number;
    const socket = await joinGateRoom(device);
    const pushed: Array<{ ticketId: string; seq: number; reason: string }> = [];
    socket.on('gate:revocation', (r) => pushed.push(r));
    // A stranger's socket with a forged token is not let in.
    const stranger = connect(env.url, { transports: ['websocket'], forceNew: true });
    const refusedAck = await new Promise<{ ok: boolean }>((resolve) =>
      stranger.emit(
        'gate:join',
        { campaignId: sale.campaignId, token: `9999999999.${'A'.repeat(43)}` },
        resolve,
      ),
    );
    expect(refusedAck).toEqual({ ok: false });
    stranger.disconnect();

    await createModules(env.platform).bookings.refundBooking(undefined, ticket!.bookingId);
    await waitFor(() => pushed.some((p) => p.ticketId === ticket!.id), 20_000, 'the gate:revocation push');
    const push = pushed.find((p) => p.ticketId === ticket!.id)!;
    expect(push).toMatchObject({ reason: 'REFUNDED', seq: cursor + 1 });

    const res = await scanAs(env.url, device, { qr: ticket!.qrText }).expect(200);
    expect(res.body).toMatchObject({ result: 'refused', reason: 'revoked', revokedReason: 'REFUNDED' });
    const synced = await request(env.url)
      .get(`/api/v1/validation/campaigns/${sale.campaignId}/revocations?after=${cursor}`)
      .set('Authorization', device.auth)
      .expect(200);
    expect(synced.body).toMatchObject({ seq: cursor + 1, hasMore: false });
    expect(synced.body.items).toEqual([
      {
        seq: cursor + 1,
        ticketId: ticket!.id,
        serial: ticket!.serial,
        revokedAt: expect.any(String),
        reason: 'REFUNDED',
      },
    ]);
    const none = await request(env.url)
      .get(`/api/v1/validation/campaigns/${sale.campaignId}/revocations?after=${cursor + 1}`)
      .set('Authorization', device.auth)
      .expect(200);
    expect(none.body).toMatchObject({ items: [], seq: cursor + 1 });
    socket.disconnect();
  }, 60_000);
});

describe('who may scan', () => {
  it('when a device that scanned is moved to another gate, then its next scan is recorded at the new gate', async () => {
    const southGate = await createGate(seller, sale.campaignId, `South gate ${++n}`);
    const phone = await enrolDevice(env.url, seller, sale.campaignId, { name: 'Mover', gateId: northGate });
    const [first, second] = [await oneTicket(1), await oneTicket(1)];
    expect((await scanAs(env.url, phone, { qr: first.qrText }).expect(200)).body.result).toBe('ok');
    await seller.patch(`/api/v1/validation/devices/${phone.id}`).send({ gateId: southGate }).expect(200);
    expect((await scanAs(env.url, phone, { qr: second.qrText }).expect(200)).body.result).toBe('ok');
    const gateOf = async (ticketId: string) =>
      (await seller.get(`/api/v1/validation/ticket/${ticketId}`).expect(200)).body.scans[0].gate.id;
    expect(await gateOf(first.id)).toBe(northGate);
    expect(await gateOf(second.id)).toBe(southGate);
  }, 60_000);

  it('when a revoked device sends a code that would be refused or a scanId it used before, then it is refused as revoked', async () => {
    const phone = await enrolDevice(env.url, seller, sale.campaignId, { name: 'Stolen phone' });
    const ticket = await oneTicket(1);
    const scanId = crypto.randomUUID();
    expect((await scanAs(env.url, phone, { qr: ticket.qrText, scanId }).expect(200)).body.result).toBe('ok');
    await seller.post(`/api/v1/validation/devices/${phone.id}/revoke`).expect(200);
    for (const body of [{ qr: ticket.qrText, scanId }, { qr: ticket.qrText }, { qr: 'NOT A CODE' }]) {
      const res = await scanAs(env.url, phone, body).expect(401);
      expect(res.body.error.code).toBe('DEVICE_REVOKED');
    }
    const rows = await env.platform.prisma.$queryRaw<Array<{ n: bigint }>>`
      SELECT count(*) AS n FROM validation_scans WHERE device_id = ${phone.id}::uuid`;
    expect(Number(rows[0]!.n)).toBe(1);
  }, 60_000);

  it("when a device's scan also carries a session cookie, then the session's CSRF token is still required", async () => {
    const ticket = await oneTicket(1);
    const withCookie = () =>
      request(env.url)
        .post('/api/v1/validation/scan')
        .set('Authorization', device.auth)
        .set('Cookie', seller.cookie)
        .send(scanOf({ qr: ticket.qrText }));
    expect((await withCookie().expect(403)).body.error.code).toBe('CSRF_INVALID');
    const ok = await withCookie().set('X-CSRF-Token', seller.csrfToken).expect(200);
    expect(ok.body).toMatchObject({ result: 'ok' });
  }, 60_000);
  it("when a device scans with its secret in the header (the fast lane), then the answer has the app's headers, errors and metrics", async () => {
    const ticket = await oneTicket(2);
    const fast = await scanAs(env.url, device, { qr: ticket.qrText }).expect(200);
    // The same scan through the app's stack: any cookie sends it there.
    const viaApp = await request(env.url)
      .post('/api/v1/validation/scan')
      .set('Authorization', device.auth)
      .set('Cookie', 'unrelated=1')
      .send(scanOf({ qr: ticket.qrText }))
      .expect(200);
    expect(fast.body).toMatchObject({ result: 'ok', ticket: { entriesUsed: 1 } });
    expect(viaApp.body).toMatchObject({ result: 'ok', ticket: { entriesUsed: 2 } });
    expectAppHeaders(fast.headers, viaApp.headers, 'scan');
    expect(fast.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const sent = await scanAs(env.url, device, { qr: ticket.qrText })
      .set('X-Request-Id', 'gate-42')
      .expect(200);
    expect(sent.headers['x-request-id']).toBe('gate-42');

    // Errors are the app's JSON errors, with the body parser's limit and codes.
    const raw = (body: string) =>
      request(env.url)
        .post('/api/v1/validation/scan')
        .set('Authorization', device.auth)
        .set('Content-Type', 'application/json')
        .send(body);
    expect((await raw('{"qr":').expect(400)).body.error.code).toBe('MALFORMED_JSON');
    expect((await raw(JSON.stringify({ qr: 'x'.repeat(2_000_000) })).expect(413)).body.error.code).toBe(
      'PAYLOAD_TOO_LARGE',
    );
    expect((await raw('{"qr":1}').expect(400)).body.error.code).toBe('VALIDATION_FAILED');
    const unknown = await request(env.url)
      .post('/api/v1/validation/scan')
      .set('Authorization', 'Device ' + 'x'.repeat(43))
      .send(scanOf({ qr: ticket.qrText }))
      .expect(401);
    expect(unknown.body.error.code).toBe('DEVICE_UNKNOWN');
    expect(unknown.headers['content-security-policy']).toBe(fast.headers['content-security-policy']);

    const metrics = await request(env.url).get('/metrics').expect(200);
    expect(metrics.text).toMatch(/route="\/api\/v1\/validation\/scan",status="200"/);
  }, 60_000);

  it('when a device is revoked, then its very next request is refused', async () => {
    const phone = await enrolDevice(env.url, seller, sale.campaignId, { name: 'Lost phone' });
    const ticket = await oneTicket(2, 'SINGLE');
    await scanAs(env.url, phone, { qr: ticket.qrText }).expect(200);
    const revoked = await seller.post(`/api/v1/validation/devices/${phone.id}/revoke`).expect(200);
    expect(revoked.body).toMatchObject({ status: 'REVOKED', revokedAt: expect.any(String) });
    const res = await scanAs(env.url, phone, { qr: ticket.qrText }).expect(401);
    expect(res.body.error.code).toBe('DEVICE_REVOKED');
    await request(env.url).get('/api/v1/validation/bootstrap').set('Authorization', phone.auth).expect(401);
    const list = await seller.get(`/api/v1/validation/campaigns/${sale.campaignId}/devices`).expect(200);
    expect(list.body.items.find((d: { id: string }) => d.id === phone.id)).toMatchObject({
      status: 'REVOKED',
    });
  }, 60_000);

  it("when another seller's manager, a buyer or nobody scans, then they are refused", async () => {
    const ticket = await oneTicket(1, 'SINGLE');
    const otherManager = await makeTeamMember(env, otherSeller, email('other-mgr'), 'MANAGER', [
      otherSale.campaignId,
    ]);
    const foreign = await otherManager
      .post('/api/v1/validation/scan')
      .send(scanOf({ qr: ticket.qrText }))
      .expect(200);
    expect(foreign.body).toMatchObject({ result: 'refused', reason: 'wrong_campaign', ticket: null });
    await otherManager.get(`/api/v1/validation/ticket/${ticket.id}`).expect(404);
    expect(
      (await otherManager.get(`/api/v1/validation/campaigns/${sale.campaignId}/devices`).expect(403)).body
        .error.code,
    ).toBe('NOT_GATE_STAFF');
    await otherManager.get(`/api/v1/validation/campaigns/${sale.campaignId}/revocations`).expect(403);
    await otherManager
      .post(`/api/v1/validation/campaigns/${sale.campaignId}/gates`)
      .send({ name: 'Mine' })
      .expect(403);

    const buyer = await signIn(env, email('nosy-buyer'));
    const asBuyer = await buyer
      .post('/api/v1/validation/scan')
      .send(scanOf({ qr: ticket.qrText }))
      .expect(403);
    expect(asBuyer.body.error.code).toBe('NOT_GATE_STAFF');
    await request(env.url)
      .post('/api/v1/validation/scan')
      .send(scanOf({ qr: ticket.qrText }))
      .expect(401);
    await request(env.url)
      .post('/api/v1/validation/scan')
      .set('Authorization', 'Device nonsense')
      .send({})
      .expect(401);
    await request(env.url)
      .post('/api/v1/validation/scan')
      .set('Authorization', `Device ${crypto.randomBytes(32).toString('base64url')}`)
      .send({})
      .expect(401);
    // The ticket was never admitted by any of them.
    const history = await seller.get(`/api/v1/validation/ticket/${ticket.id}`).expect(200);
    expect(history.body.ticket.entriesUsed).toBe(0);
  }, 60_000);

  it('when a manager assigned to the campaign scans, then it counts without enrolment, and the device of another campaign gets wrong_campaign', async () => {
    const ticket = await oneTicket(1, 'SINGLE');
    const manager = await makeTeamMember(env, seller, email('mgr'), 'MANAGER', [sale.campaignId]);
    const res = await manager
      .post('/api/v1/validation/scan')
      .send(scanOf({ qr: ticket.qrText, gateId: northGate }))
      .expect(200);
    expect(res.body).toMatchObject({ result: 'ok', ticket: { id: ticket.id, entriesUsed: 1 } });
    // Without the CSRF token a cookie session cannot scan.
    await request(env.url)
      .post('/api/v1/validation/scan')
      .set('Cookie', manager.cookie)
      .send(scanOf({ qr: ticket.qrText }))
      .expect(403);
    const boot = await manager.get('/api/v1/validation/bootstrap').expect(200);
    expect(boot.body.campaigns.map((c: { id: string }) => c.id)).toEqual([sale.campaignId]);
    expect(boot.body.campaigns[0].keys.length).toBeGreaterThan(0);

    const otherPhone = await enrolDevice(env.url, otherSeller, otherSale.campaignId);
    const wrong = await scanAs(env.url, otherPhone, { qr: ticket.qrText }).expect(200);
    expect(wrong.body).toMatchObject({ result: 'refused', reason: 'wrong_campaign', ticket: null });
  }, 60_000);
});

describe('enrolment', () => {
  it('when a phone opens the setup link, then it gets an HttpOnly device cookie once, and cookie POSTs need the CSRF token', async () => {
    const made = await seller
      .post(`/api/v1/validation/campaigns/${sale.campaignId}/devices`)
      .send({ name: 'Gate phone', gateId: northGate })
      .expect(201);
    expect(made.body.enrolment.qrSvg).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(made.body.device).toMatchObject({
      status: 'PENDING',
      gate: { id: northGate, name: 'North gate' },
    });
    const path = new URL(made.body.enrolment.url as string).pathname;
    const opened = await request(env.url).get(path).expect(303);
    expect(opened.headers.location).toBe('/gate');
    const setCookie = (opened.headers['set-cookie'] as unknown as string[]).find((c) =>
      c.startsWith('tikiti_device='),
    )!;
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    const cookie = setCookie.split(';')[0]!;
    const twice = await request(env.url).get(path).expect(410);
    expect(twice.text).toContain('does not work any more');

    const ticket = await oneTicket(1, 'SINGLE');
    const body = scanOf({ qr: ticket.qrText });
    const noToken = await request(env.url)
      .post('/api/v1/validation/scan')
      .set('Cookie', cookie)
      .send(body)
      .expect(403);
    expect(noToken.body.error.code).toBe('CSRF_INVALID');
    const boot = await request(env.url).get('/api/v1/validation/bootstrap').set('Cookie', cookie).expect(200);
    expect(boot.body).toMatchObject({
      actor: { kind: 'device', name: 'Gate phone' },
      gate: { name: 'North gate' },
    });
    const csrf = deviceCsrfToken(env.platform.config.SESSION_SECRET, made.body.device.id as string);
    const ok = await request(env.url)
      .post('/api/v1/validation/scan')
      .set('Cookie', cookie)
      .set('X-CSRF-Token', csrf)
      .send(body)
      .expect(200);
    expect(ok.body.result).toBe('ok');
    const list = await seller.get(`/api/v1/validation/campaigns/${sale.campaignId}/devices`).expect(200);
    const row = list.body.items.find((d: { id: string }) => d.id === made.body.device.id);
    expect(row).toMatchObject({
      status: 'ACTIVE',
      lastSeenAt: expect.any(String),
      lastSyncAt: expect.any(String),
    });

    const renamed = await seller
      .patch(`/api/v1/validation/devices/${made.body.device.id}`)
      .send({ name: 'Gate phone 2', gateId: null })
      .expect(200);
    expect(renamed.body).toMatchObject({ name: 'Gate phone 2', gate: null });
  }, 60_000);
});

describe('hostile input', () => {
  const fuzzed = (ticket: BoughtTicket): Array<[string, string, string[]]> => {
    const bytes = Buffer.from(decode45(ticket.qrText));
    const wrongVersion = Buffer.from(bytes);
    wrongVersion[0] = 2;
    const flipped = Buffer.from(bytes);
    flipped[100] = flipped[100]! ^ 0xff;
    const claimsAltered = Buffer.from(bytes);
    claimsAltered[50] = claimsAltered[50]! ^ 0x01; // max scans
    const cases: Array<[string, string, string[]]> = [
      ['truncated', ticket.qrText.slice(0, 100), ['invalid_code']],
      ['one character short', ticket.qrText.slice(0, -1), ['invalid_code']],
      ['wrong version byte', toQrText(wrongVersion), ['invalid_code']],
      ['not Base45', ticket.qrText.toLowerCase(), ['invalid_code']],
      ['NUL bytes', '\u0000'.repeat(188), ['invalid_code']],
      ['emoji', '🎟️'.repeat(50), ['invalid_code']],
      ['signature flipped', toQrText(flipped), ['invalid_signature']],
      ['claims altered', toQrText(claimsAltered), ['invalid_signature']],
    ];
    // Base45 has a space among its digits: a text a careless scanner trimmed is another text.
    if (ticket.qrText.trim() !== ticket.qrText)
      cases.push(['trimmed', ticket.qrText.trim(), ['invalid_code', 'invalid_signature']]);
    for (let i = 0; i < 20; i++)
      cases.push([`random bytes ${i}`, crypto.randomBytes(1 + i * 7).toString('latin1'), ['invalid_code']]);
    for (let i = 0; i < 10; i++) {
      const random = crypto.randomBytes(125);
      random[0] = 7; // not version 1: random claims would name a random campaign (unknown_key)
      cases.push([`random base45 ${i}`, toQrText(random), ['invalid_code']]);
    }
    return cases;
  };

  it('when QR texts are fuzzed, then every answer is a refusal with invalid_code / invalid_signature / wrong_campaign, never a 5xx', async () => {
    const ticket = await oneTicket(1, 'SINGLE');
    for (const [what, qr, expected] of fuzzed(ticket)) {
      const res = await scanAs(env.url, device, { qr });
      expect({ what, status: res.status }).toEqual({ what, status: 200 });
      expect({ what, reason: res.body.reason ?? res.body.result }).toEqual({
        what,
        reason: expect.stringMatching(new RegExp(`^(${expected.join('|')})$`)),
      });
    }
    // A ticket of another campaign, genuinely signed by that campaign's key.
    const buyer = await signIn(env, email('other-buyer'));
    const [other] = await buyFreeTickets(buyer, otherSale.campaignId, otherSale.freeTypeId, 1, 'SINGLE');
    expect((await scanAs(env.url, device, { qr: other!.qrText }).expect(200)).body.reason).toBe(
      'wrong_campaign',
    );
    // Our campaign id and key id, signed with a key that is not ours; and a key id we never made.
    const strangerSigned = (keyId: number) =>
      toQrText(
        signTicketPayload(
          {
            ticketId: ticket.id,
            campaignId: sale.campaignId,
            ticketTypeId: sale.freeTypeId,
            maxScans: 99,
            validFrom: new Date(Date.now() - 3_600_000),
            validUntil: new Date(Date.now() + 3_600_000),
            keyId,
          },
          generateSigningKeyPair().privateKey,
        ),
      );
    expect((await scanAs(env.url, device, { qr: strangerSigned(1) }).expect(200)).body.reason).toBe(
      'invalid_signature',
    );
    expect((await scanAs(env.url, device, { qr: strangerSigned(4242) }).expect(200)).body.reason).toBe(
      'unknown_key',
    );
    // None of it touched the ticket.
    expect(
      (await seller.get(`/api/v1/validation/ticket/${ticket.id}`).expect(200)).body.ticket.entriesUsed,
    ).toBe(0);
  }, 60_000);

  it('when request fields are hostile (arrays for scalars, NUL, huge numbers, unknown fields, broken JSON), then the answer is a 4xx', async () => {
    const base = {
      qr: 'ABC',
      scanId: crypto.randomUUID(),
      type: 'entry',
      scannedAt: new Date().toISOString(),
    };
    const bodies: unknown[] = [
      { ...base, qr: ['ABC'] },
      { ...base, qr: '' },
      { ...base, qr: 'A'.repeat(1001) },
      { ...base, scanId: [base.scanId] },
      { ...base, scanId: 'not-a-uuid' },
      { ...base, type: 'sideways' },
      { ...base, scannedAt: 1e308 },
      { ...base, scannedAt: '1970-01-01T00:00:00Z' },
      { ...base, scannedAt: 'yesterday' },
      { ...base, gateId: { $ne: null } },
      { ...base, offline: 'yes' },
      { ...base, offline: true },
      { ...base, deviceResult: 'ok' },
      { ...base, offline: true, deviceResult: 'ok', deviceReason: 'made_up' },
      { ...base, extra: 1 },
      [base],
    ];
    for (const b of bodies) {
      const res = await request(env.url)
        .post('/api/v1/validation/scan')
        .set('Authorization', device.auth)
        .set('Content-Type', 'application/json')
        .send(JSON.stringify(b));
      expect({ b, status: res.status, code: res.body.error?.code }).toEqual({
        b,
        status: 400,
        code: 'VALIDATION_FAILED',
      });
    }
    const notObject = await request(env.url)
      .post('/api/v1/validation/scan')
      .set('Authorization', device.auth)
      .set('Content-Type', 'application/json')
      .send('"just a string"');
    expect(notObject.status).toBe(400);
    const broken = await request(env.url)
      .post('/api/v1/validation/scan')
      .set('Authorization', device.auth)
      .set('Content-Type', 'application/json')
      .send('{"qr": "\xff\xfe');
    expect(broken.status).toBe(400);
    const gate404 = await scanAs(env.url, device, { qr: 'ABC', gateId: crypto.randomUUID() });
    expect(gate404.status).toBe(404);
    const names: unknown[] = [
      { name: ['x'] },
      { name: 'a\u0000b' },
      { name: '' },
      { name: 'x'.repeat(81) },
      { name: 1 },
    ];
    for (const b of names) {
      const res = await seller
        .post(`/api/v1/validation/campaigns/${sale.campaignId}/gates`)
        .send(b as object);
      expect({ b, status: res.status }).toEqual({ b, status: 400 });
    }
    for (const after of ['-1', '1e5', 'abc', '9'.repeat(40)]) {
      const res = await request(env.url)
        .get(`/api/v1/validation/campaigns/${sale.campaignId}/revocations?after=${after}`)
        .set('Authorization', device.auth);
      expect({ after, status: res.status }).toEqual({ after, status: 400 });
    }
    const arr = await request(env.url)
      .get(`/api/v1/validation/campaigns/${sale.campaignId}/revocations?after=1&after=2`)
      .set('Authorization', device.auth);
    expect(arr.status).toBe(400);
    await seller.get('/api/v1/validation/ticket/not-a-uuid').expect(400);
    await seller.get(`/api/v1/validation/ticket/${crypto.randomUUID()}`).expect(404);
    expect((await request(env.url).get('/gate/enrol/%FF%FE').expect(400)).text).toContain('MALFORMED_URL');
    await request(env.url).get('/gate/enrol/short').expect(410);
    await request(env.url)
      .post('/api/v1/validation/enrol')
      .send({ token: ['x'] })
      .expect(400);
    await request(env.url)
      .post('/api/v1/validation/enrol')
      .send({ token: 'A'.repeat(43) })
      .expect(404);
  }, 60_000);
});

/** Base45 decoding for the fuzz cases (the codec's own decoder is internal to the tickets module). */
function decode45(text: string): Uint8Array {
  const CHARSET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
  const out: number[] = [];
  for (let i = 0; i < text.length; i += 3) {
    const g = text.slice(i, i + 3);
    let v = 0;
    for (let j = g.length - 1; j >= 0; j--) v = v * 45 + CHARSET.indexOf(g[j]!);
    if (g.length === 3) out.push(v >> 8, v & 0xff);
    else out.push(v);
  }
  return Uint8Array.from(out);
}
