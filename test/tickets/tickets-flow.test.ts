import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { createModules } from '../../src/modules/container';
import { bookingTicketsFileKey, verifyTicketQr, type VerificationKey } from '../../src/modules/tickets';
import { fixedClock } from '../../src/shared/clock';
import { createEvent, type DomainEvent } from '../../src/shared/messaging/events';
import { enqueue } from '../../src/shared/outbox';
import {
  TEST_ADMIN_EMAIL,
  makeSeller,
  makeTeamMember,
  signIn,
  signInAdmin,
  type TestSession,
} from '../support/auth';
import { expectInventoryInvariant } from '../support/inventory-invariant';
import { decodeHeader, leafParts, parseMime, type MimePart } from '../support/mime';
import { waitFor } from '../support/platform';
import { queueState } from '../support/queues';
import { createHttpSale, startTicketsEnv, type HttpSale, type TicketsTestEnv } from '../support/tickets-env';

/**
 * The tickets path end to end, through the real parts: HTTP sign-in and booking, the outbox
 * relay, RabbitMQ, the tickets worker's and the email worker's consumers, storage, and a real
 * SMTP server on loopback.
 */

type TicketBody = {
  id: string;
  bookingId: string;
  campaignId: string;
  status: string;
  scanCount: number;
  maxScans: number;
  qrText: string | null;
  pdfUrl: string | null;
  revokedReason: string | null;
  serial: number;
  ticketTypeName: string;
  holderName: string;
};

let env: TicketsTestEnv;
let admin: TestSession;
let seller: TestSession & { applicationId: string };
let sale: HttpSale;
let n = 0;
const email = (who: string) => `${who}-${++n}-${crypto.randomBytes(2).toString('hex')}@example.test`;
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tickets-flow-'));
/** A second platform admin, signed in only for the review alerts test. */
const OPS_ADMIN_EMAIL = 'ops-admin@example.test';

beforeAll(async () => {
  env = await startTicketsEnv({
    overrides: {
      TICKETS_RESEND_RATE_LIMIT_MAX: '2',
      ADMIN_EMAILS: `${TEST_ADMIN_EMAIL},${OPS_ADMIN_EMAIL}`,
    },
  });
  admin = await signInAdmin(env);
  seller = await makeSeller(env, email('seller'), { name: 'Blue Note Events', admin });
  sale = await createHttpSale(seller);
}, 90_000);

afterAll(async () => {
  await expectInventoryInvariant(env.platform.prisma);
  await env.close();
  fs.rmSync(workDir, { recursive: true, force: true });
});

async function book(
  buyer: TestSession,
  ticketTypeId: string,
  quantity: number,
  issuance: 'SINGLE' | 'SEPARATE',
) {
  const res = await buyer
    .post('/api/v1/bookings')
    .set('Idempotency-Key', crypto.randomUUID())
    .send({ campaignId: sale.campaignId, items: [{ ticketTypeId, quantity }], issuance })
    .expect(201);
  return res.body as { id: string; reference: string; status: string };
}

async function bookFree(buyer: TestSession, quantity: number, issuance: 'SINGLE' | 'SEPARATE' = 'SEPARATE') {
  const booking = await book(buyer, sale.freeTypeId, quantity, issuance);
  expect(booking.status).toBe('CONFIRMED');
  return booking;
}

/** One paid ticket, held (PENDING) until paid or expired. */
const bookPaid = (buyer: TestSession) => book(buyer, sale.paidTypeId, 1, 'SINGLE');

async function ticketsOf(who: TestSession): Promise<TicketBody[]> {
  const res = await who.get('/api/v1/tickets').expect(200);
  return (res.body as { items: TicketBody[] }).items;
}

function mailsTo(address: string) {
  return env.smtp.messages.filter((m) => m.to.includes(address.toLowerCase()));
}

function subjectOf(mail: MimePart): string {
  return decodeHeader(mail.headers.get('subject') ?? '');
}

function pdfAttachment(mail: MimePart): MimePart | undefined {
  return leafParts(mail).find((p) => p.contentType === 'application/pdf');
}

