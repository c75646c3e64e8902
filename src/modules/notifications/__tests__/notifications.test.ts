import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fixedClock } from '../../../shared/clock';
import { classifyMailError, createMailer, MailDeliveryError, type Mailer } from '../../../shared/mailer';
import { formatMoney } from '../../../shared/money';
import type { Platform } from '../../../shared/platform';
import { leafParts, parseMime, decodeHeader, type MimePart } from '../../../../test/support/mime';
import { createTestPlatform, resetDatabase } from '../../../../test/support/platform';
import { TcpProxy } from '../../../../test/support/tcp-proxy';
import { createPrisma } from '../../../shared/db';
import { startLocalSmtp, type LocalSmtp } from '../../../../test/support/smtp-server';
import { renderTicketsPdf } from '../../tickets';
import {
  createNotificationsService,
  EmailInFlightError,
  recipientEventId,
  renderEmail,
  type NotificationsService,
  type TemplateData,
} from '../index';

let platform: Platform;
let smtp: LocalSmtp;
let mailer: Mailer;
let notifications: NotificationsService;
let pdf: Buffer;
const clock = fixedClock('2026-11-22T10:00:00Z');
const LEASE_MS = 60_000;
const FROM = 'Ticketing <no-reply@tickets.test>';

const ticketsData: TemplateData['tickets-issued'] = {
  buyerName: 'Chiamaka <Nwosu>',
  campaignTitle: 'Lagos Jazz Night – 2026',
  bookingReference: 'AB12CD34',
  ticketCount: 2,
  when: 'Tuesday, 1 December 2026 at 20:00',
  venue: 'Eko Hotel, Victoria Island',
  ticketsUrl: 'http://localhost:3000/me/tickets',
};

async function makePdf(): Promise<Buffer> {
  // A real ticket PDF; its QR content does not matter to the email (125 bytes like a signed payload).
  const typeId = crypto.randomUUID();
  const payload = crypto.randomBytes(125);
  return renderTicketsPdf(
    [
      {
        id: crypto.randomUUID(),
        bookingId: crypto.randomUUID(),
        ticketTypeId: typeId,
        serial: 1,
        holderName: 'Chiamaka Nwosu',
        admits: 1,
        maxScans: 1,
        validFrom: new Date('2026-12-01T17:00:00Z'),
        validUntil: new Date('2026-12-02T05:00:00Z'),
        qrPayload: payload,
        createdAt: clock.now(),
      },
    ],
    {
      campaign: {
        title: 'Lagos Jazz Night',
        kind: 'EVENT',
        startsAt: new Date('2026-12-01T19:00:00Z'),
        venue: 'Eko Hotel',
        sellerName: 'Blue Note',
      },
      ticketTypes: { [typeId]: { name: 'Regular' } },
      bookingReference: 'K7D4-QX9M',
    },
  );
}

beforeAll(async () => {
  platform = await createTestPlatform();
  await resetDatabase(platform);
  smtp = await startLocalSmtp();
  mailer = createMailer({
    SMTP_URL: smtp.url,
    MAIL_FROM: FROM,
    MAIL_OUTBOX_DIR: 'unused',
    SMTP_TIMEOUT_MS: 5000,
  });
  notifications = createNotificationsService({
    prisma: platform.prisma,
    clock,
    mailer,
    from: FROM,
    claimLeaseMs: LEASE_MS,
  });
  pdf = await makePdf();
});

afterAll(async () => {
  mailer.close();
  await smtp.close();
  await platform.close();
});

function find(part: MimePart, type: string): MimePart | undefined {
  return leafParts(part).find((p) => p.contentType === type);
}

