import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeBase45, encodeBase45 } from '../tickets.base45';
import { fixedClock } from '../../../shared/clock';
import type { Tx } from '../../../shared/db';
import type { Platform } from '../../../shared/platform';
import { LocalStorage } from '../../../shared/storage';
import { backendPid, isBlockedBy } from '../../../../test/support/locks';
import { createTestPlatform, resetDatabase, waitFor } from '../../../../test/support/platform';
import {
  createTicketsService,
  TicketEvents,
  verifyTicketQr,
  type IssueTicketsInput,
  type TicketPdfContext,
  type TicketsService,
} from '../index';

/**
 * The whole path a gate relies on, with real tools: pdfkit renders the PDF, poppler's pdftoppm
 * rasterises it, zbar's zbarimg decodes the QR from the pixels, and the decoded text is
 * verified with the campaign's public key alone.
 */

let platform: Platform;
let tickets: TicketsService;
let storageDir: string;
let workDir: string;
const clock = fixedClock('2026-11-22T10:00:00Z');

beforeAll(async () => {
  platform = await createTestPlatform();
  await resetDatabase(platform);
  storageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tickets-pdf-store-'));
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tickets-pdf-work-'));
  tickets = createTicketsService({
    prisma: platform.prisma,
    clock,
    storage: new LocalStorage(storageDir),
    masterKey: crypto.randomBytes(32),
  });
});

afterAll(async () => {
  await platform.close();
  fs.rmSync(storageDir, { recursive: true, force: true });
  fs.rmSync(workDir, { recursive: true, force: true });
});

const tx = <T>(fn: (t: Tx) => Promise<T>): Promise<T> => platform.prisma.$transaction(fn);
const during = new Date('2026-12-05T12:00:00Z');

function hotelBooking(): { input: IssueTicketsInput; pdf: TicketPdfContext } {
  const campaignId = crypto.randomUUID();
  const roomType = crypto.randomUUID();
  return {
    input: {
      bookingId: crypto.randomUUID(),
      campaignId,
      userId: crypto.randomUUID(),
      holderName: 'Adéwálé Ọlọ́run',
      issuance: 'SEPARATE',
      validFrom: new Date('2026-12-04T12:00:00Z'),
      validUntil: new Date('2026-12-07T11:00:00Z'),
      items: [{ ticketTypeId: roomType, quantity: 2, entriesPerTicket: 3 }],
    },
    pdf: {
      campaign: {
        title: 'Harmattan Getaway at Lekki Beach Resort',
        kind: 'HOTEL',
        startsAt: new Date('2026-12-04T13:00:00Z'),
        venue: 'Lekki Beach Resort, Lagos',
        timezone: 'Africa/Lagos',
        sellerName: 'Coastline Hospitality Ltd',
      },
      ticketTypes: {
        [roomType]: {
          name: 'Deluxe Sea View',
          attributes: { nights: 3, roomType: 'Double, sea view', benefits: ['Breakfast'] },
        },
      },
      bookingReference: 'K7D4-QX9M',
    },
  };
}

function fileList(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.join(d.parentPath, d.name));
}