async function gateKeys(): Promise<VerificationKey[]> {
  const res = await seller.get(`/api/v1/campaigns/${sale.campaignId}/keys`).expect(200);
  return (res.body as { items: VerificationKey[] }).items;
}

/** Decodes every QR code of a PDF the way a phone at the gate sees them: rasterised, then read by zbar. */
function decodePdfQrs(pdf: Buffer): string[] {
  const file = path.join(workDir, `${crypto.randomUUID()}.pdf`);
  fs.writeFileSync(file, pdf);
  const prefix = file.replace(/\.pdf$/, '');
  execFileSync('pdftoppm', ['-r', '100', '-png', file, prefix]);
  const pages = fs
    .readdirSync(workDir)
    .filter((f) => f.startsWith(path.basename(prefix)) && f.endsWith('.png'));
  return pages.sort().map((p) =>
    execFileSync('zbarimg', ['--quiet', '--raw', '-Sdisable', '-Sqrcode.enable', path.join(workDir, p)])
      .toString()
      // Only zbarimg's line end: Base45 text may itself begin or end with a space.
      .replace(/\n$/, ''),
  );
}

/** How many times the workers' consumer has taken a message (processed or skipped as a duplicate). */
async function consumed(consumer: string): Promise<number> {
  const rows = await env.workers.counters.read();
  return rows
    .filter((r) => r.metric === 'messages_consumed_total' && r.labels.consumer === consumer)
    .reduce((sum, r) => sum + r.value, 0);
}

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

describe('publication', () => {
  it('when a seller publishes a campaign, then it has one ACTIVE Ed25519 key, which only its gate staff can download', async () => {
    const keys = await gateKeys();
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({
      campaignId: sale.campaignId,
      keyId: 1,
      algorithm: 'Ed25519',
      status: 'ACTIVE',
    });
    expect(Buffer.from(keys[0]!.publicKey as string, 'base64url')).toHaveLength(32);

    const manager = await makeTeamMember(env, seller, email('gate'), 'MANAGER', [sale.campaignId]);
    await manager.get(`/api/v1/campaigns/${sale.campaignId}/keys`).expect(200);
    await manager.get(`/api/v1/campaigns/${sale.campaignId}/revocations`).expect(200);
    const unassigned = await makeTeamMember(env, seller, email('gate-other'), 'MANAGER', []);
    const refused = await unassigned.get(`/api/v1/campaigns/${sale.campaignId}/keys`).expect(403);
    expect(refused.body.error.code).toBe('NOT_GATE_STAFF');
    const buyer = await signIn(env, email('curious'));
    await buyer.get(`/api/v1/campaigns/${sale.campaignId}/revocations`).expect(403);
    const admin = await signInAdmin(env);
    await admin.get(`/api/v1/campaigns/${sale.campaignId}/keys`).expect(200);
    await request(env.url).get(`/api/v1/campaigns/${sale.campaignId}/keys`).expect(401);
    const missing = await seller.get(`/api/v1/campaigns/${crypto.randomUUID()}/keys`).expect(404);
    expect(missing.body.error.code).toBe('CAMPAIGN_NOT_FOUND');
  });

  it('when a publication is refused, then no signing key is left behind', async () => {
    const created = await seller
      .post('/api/v1/campaigns')
      .send({
        kind: 'EVENT',
        title: 'No types yet',
        venueName: 'Hall',
        venueAddress: '1 Road',
        city: 'Lagos',
        country: 'NG',
        startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
        endsAt: new Date(Date.now() + 31 * 86_400_000).toISOString(),
        timezone: 'Africa/Lagos',
        currency: 'NGN',
      })
      .expect(201);
    const id = (created.body as { id: string }).id;
    await seller.post(`/api/v1/campaigns/${id}/publish`).expect(422);
    const keys = await seller.get(`/api/v1/campaigns/${id}/keys`).expect(200);
    expect(keys.body.items).toEqual([]);
  });

  it("when the seller's application was approved, then the seller got the decision by email", async () => {
    const mail = (await waitFor(() => mailsTo(seller.email)[0], 15_000, 'the approval email'))!;
    const parsed = parseMime(mail.raw);
    expect(subjectOf(parsed)).toMatch(/is approved to sell tickets$/);
    expect(
      leafParts(parsed)
        .find((p) => p.contentType === 'text/plain')!
        .body.toString(),
    ).toContain('http://tickets.test/seller/campaigns');
  });

  it('when someone applies to sell, then the platform admins of that moment are emailed to review it', async () => {
    const mail = await waitFor(
      () => mailsTo(TEST_ADMIN_EMAIL).find((m) => subjectOf(parseMime(m.raw)).includes('seller application')),
      15_000,
      "the admin's review email",
    );
    const parsed = parseMime(mail!.raw);
    const { businessName } = await env.platform.prisma.sellerApplication.findUniqueOrThrow({
      where: { id: seller.applicationId },
    });
    expect(subjectOf(parsed)).toBe(`Review needed: A seller application from ${businessName}`);
    const text = leafParts(parsed)
      .find((p) => p.contentType === 'text/plain')!
      .body.toString();
    expect(text).toContain(`Applicant: Blue Note Events <${seller.email}>`);
    expect(text).toContain('http://tickets.test/admin/seller-applications');
    // The second admin had never signed in: not an admin yet, so not told.
    expect(mailsTo(OPS_ADMIN_EMAIL)).toEqual([]);
  });
});