describe('sending through SMTP', () => {
  it('when tickets are issued, then one email reaches the SMTP server for the buyer with text, HTML and the PDF attached', async () => {
    const eventId = crypto.randomUUID();
    const before = smtp.messages.length;
    const outcome = await notifications.sendEmailOnce({
      eventId,
      template: 'tickets-issued',
      to: 'Buyer@Example.test',
      data: ticketsData,
      attachments: [{ filename: 'tickets-AB12CD34.pdf', content: pdf, contentType: 'application/pdf' }],
    });
    expect(outcome).toEqual({ status: 'SENT', messageId: `<${eventId}.tickets-issued@tickets.test>` });
    expect(smtp.messages.length).toBe(before + 1);
    const received = smtp.messages.at(-1)!;
    expect(received.to).toEqual(['buyer@example.test']);
    expect(received.from).toBe('no-reply@tickets.test');

    const mail = parseMime(received.raw);
    expect(mail.contentType).toBe('multipart/mixed');
    expect(mail.headers.get('to')).toBe('buyer@example.test');
    expect(mail.headers.get('message-id')).toBe(`<${eventId}.tickets-issued@tickets.test>`);
    expect(decodeHeader(mail.headers.get('subject')!)).toBe(
      'Your tickets for Lagos Jazz Night – 2026 (booking AB12CD34)',
    );
    const text = find(mail, 'text/plain')!.body.toString('utf8');
    const html = find(mail, 'text/html')!.body.toString('utf8');
    expect(text).toContain('Hello Chiamaka <Nwosu>,');
    expect(html).toContain('Hello Chiamaka &lt;Nwosu&gt;,');
    expect(html).toContain('href="http://localhost:3000/me/tickets"');
    const attachment = find(mail, 'application/pdf')!;
    expect(attachment.params).toMatchObject({ filename: 'tickets-AB12CD34.pdf', disposition: 'attachment' });
    expect(attachment.body.equals(pdf)).toBe(true);

    const row = await notifications.getSentEmail(eventId, 'tickets-issued');
    expect(row).toMatchObject({
      status: 'SENT',
      attempts: 1,
      recipient: 'buyer@example.test',
      messageId: outcome.status === 'SENT' ? outcome.messageId : '',
    });
  });

  it('when the same (event id, template) is sent twice, then exactly one email goes out', async () => {
    const eventId = crypto.randomUUID();
    const req = {
      eventId,
      template: 'booking-expired' as const,
      to: 'late@example.test',
      data: {
        buyerName: 'Tunde',
        campaignTitle: 'Derby',
        bookingReference: 'X1',
        campaignUrl: 'http://localhost:3000/c/1',
      },
    };
    const before = smtp.messages.length;
    const connections = smtp.connections();
    expect((await notifications.sendEmailOnce(req)).status).toBe('SENT');
    expect(await notifications.sendEmailOnce(req)).toMatchObject({ status: 'ALREADY_SENT' });
    const [a, b] = await Promise.all([notifications.sendEmailOnce(req), notifications.sendEmailOnce(req)]);
    expect([a.status, b.status]).toEqual(['ALREADY_SENT', 'ALREADY_SENT']);
    expect(smtp.messages.length).toBe(before + 1);
    expect(smtp.connections()).toBe(connections + 1);
  });

  it('when two workers send the same new email at once, then one sends and the other is told it is in flight', async () => {
    const req = {
      eventId: crypto.randomUUID(),
      template: 'booking-expired' as const,
      to: 'race@example.test',
      data: { buyerName: 'A', campaignTitle: 'B', bookingReference: 'C', campaignUrl: 'http://localhost/c' },
    };
    const before = smtp.messages.length;
    const results = await Promise.allSettled([
      notifications.sendEmailOnce(req),
      notifications.sendEmailOnce(req),
    ]);
    const sent = results.filter((r) => r.status === 'fulfilled' && r.value.status === 'SENT');
    const inFlight = results.filter((r) => r.status === 'rejected' && r.reason instanceof EmailInFlightError);
    const already = results.filter((r) => r.status === 'fulfilled' && r.value.status === 'ALREADY_SENT');
    expect(sent).toHaveLength(1);
    expect(inFlight.length + already.length).toBe(1);
    expect(smtp.messages.length).toBe(before + 1);
  });

  it('when the server answers 550 for the recipient, then the address is recorded as failed and never tried again', async () => {
    smtp.setRcptReply('gone@example.test', 550);
    const eventId = crypto.randomUUID();
    const req = {
      eventId,
      template: 'refund-completed' as const,
      to: 'gone@example.test',
      data: {
        buyerName: 'Bola',
        campaignTitle: 'Derby',
        bookingReference: 'R1',
        amountMinor: 1_250_000,
        currency: 'NGN',
        cancelsBooking: true,
      },
    };
    const connections = smtp.connections();
    const outcome = await notifications.sendEmailOnce(req);
    expect(outcome).toMatchObject({ status: 'FAILED', addressFailed: true });
    expect(smtp.connections()).toBe(connections + 1);
    const failed = await notifications.listFailedAddresses();
    expect(failed.find((f) => f.address === 'gone@example.test')).toMatchObject({
      responseCode: 550,
      eventId,
    });
    expect(await notifications.getSentEmail(eventId, 'refund-completed')).toMatchObject({ status: 'FAILED' });

    // The same email again (a redelivery) and another email to the address: no connection at all.
    expect(await notifications.sendEmailOnce(req)).toMatchObject({ status: 'FAILED', addressFailed: true });
    const other = await notifications.sendEmailOnce({ ...req, eventId: crypto.randomUUID() });
    expect(other).toEqual({ status: 'SUPPRESSED' });
    expect(smtp.connections()).toBe(connections + 1);

    // Once the address is cleared (the user fixed it), it receives mail again.
    smtp.setRcptReply('gone@example.test', null);
    expect(await notifications.clearFailedAddress('Gone@example.test')).toBe(true);
    expect((await notifications.sendEmailOnce({ ...req, eventId: crypto.randomUUID() })).status).toBe('SENT');
  });

  it('when the server refuses the message itself with 554, then the email fails for good but the address is not blamed', async () => {
    smtp.setDataReply(554);
    try {
      const eventId = crypto.randomUUID();
      const outcome = await notifications.sendEmailOnce({
        eventId,
        template: 'booking-expired',
        to: 'fine@example.test',
        data: {
          buyerName: 'A',
          campaignTitle: 'B',
          bookingReference: 'C',
          campaignUrl: 'http://localhost/c',
        },
      });
      expect(outcome).toMatchObject({ status: 'FAILED', addressFailed: false });
      expect((await notifications.listFailedAddresses()).some((f) => f.address === 'fine@example.test')).toBe(
        false,
      );
    } finally {
      smtp.setDataReply(null);
    }
  });

  it('when the server answers 451, then the failure is retryable, and the retry sends exactly once', async () => {
    smtp.setRcptReply('busy@example.test', 451);
    const eventId = crypto.randomUUID();
    const req = {
      eventId,
      template: 'booking-expired' as const,
      to: 'busy@example.test',
      data: { buyerName: 'A', campaignTitle: 'B', bookingReference: 'C', campaignUrl: 'http://localhost/c' },
    };
    const err = await notifications.sendEmailOnce(req).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MailDeliveryError);
    expect(err).toMatchObject({ permanent: false, responseCode: 451 });
    expect(await notifications.getSentEmail(eventId, 'booking-expired')).toMatchObject({
      status: 'RETRY',
      attempts: 1,
    });
    expect((await notifications.listFailedAddresses()).some((f) => f.address === 'busy@example.test')).toBe(
      false,
    );

    smtp.setRcptReply('busy@example.test', null);
    const before = smtp.messages.length;
    expect((await notifications.sendEmailOnce(req)).status).toBe('SENT');
    expect(await notifications.sendEmailOnce(req)).toMatchObject({ status: 'ALREADY_SENT' });
    expect(smtp.messages.length).toBe(before + 1);
    expect(await notifications.getSentEmail(eventId, 'booking-expired')).toMatchObject({
      status: 'SENT',
      attempts: 2,
    });
  });

  it('when the SMTP server cannot be reached, then the failure is retryable', async () => {
    const down = createMailer({
      SMTP_URL: 'smtp://127.0.0.1:1',
      MAIL_FROM: FROM,
      MAIL_OUTBOX_DIR: 'unused',
      SMTP_TIMEOUT_MS: 2000,
    });
    const service = createNotificationsService({
      prisma: platform.prisma,
      clock,
      mailer: down,
      from: FROM,
      claimLeaseMs: LEASE_MS,
    });
    const eventId = crypto.randomUUID();
    const err = await service
      .sendEmailOnce({
        eventId,
        template: 'booking-expired',
        to: 'x@example.test',
        data: {
          buyerName: 'A',
          campaignTitle: 'B',
          bookingReference: 'C',
          campaignUrl: 'http://localhost/c',
        },
      })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'MailDeliveryError', permanent: false });
    expect(await service.getSentEmail(eventId, 'booking-expired')).toMatchObject({ status: 'RETRY' });
    down.close();
  });

  it('when a worker died holding a claim, then others wait while it is fresh and take it over after the lease', async () => {
    const eventId = crypto.randomUUID();
    await platform.prisma.sentEmail.create({
      data: {
        id: crypto.randomUUID(),
        eventId,
        template: 'booking-expired',
        recipient: 'crash@example.test',
        status: 'SENDING',
        claimedAt: clock.now(),
        createdAt: clock.now(),
      },
    });
    const req = {
      eventId,
      template: 'booking-expired' as const,
      to: 'crash@example.test',
      data: { buyerName: 'A', campaignTitle: 'B', bookingReference: 'C', campaignUrl: 'http://localhost/c' },
    };
    const before = smtp.messages.length;
    await expect(notifications.sendEmailOnce(req)).rejects.toBeInstanceOf(EmailInFlightError);
    clock.advance(LEASE_MS + 1);
    expect((await notifications.sendEmailOnce(req)).status).toBe('SENT');
    expect(smtp.messages.length).toBe(before + 1);
    expect(await notifications.getSentEmail(eventId, 'booking-expired')).toMatchObject({
      status: 'SENT',
      attempts: 2,
    });
  });
});