/** Rasterises one page at 150 dpi and returns what zbarimg reads from it. */
function decodeQrFromPage(pdfFile: string, page: number): string {
  const prefix = path.join(workDir, `page-${crypto.randomUUID()}`);
  execFileSync('pdftoppm', [
    '-r',
    '150',
    '-png',
    '-f',
    String(page),
    '-l',
    String(page),
    '-singlefile',
    pdfFile,
    prefix,
  ]);
  const out = execFileSync('zbarimg', ['--quiet', '--raw', '-Sdisable', '-Sqrcode.enable', `${prefix}.png`], {
    encoding: 'latin1',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return out.replace(/\n$/, '');
}

describe('ticket PDFs', () => {
  it('when tickets are issued with their PDF, then each page QR decodes with a real decoder and verifies with the public key; a flipped byte fails', async () => {
    const { input, pdf } = hotelBooking();
    const result = await tx((t) => tickets.issueBookingTickets(t, input, pdf));
    expect(result.created).toBe(true);
    expect(result.fileKey).toBe(`tickets/${input.campaignId}/${input.bookingId}.pdf`);
    expect(result.event).toMatchObject({
      name: TicketEvents.issued,
      payload: { bookingId: input.bookingId, fileKey: result.fileKey },
    });
    const outbox = await platform.prisma.outboxMessage.findMany({
      where: { eventName: TicketEvents.issued },
    });
    expect(outbox.map((o) => o.id)).toEqual([result.event!.id]);

    const bytes = fs.readFileSync(path.join(storageDir, result.fileKey));
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
    const pdfFile = path.join(workDir, 'hotel.pdf');
    fs.writeFileSync(pdfFile, bytes);
    expect(execFileSync('pdfinfo', [pdfFile], { encoding: 'utf8' })).toMatch(/Pages:\s+2/);

    const keys = await tickets.getCampaignPublicKeys(input.campaignId);
    for (const [i, ticket] of result.tickets.entries()) {
      const scanned = decodeQrFromPage(pdfFile, i + 1);
      expect(scanned).toBe(ticket.qrText);
      const verified = verifyTicketQr(scanned, keys, during);
      expect(verified).toMatchObject({
        status: 'VALID',
        claims: {
          ticketId: ticket.id,
          campaignId: input.campaignId,
          ticketTypeId: input.items[0]!.ticketTypeId,
          maxScans: 3,
        },
      });
      const tampered = decodeBase45(scanned);
      tampered[50]! ^= 0x01; // max scans, low byte: 3 → 2
      expect(verifyTicketQr(encodeBase45(tampered), keys, during)).toEqual({
        status: 'INVALID',
        reason: 'BAD_SIGNATURE',
      });
    }
  });

  it('when a hotel ticket is rendered, then the page shows the title, nights, room type, holder, serial, entries and seller, in embedded subset fonts', async () => {
    const { input, pdf } = hotelBooking();
    const result = await tx((t) => tickets.issueBookingTickets(t, input, pdf));
    const pdfFile = path.join(workDir, 'hotel-text.pdf');
    fs.writeFileSync(pdfFile, fs.readFileSync(path.join(storageDir, result.fileKey)));

    const text = execFileSync('pdftotext', ['-f', '1', '-l', '1', pdfFile, '-'], {
      encoding: 'utf8',
    }).replace(/\s+/g, ' ');
    for (const expected of [
      'Harmattan Getaway at Lekki Beach Resort',
      'Sold by Coastline Hospitality Ltd',
      'Deluxe Sea View',
      'NIGHTS',
      'Double, sea view',
      'Friday, 4 December 2026', // check-in, Lagos time
      'Monday, 7 December 2026', // check-out after 3 nights
      'Adéwálé',
      'ENTRIES ALLOWED',
      String(result.tickets[0]!.serial).padStart(6, '0'),
      'Breakfast',
      'K7D4-QX9M', // the booking's reference as the site shows it, never a slice of its id
    ]) {
      expect(text).toContain(expected);
    }

    const fonts = execFileSync('pdffonts', [pdfFile], { encoding: 'utf8' }).trim().split('\n').slice(2);
    expect(fonts.length).toBeGreaterThan(0);
    for (const line of fonts) {
      // name type encoding emb sub uni: every font embedded and subset (name has the ABCDEF+ tag).
      expect(line).toMatch(/^[A-Z]{6}\+DejaVuSans(-Bold)?\s.*\byes\s+yes\s+yes\b/);
    }
    const size = fs.statSync(pdfFile).size;
    expect(size).toBeLessThan(60_000); // two pages with two subset fonts
  });

  it('when booking.confirmed is processed again after success, then the same tickets and the same single file come back and no event is added', async () => {
    const { input, pdf } = hotelBooking();
    const first = await tx((t) => tickets.issueBookingTickets(t, input, pdf));
    const firstBytes = fs.readFileSync(path.join(storageDir, first.fileKey));
    const again = await tx((t) => tickets.issueBookingTickets(t, input, pdf));
    expect(again.created).toBe(false);
    expect(again.event).toBeUndefined();
    expect(again.tickets.map((t) => t.id)).toEqual(first.tickets.map((t) => t.id));
    expect(fs.readFileSync(path.join(storageDir, again.fileKey)).equals(firstBytes)).toBe(true);
    expect(fileList(path.join(storageDir, 'tickets', input.campaignId))).toHaveLength(1);
    expect(
      await platform.prisma.outboxMessage.count({
        where: {
          eventName: TicketEvents.issued,
          payload: { path: ['payload', 'bookingId'], equals: input.bookingId },
        },
      }),
    ).toBe(1);
  });

  it('when the worker dies after writing the PDF but before committing, then the redelivery issues once and leaves one file showing the committed tickets', async () => {
    const { input, pdf } = hotelBooking();
    await expect(
      tx(async (t) => {
        await tickets.issueBookingTickets(t, input, pdf);
        throw new Error('killed before commit');
      }),
    ).rejects.toThrow('killed before commit');
    expect(await platform.prisma.ticket.count({ where: { bookingId: input.bookingId } })).toBe(0);

    const redelivered = await tx((t) => tickets.issueBookingTickets(t, input, pdf));
    expect(redelivered.created).toBe(true);
    const files = fileList(path.join(storageDir, 'tickets', input.campaignId));
    expect(files).toEqual([path.join(storageDir, redelivered.fileKey)]);
    const pdfFile = path.join(workDir, 'redelivered.pdf');
    fs.copyFileSync(files[0]!, pdfFile);
    expect(decodeQrFromPage(pdfFile, 1)).toBe(redelivered.tickets[0]!.qrText);
  });

  it('when the stored file has gone, then getBookingTicketsPdf renders and stores it again', async () => {
    const { input, pdf } = hotelBooking();
    const issued = await tx((t) => tickets.issueBookingTickets(t, input, pdf));
    fs.rmSync(path.join(storageDir, issued.fileKey));
    const again = await tickets.getBookingTicketsPdf(input.bookingId, pdf);
    expect(again?.subarray(0, 5).toString()).toBe('%PDF-');
    expect(fs.existsSync(path.join(storageDir, issued.fileKey))).toBe(true);
    expect(await tickets.getBookingTicketsPdf(crypto.randomUUID(), pdf)).toBeNull();
  });

  it('when a missing PDF is rendered again while the booking is being revoked, then it is not stored back after the revocation', async () => {
    const { input, pdf } = hotelBooking();
    const issued = await tx((t) => tickets.issueBookingTickets(t, input, pdf));
    const file = path.join(storageDir, issued.fileKey);
    // A refund's revocation in progress: tickets REVOKED and files deleted, not committed yet.
    let commit!: () => void;
    const committing = new Promise<void>((r) => (commit = r));
    let revoking!: (pid: number) => void;
    const revokerPid = new Promise<number>((r) => (revoking = r));
    const revocation = tx(async (t) => {
      await tickets.revokeTicketsForBooking(t, input.bookingId, 'REFUNDED');
      revoking(await backendPid(t));
      await committing;
    });
    const pid = await revokerPid;
    expect(fs.existsSync(file)).toBe(false);

    // A download (or the email worker) that still sees the tickets VALID finds no file and renders.
    let settled = false;
    const download = tickets.getBookingTicketsPdf(input.bookingId, pdf).then(
      () => 'stored',
      (err: { code?: string }) => err.code,
    );
    void download.finally(() => (settled = true));
    await waitFor(
      async () => settled || (await isBlockedBy(platform.prisma, pid)),
      10_000,
      'the re-render to finish or to wait for the revocation',
    );
    commit();
    await revocation;

    expect(await download).toBe('TICKET_REVOKED');
    expect(fs.existsSync(file)).toBe(false);
  });
});