describe('issuance and email', () => {
  let buyer: TestSession;
  let booking: { id: string; reference: string };

  beforeAll(async () => {
    buyer = await signIn(env, email('ada'), { name: 'Ada Obi' });
    booking = await bookFree(buyer, 2);
  });

  it('when a free booking is confirmed, then the worker issues its tickets, stores one PDF and the buyer gets it by SMTP with a QR that verifies', async () => {
    const mail = (await waitFor(() => mailsTo(buyer.email)[0], 20_000, 'the tickets email'))!;
    expect(mail.to).toEqual([buyer.email.toLowerCase()]);
    expect(mail.from).toBe('no-reply@tickets.test');
    const parsed = parseMime(mail.raw);
    expect(subjectOf(parsed)).toBe(`Your tickets for ${sale.title} (booking ${booking.reference})`);
    const attachment = pdfAttachment(parsed)!;
    expect(attachment).toBeDefined();
    expect(attachment.body.subarray(0, 5).toString()).toBe('%PDF-');

    const tickets = await ticketsOf(buyer);
    expect(tickets).toHaveLength(2);
    expect(
      tickets.map((t) => [t.bookingId, t.status, t.scanCount, t.maxScans, t.holderName, t.ticketTypeName]),
    ).toEqual([
      [booking.id, 'VALID', 0, 1, 'Ada Obi', 'Free entry'],
      [booking.id, 'VALID', 0, 1, 'Ada Obi', 'Free entry'],
    ]);
    // The emailed file is the stored file.
    const stored = await env.storage.get(bookingTicketsFileKey(sale.campaignId, booking.id));
    expect(stored).not.toBeNull();
    expect(Buffer.compare(stored!, attachment.body)).toBe(0);

    const keys = await gateKeys();
    const decoded = decodePdfQrs(attachment.body);
    expect(decoded).toEqual(tickets.map((t) => t.qrText));
    const during = new Date(Date.now() + 30 * 86_400_000 + 3_600_000);
    for (const text of decoded) {
      expect(verifyTicketQr(text, keys, during)).toMatchObject({
        status: 'VALID',
        claims: { campaignId: sale.campaignId, maxScans: 1 },
      });
    }
  });

  it('when booking.confirmed is delivered twice (same event id), then the duplicate is skipped: same tickets, one file, one email', async () => {
    const row = await env.workers.prisma.outboxMessage.findFirstOrThrow({
      where: {
        eventName: 'booking.confirmed',
        payload: { path: ['payload', 'bookingId'], equals: booking.id },
      },
    });
    const event = row.payload as unknown as DomainEvent;
    const before = await consumed('tickets.issue');
    const ticketsBefore = await ticketsOf(buyer);
    const file = path.join(env.storageDir, bookingTicketsFileKey(sale.campaignId, booking.id));
    const statBefore = fs.statSync(file);

    await env.workers.broker.publisher.send(
      {
        exchange: env.workers.broker.exchange,
        routingKey: event.name,
        messageId: event.id,
        durable: true,
        contentType: 'application/json',
      },
      event,
    );
    await waitFor(
      async () => (await consumed('tickets.issue')) > before,
      15_000,
      'the duplicate to be consumed',
    );

    expect(await ticketsOf(buyer)).toEqual(ticketsBefore);
    expect(filesUnder(path.join(env.storageDir, 'tickets', sale.campaignId))).toEqual([file]);
    expect(fs.statSync(file).mtimeMs).toBe(statBefore.mtimeMs);
    expect(
      await env.workers.prisma.outboxMessage.count({
        where: {
          eventName: 'tickets.issued',
          payload: { path: ['payload', 'bookingId'], equals: booking.id },
        },
      }),
    ).toBe(1);
    // A second email could only come from an event for the email worker: every outbox row is
    // published and nothing waits in its queue, so none is on its way.
    await waitFor(
      async () =>
        (await env.workers.prisma.outboxMessage.count({ where: { publishedAt: null } })) === 0 &&
        (await queueState(env.workers.broker, 'email.tickets')).messageCount === 0,
      15_000,
      'the outbox and the email queue to be drained',
    );
    expect(mailsTo(buyer.email)).toHaveLength(1);
  });

  it('when booking.confirmed for the same booking comes again as a new event, then the handler issues nothing new and keeps the one file', async () => {
    const row = await env.workers.prisma.outboxMessage.findFirstOrThrow({
      where: {
        eventName: 'booking.confirmed',
        payload: { path: ['payload', 'bookingId'], equals: booking.id },
      },
    });
    const original = row.payload as unknown as DomainEvent<Record<string, unknown>>;
    const again = createEvent(original.name, original.payload, { now: () => new Date() });
    const ticketsBefore = await ticketsOf(buyer);
    await env.workers.prisma.$transaction((tx) => enqueue(tx, again));
    await waitFor(
      async () =>
        (await env.workers.prisma.inboxMessage.count({
          where: { consumer: 'tickets.issue', messageId: again.id },
        })) === 1,
      15_000,
      'the second event to be processed',
    );
    expect(await ticketsOf(buyer)).toEqual(ticketsBefore);
    expect(filesUnder(path.join(env.storageDir, 'tickets', sale.campaignId))).toEqual([
      path.join(env.storageDir, bookingTicketsFileKey(sale.campaignId, booking.id)),
    ]);
    expect(
      await env.workers.prisma.outboxMessage.count({
        where: {
          eventName: 'tickets.issued',
          payload: { path: ['payload', 'bookingId'], equals: booking.id },
        },
      }),
    ).toBe(1);
  });

  it('when anyone but the buyer asks for a PDF, then 404 as for a ticket that does not exist; the buyer gets it', async () => {
    const [ticket] = await ticketsOf(buyer);
    const own = await buyer.get(`/api/v1/tickets/${ticket!.id}/pdf`).responseType('blob').expect(200);
    expect(own.headers['content-type']).toBe('application/pdf');
    expect(own.headers['cache-control']).toBe('private, no-store');
    expect((own.body as Buffer).subarray(0, 5).toString()).toBe('%PDF-');
    expect(decodePdfQrs(own.body as Buffer)).toEqual([ticket!.qrText]);
    const all = await buyer
      .get(`/api/v1/bookings/${booking.id}/tickets.pdf`)
      .responseType('blob')
      .expect(200);
    expect(
      Buffer.compare(
        all.body as Buffer,
        (await env.storage.get(bookingTicketsFileKey(sale.campaignId, booking.id)))!,
      ),
    ).toBe(0);

    const stranger = await signIn(env, email('stranger'));
    const admin = await signInAdmin(env);
    for (const who of [stranger, seller, admin]) {
      const one = await who.get(`/api/v1/tickets/${ticket!.id}/pdf`).expect(404);
      expect(one.body.error.code).toBe('TICKET_NOT_FOUND');
      const both = await who.get(`/api/v1/bookings/${booking.id}/tickets.pdf`).expect(404);
      expect(both.body.error.code).toBe('TICKETS_NOT_FOUND');
    }
    expect(await ticketsOf(stranger)).toEqual([]);
    await request(env.url).get(`/api/v1/tickets/${ticket!.id}/pdf`).expect(401);
    const unknown = await buyer.get(`/api/v1/tickets/${crypto.randomUUID()}/pdf`).expect(404);
    expect(unknown.body.error.code).toBe('TICKET_NOT_FOUND');
  });

  it('when the buyer asks for the tickets again, then a new email goes out each time until the rate limit; strangers get 404', async () => {
    const stranger = await signIn(env, email('stranger'));
    const refused = await stranger.post(`/api/v1/bookings/${booking.id}/resend-tickets`).expect(404);
    expect(refused.body.error.code).toBe('TICKETS_NOT_FOUND');

    const first = await buyer.post(`/api/v1/bookings/${booking.id}/resend-tickets`).expect(202);
    await waitFor(() => mailsTo(buyer.email).length === 2, 15_000, 'the resent email');
    await buyer.post(`/api/v1/bookings/${booking.id}/resend-tickets`).expect(202);
    await waitFor(() => mailsTo(buyer.email).length === 3, 15_000, 'the second resent email');
    const limited = await buyer.post(`/api/v1/bookings/${booking.id}/resend-tickets`).expect(429);
    expect(limited.body.error.code).toBe('RATE_LIMITED');

    const mails = mailsTo(buyer.email).map((m) => parseMime(m.raw));
    const ids = mails.map((m) => m.headers.get('message-id'));
    expect(new Set(ids).size).toBe(3);
    expect(ids[1]).toContain((first.body as { requestId: string }).requestId);
    for (const m of mails) expect(pdfAttachment(m)).toBeDefined();
    // A cookie session without its CSRF token is refused before the route runs.
    const forged = await buyer
      .post(`/api/v1/bookings/${booking.id}/resend-tickets`)
      .set('X-CSRF-Token', 'forged')
      .expect(403);
    expect(forged.body.error.code).toBe('CSRF_INVALID');
  });

  it('when a payment is flagged or a refund fails, then the buyer is told by email (under review; refund delayed) and each admin is asked to review it', async () => {
    const buyer = await signIn(env, email('reviewed'), { name: 'Ada Reviewed' });
    const booking = await bookPaid(buyer);
    await signIn(env, OPS_ADMIN_EMAIL, { name: 'Ops Admin' });
    // The second admin's mailbox refuses for now (451): the first admin is not held back by it.
    env.smtp.setRcptReply(OPS_ADMIN_EMAIL, 451);
    const reviewMailsTo = (address: string) =>
      mailsTo(address)
        .map((m) => parseMime(m.raw))
        .filter(
          (m) => subjectOf(m).startsWith('Review needed:') && !subjectOf(m).includes('seller application'),
        );
    // What the payments module publishes (payment.flagged, refund.failed), through the outbox.
    const common = {
      bookingId: booking.id,
      userId: buyer.userId,
      campaignId: sale.campaignId,
      currency: 'NGN',
    };
    const flagged = createEvent(
      'payment.flagged',
      {
        ...common,
        paymentId: crypto.randomUUID(),
        txRef: 'tm_x',
        amountMinor: 250_000,
        problems: ['amount'],
      },
      { now: () => new Date() },
    );
    const refundFailed = createEvent(
      'refund.failed',
      { ...common, refundId: crypto.randomUUID(), amountMinor: 250_000, failure: 'Insufficient balance' },
      { now: () => new Date() },
    );
    await env.platform.prisma.$transaction((tx) => enqueue(tx, [flagged, refundFailed]));
    await waitFor(() => mailsTo(buyer.email).length >= 2, 15_000, 'the two emails');
    const subjects = mailsTo(buyer.email)
      .map((m) => subjectOf(parseMime(m.raw)))
      .sort();
    expect(subjects).toEqual([
      `Your payment for booking ${booking.reference} is being reviewed`,
      expect.stringMatching(
        new RegExp(`^Your refund of \\S*\\s?2,500\\.00 for booking ${booking.reference} is delayed$`),
      ),
    ]);
    const review = mailsTo(buyer.email)
      .map((m) => parseMime(m.raw))
      .find((m) => subjectOf(m).includes('being reviewed'))!;
    expect(
      leafParts(review)
        .find((p) => p.contentType === 'text/plain')!
        .body.toString(),
    ).toContain('it has not confirmed your booking');
    expect(mailsTo(buyer.email)).toHaveLength(2);

    await waitFor(() => reviewMailsTo(TEST_ADMIN_EMAIL).length >= 2, 15_000, "the first admin's two alerts");
    expect(reviewMailsTo(OPS_ADMIN_EMAIL)).toEqual([]);
    env.smtp.setRcptReply(OPS_ADMIN_EMAIL, null);
    await waitFor(
      () => reviewMailsTo(OPS_ADMIN_EMAIL).length >= 2,
      30_000,
      "the second admin's alerts, retried",
    );
    for (const address of [TEST_ADMIN_EMAIL, OPS_ADMIN_EMAIL]) {
      const alerts = reviewMailsTo(address);
      // The retry sent only what had not gone out: one alert per event and admin.
      expect(alerts.map(subjectOf).sort()).toEqual([
        `Review needed: A payment did not match for booking ${booking.reference}`,
        expect.stringMatching(
          new RegExp(
            `^Review needed: A refund of \\S*\\s?2,500\\.00 failed for booking ${booking.reference}$`,
          ),
        ),
      ]);
      const texts = alerts.map((m) =>
        leafParts(m)
          .find((p) => p.contentType === 'text/plain')!
          .body.toString(),
      );
      expect(texts.join('\n')).toContain(`Buyer: Ada Reviewed <${buyer.email}>`);
      expect(texts.join('\n')).toContain('Problem: amount');
      expect(texts.join('\n')).toContain('The provider said: Insufficient balance');
      for (const text of texts) expect(text).toContain('http://tickets.test/admin/payments');
    }
  });
});