describe('PostgreSQL unreachable right after the server accepted the email', () => {
  it('when the database is cut between the 250 reply and recording SENT, then the record waits for it and a redelivery sends nothing more', async () => {
    const proxy = await new TcpProxy('127.0.0.1', 5432).start();
    const prisma = createPrisma(proxy.url(platform.config.DATABASE_URL), 2);
    let restored: Promise<void> | undefined;
    const cutAfterSend: Mailer = {
      ...mailer,
      async send(message) {
        const sent = await mailer.send(message);
        await proxy.cut();
        restored = new Promise((r) => setTimeout(r, 1500)).then(() => proxy.restore());
        return sent;
      },
    };
    const service = createNotificationsService({
      prisma,
      clock,
      mailer: cutAfterSend,
      from: FROM,
      claimLeaseMs: LEASE_MS,
    });
    try {
      const eventId = crypto.randomUUID();
      const req = { eventId, template: 'tickets-issued' as const, to: 'cut@example.test', data: ticketsData };
      const before = smtp.messages.length;
      expect((await service.sendEmailOnce(req)).status).toBe('SENT');
      await restored;
      expect(await notifications.getSentEmail(eventId, 'tickets-issued')).toMatchObject({ status: 'SENT' });
      clock.advance(LEASE_MS + 1);
      expect((await notifications.sendEmailOnce(req)).status).toBe('ALREADY_SENT');
      expect(smtp.messages.length).toBe(before + 1);
    } finally {
      await prisma.$disconnect();
      await proxy.close();
    }
  });
});

