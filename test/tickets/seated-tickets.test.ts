import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createModules, type Modules } from '../../src/modules/container';
import { verifyTicketQr } from '../../src/modules/tickets';
import { fixedClock } from '../../src/shared/clock';
import type { Platform } from '../../src/shared/platform';
import { LocalStorage } from '../../src/shared/storage';
import { actor } from '../support/factories';
import { createTestPlatform, resetDatabase } from '../support/platform';
import { createSeatedSale } from '../support/sale';

/*
 * A seated booking's tickets: one per seat whatever the issuance, the seat printed on the PDF and
 * carried in the signed QR, read back from the rendered PDF by real tools (poppler, zbar).
 */
describe('seated tickets', () => {
  let platform: Platform;
  let modules: Modules;
  let storageDir: string;
  const clock = fixedClock(new Date());

  beforeAll(async () => {
    platform = await createTestPlatform();
    await resetDatabase(platform);
    storageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'seated-tickets-'));
    modules = createModules({ ...platform, clock }, { storage: new LocalStorage(storageDir) });
  });
  afterAll(async () => {
    await platform.close();
    fs.rmSync(storageDir, { recursive: true, force: true });
  });

  it('when a SINGLE booking of two seats is paid, then each seat gets its own ticket whose PDF page shows the seat and whose QR carries it, signed', async () => {
    const s = await createSeatedSale(
      { ...platform, clock },
      { sections: [{ name: 'North Stand', rows: ['A', 'C'], seats: [1, 8], zone: 'N' }] },
    );
    const ids = s.seats
      .filter((x) => x.rowLabel === 'B' && ['4', '5'].includes(x.seatLabel))
      .map((x) => x.id);
    const reserved = await modules.bookings.reserveBooking(actor(), crypto.randomUUID(), {
      campaignId: s.campaign.id,
      issuance: 'SINGLE',
      items: [{ ticketTypeId: s.types[0]!.id, quantity: 2, seatIds: ids }],
    });
    const bookingId = (reserved.body as { id: string }).id;
    expect(await modules.bookings.confirmBooking(undefined, bookingId, 'pay-seated')).toMatchObject({
      outcome: 'CONFIRMED',
    });
    // The PDF is rendered inside the transaction (fonts load on first use): generous on a loaded machine.
    const issued = await platform.prisma.$transaction(
      (tx) => modules.tickets.issueForConfirmedBooking(tx, bookingId),
      { timeout: 60_000, maxWait: 30_000 },
    );
    expect(issued.outcome).toBe('ISSUED');
    if (issued.outcome !== 'ISSUED') return;
    expect(issued.tickets.map((t) => [t.admits, t.seat])).toEqual([
      [1, { section: 'North Stand', row: 'B', seat: '4' }],
      [1, { section: 'North Stand', row: 'B', seat: '5' }],
    ]);

    const pdfFile = path.join(storageDir, 'booking.pdf');
    fs.writeFileSync(pdfFile, fs.readFileSync(path.join(storageDir, issued.fileKey!)));
    const keys = await modules.tickets.tickets.getCampaignPublicKeys(s.campaign.id);
    const during = new Date(s.campaign.startsAt.getTime() + 60_000);
    for (const [i, ticket] of issued.tickets.entries()) {
      const text = execFileSync('pdftotext', ['-f', String(i + 1), '-l', String(i + 1), pdfFile, '-'], {
        encoding: 'utf8',
      }).replace(/\s+/g, ' ');
      expect(text).toContain(`North Stand · Row B · Seat ${ticket.seat!.seat}`);
      const prefix = path.join(storageDir, `page-${i}`);
      execFileSync('pdftoppm', [
        '-r',
        '150',
        '-png',
        '-f',
        String(i + 1),
        '-l',
        String(i + 1),
        '-singlefile',
        pdfFile,
        prefix,
      ]);
      const scanned = execFileSync(
        'zbarimg',
        ['--quiet', '--raw', '-Sdisable', '-Sqrcode.enable', `${prefix}.png`],
        {
          encoding: 'latin1',
          stdio: ['ignore', 'pipe', 'ignore'],
        },
      ).replace(/\n$/, '');
      expect(scanned).toBe(ticket.qrText);
      expect(verifyTicketQr(scanned, keys, during)).toMatchObject({
        status: 'VALID',
        claims: { ticketId: ticket.id, seat: ticket.seat },
      });
    }
  });
});