describe('revocation', () => {
  it('when a confirmed booking is refunded, then its tickets are revoked, listed for gates, and have no PDF any more', async () => {
    const buyer = await signIn(env, email('refunded'));
    const booking = await bookFree(buyer, 1, 'SINGLE');
    await waitFor(async () => (await ticketsOf(buyer)).length === 1, 20_000, 'the ticket');
    const fileKey = bookingTicketsFileKey(sale.campaignId, booking.id);
    await waitFor(() => env.storage.exists(fileKey), 10_000, 'the PDF');
    const [ticket] = await ticketsOf(buyer);
    await buyer.get(`/api/v1/tickets/${ticket!.id}/pdf`).expect(200);
    const before = await seller.get(`/api/v1/campaigns/${sale.campaignId}/revocations`).expect(200);
    const etag = before.headers.etag as string;
    await seller
      .get(`/api/v1/campaigns/${sale.campaignId}/revocations`)
      .set('If-None-Match', etag)
      .expect(304);

    // What the payments module does once the money went back.
    const bookings = createModules(env.platform).bookings;
    await bookings.refundBooking(undefined, booking.id);
    const refund = createEvent(
      'refund.completed',
      {
        refundId: crypto.randomUUID(),
        bookingId: booking.id,
        userId: buyer.userId,
        amountMinor: 250_000,
        currency: 'NGN',
        cancelsBooking: true,
      },
      { now: () => new Date() },
    );
    await env.platform.prisma.$transaction((tx) => enqueue(tx, refund));

    const revoked = await waitFor(
      async () => (await ticketsOf(buyer)).find((t) => t.status === 'REVOKED'),
      20_000,
      'the revocation',
    );
    expect(revoked).toMatchObject({ id: ticket!.id, revokedReason: 'REFUNDED', qrText: null, pdfUrl: null });
    const list = await seller
      .get(`/api/v1/campaigns/${sale.campaignId}/revocations`)
      .set('If-None-Match', etag)
      .expect(200);
    expect(list.headers.etag).not.toBe(etag);
    expect(list.body.items).toEqual([
      { ticketId: ticket!.id, serial: ticket!.serial, revokedAt: expect.any(String), reason: 'REFUNDED' },
    ]);

    const gone = await buyer.get(`/api/v1/tickets/${ticket!.id}/pdf`).expect(422);
    expect(gone.body.error.code).toBe('TICKET_REVOKED');
    await buyer.get(`/api/v1/bookings/${booking.id}/tickets.pdf`).expect(422);
    await buyer.post(`/api/v1/bookings/${booking.id}/resend-tickets`).expect(422);
    expect(await env.storage.exists(fileKey)).toBe(false);

    const refundMail = (await waitFor(
      () =>
        mailsTo(buyer.email)
          .map((m) => parseMime(m.raw))
          .find((m) => subjectOf(m).startsWith('Refund of')),
      15_000,
      'the refund email',
    ))!;
    expect(subjectOf(refundMail)).toMatch(
      new RegExp(`^Refund of \\S*\\s?2,500\\.00 for booking ${booking.reference}$`),
    );
    expect(
      leafParts(refundMail)
        .find((p) => p.contentType === 'text/plain')!
        .body.toString(),
    ).toContain('The tickets of this booking are no longer valid.');
  });

  it('when a hold expires, then the buyer is told by email', async () => {
    const buyer = await signIn(env, email('late'));
    const booking = await bookPaid(buyer);
    expect(booking.status).toBe('PENDING');
    const later = fixedClock(new Date(Date.now() + 16 * 60_000));
    const bookings = createModules({ ...env.platform, clock: later }).bookings;
    expect(await bookings.expireDueBookings()).toBeGreaterThanOrEqual(1);
    const mail = (await waitFor(() => mailsTo(buyer.email)[0], 15_000, 'the expiry email'))!;
    const parsed = parseMime(mail.raw);
    expect(subjectOf(parsed)).toBe(`Your booking ${booking.reference} for ${sale.title} has expired`);
    expect(pdfAttachment(parsed)).toBeUndefined();
    expect(await ticketsOf(buyer)).toEqual([]);
  });
});