describe('the .eml outbox (default local run)', () => {
  it('when SMTP_URL is not set, then each email is written as a parseable RFC 5322 file with its attachment', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mail-outbox-'));
    try {
      const outbox = createMailer({
        SMTP_URL: undefined,
        MAIL_FROM: FROM,
        MAIL_OUTBOX_DIR: dir,
        SMTP_TIMEOUT_MS: 1000,
      });
      expect(outbox.mode).toBe('outbox');
      const service = createNotificationsService({
        prisma: platform.prisma,
        clock,
        mailer: outbox,
        from: FROM,
        claimLeaseMs: LEASE_MS,
      });
      const eventId = crypto.randomUUID();
      const outcome = await service.sendEmailOnce({
        eventId,
        template: 'tickets-issued',
        to: 'buyer@example.test',
        data: ticketsData,
        attachments: [{ filename: 'tickets.pdf', content: pdf, contentType: 'application/pdf' }],
      });
      expect(outcome.status).toBe('SENT');
      const files = fs.readdirSync(dir);
      expect(files).toEqual([`${eventId}.tickets-issued_tickets.test.eml`]);
      const raw = fs.readFileSync(path.join(dir, files[0]!));
      expect(raw.toString('latin1')).not.toMatch(/[^\r]\n/); // CRLF line ends, as on the wire
      const mail = parseMime(raw);
      expect(mail.headers.get('from')).toBe('Ticketing <no-reply@tickets.test>');
      expect(mail.headers.get('to')).toBe('buyer@example.test');
      expect(mail.headers.get('mime-version')).toBe('1.0');
      expect(mail.headers.get('date')).toBeDefined();
      expect(find(mail, 'text/plain')!.body.toString()).toContain('Booking: AB12CD34');
      expect(find(mail, 'application/pdf')!.body.equals(pdf)).toBe(true);
      outbox.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('recipientEventId', () => {
  it('when one event goes to several people, then each gets a stable UUID of their own', () => {
    const event = crypto.randomUUID();
    const [a, b] = [crypto.randomUUID(), crypto.randomUUID()];
    const idA = recipientEventId(event, a);
    expect(idA).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(recipientEventId(event.toUpperCase(), a)).toBe(idA);
    expect(recipientEventId(event, b)).not.toBe(idA);
    expect(recipientEventId(crypto.randomUUID(), a)).not.toBe(idA);
  });
});

describe('templates and error classes', () => {
  it('when each template is rendered, then it has a subject, a text part and an escaped HTML part', () => {
    const evil = '<img src=x onerror=alert(1)>';
    const rendered = [
      renderEmail('tickets-issued', { ...ticketsData, buyerName: evil }),
      renderEmail('booking-expired', {
        buyerName: evil,
        campaignTitle: 'Derby',
        bookingReference: 'B1',
        campaignUrl: 'http://x/c',
      }),
      renderEmail('refund-completed', {
        buyerName: evil,
        campaignTitle: 'Derby',
        bookingReference: 'B1',
        amountMinor: 1_250_000,
        currency: 'NGN',
        cancelsBooking: true,
      }),
      renderEmail('seller-application-decided', {
        applicantName: evil,
        businessName: 'Blue Note',
        approved: false,
        reason: 'Missing registration number',
        dashboardUrl: 'http://x/d',
      }),
      renderEmail('payment-under-review', {
        buyerName: evil,
        campaignTitle: 'Derby',
        bookingReference: 'B1',
      }),
      renderEmail('refund-failed', {
        buyerName: evil,
        campaignTitle: 'Derby',
        bookingReference: 'B1',
        amountMinor: 1_250_000,
        currency: 'NGN',
      }),
      renderEmail('admin-review-needed', {
        adminName: evil,
        headline: `A seller application from ${evil}`,
        facts: [`Business: ${evil}`],
        reviewUrl: 'http://x/admin/seller-applications',
      }),
    ];
    for (const r of rendered) {
      expect(r.subject.length).toBeGreaterThan(5);
      expect(r.text).toContain(evil);
      expect(r.html).not.toContain('<img');
      expect(r.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    }
    expect(rendered[2]!.text).toContain('₦12,500.00');
    expect(rendered[3]!.text).toContain('Missing registration number');
    expect(rendered[5]!.subject).toBe('Your refund of ₦12,500.00 for booking B1 is delayed');
    expect(
      renderEmail('seller-application-decided', {
        applicantName: 'A',
        businessName: 'Blue Note',
        approved: true,
        dashboardUrl: 'http://x/d',
      }).subject,
    ).toBe('Blue Note is approved to sell tickets');
    expect(rendered[6]!.subject).toBe(`Review needed: A seller application from ${evil}`);
    expect(rendered[6]!.text).toContain(`- Business: ${evil}\n`);
    expect(rendered[6]!.html).toContain('href="http://x/admin/seller-applications"');
    expect(formatMoney(5, 'USD')).toBe('$0.05');
    expect(formatMoney(1234, 'JPY')).toBe('¥1,234');
  });

  it('when a refund cancelled the booking, then the email says its tickets stopped working; when the money never bought it, then that the tickets are not affected', () => {
    const data = {
      buyerName: 'Ada',
      campaignTitle: 'Derby',
      bookingReference: 'B1',
      amountMinor: 500_000,
      currency: 'NGN',
    };
    const cancelled = renderEmail('refund-completed', { ...data, cancelsBooking: true });
    expect(cancelled.text).toContain('The tickets of this booking are no longer valid.');
    expect(cancelled.html).toContain('no longer valid');
    // A second payment for a booking already paid: the booking keeps its tickets.
    const extra = renderEmail('refund-completed', { ...data, cancelsBooking: false });
    expect(extra.text).not.toContain('no longer valid');
    expect(extra.text).toContain('Tickets you already have for this booking are not affected.');
    expect(extra.html).toContain('not affected');
  });

  it('when SMTP errors are classified, then 5xx is permanent (recipient or not), 4xx, network and login failures are retryable', () => {
    expect(
      classifyMailError(Object.assign(new Error('x'), { responseCode: 550, command: 'RCPT TO' })),
    ).toMatchObject({ permanent: true, recipientRejected: true });
    expect(
      classifyMailError(Object.assign(new Error('x'), { responseCode: 554, command: 'DATA' })),
    ).toMatchObject({ permanent: true, recipientRejected: false });
    expect(
      classifyMailError(Object.assign(new Error('x'), { responseCode: 452, command: 'RCPT TO' })),
    ).toMatchObject({ permanent: false });
    expect(
      classifyMailError(Object.assign(new Error('x'), { responseCode: 535, code: 'EAUTH' })),
    ).toMatchObject({ permanent: false });
    expect(classifyMailError(Object.assign(new Error('x'), { code: 'ECONNECTION' }))).toMatchObject({
      permanent: false,
    });
  });
});