describe('poisoned messages', () => {
  it('when an event names a booking that does not exist or lacks what its email needs, then it is dead-lettered at once, not retried', async () => {
    const ghost = createEvent(
      'booking.confirmed',
      { bookingId: crypto.randomUUID(), campaignId: sale.campaignId },
      { now: () => new Date() },
    );
    const refund = createEvent(
      'refund.completed',
      { refundId: crypto.randomUUID(), bookingId: crypto.randomUUID() },
      { now: () => new Date() },
    );
    // Other files of this Jest worker share the vhost and may have dead-lettered before: count from here.
    const depth = async (q: string) =>
      (await queueState(env.workers.broker, q).catch(() => ({ messageCount: 0 }))).messageCount;
    await env.workers.broker.connection.queuePurge('email.refund-completed.dlq').catch(() => undefined);
    const ticketsBefore = await depth('tickets.issue.dlq');
    await env.platform.prisma.$transaction((tx) => enqueue(tx, [ghost, refund]));
    await waitFor(
      async () => (await depth('tickets.issue.dlq')) === ticketsBefore + 1,
      15_000,
      'tickets.issue.dlq',
    );
    await waitFor(
      async () => (await depth('email.refund-completed.dlq')) === 1,
      15_000,
      'email.refund-completed.dlq',
    );
    const dead = await env.workers.broker.connection.basicGet({
      queue: 'email.refund-completed.dlq',
      noAck: true,
    });
    expect(dead?.headers?.['x-attempt']).toBe(1);
    expect(String(dead?.headers?.['x-error'])).toContain('amountMinor must be a positive integer');
  });
});
