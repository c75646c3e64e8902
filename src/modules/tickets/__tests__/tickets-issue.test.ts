import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fixedClock } from '../../../shared/clock';
import type { Tx } from '../../../shared/db';
import type { Platform } from '../../../shared/platform';
import { LocalStorage } from '../../../shared/storage';
import { createTestPlatform, resetDatabase } from '../../../../test/support/platform';
import { createTicketsService, verifyTicketQr, type IssueTicketsInput, type TicketsService } from '../index';

let platform: Platform;
let tickets: TicketsService;
let storageDir: string;
const clock = fixedClock('2026-11-22T10:00:00Z');
const masterKey = crypto.randomBytes(32);

beforeAll(async () => {
  platform = await createTestPlatform();
  await resetDatabase(platform);
  storageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tickets-issue-'));
  tickets = createTicketsService({
    prisma: platform.prisma,
    clock,
    storage: new LocalStorage(storageDir),
    masterKey,
  });
});

afterAll(async () => {
  await platform.close();
  fs.rmSync(storageDir, { recursive: true, force: true });
});

const validFrom = new Date('2026-12-01T17:00:00Z');
const validUntil = new Date('2026-12-02T05:00:00Z');
const during = new Date('2026-12-01T20:00:00Z');

function input(over: Partial<IssueTicketsInput> = {}): IssueTicketsInput {
  return {
    bookingId: crypto.randomUUID(),
    campaignId: crypto.randomUUID(),
    userId: crypto.randomUUID(),
    holderName: 'Ada Obi',
    issuance: 'SEPARATE',
    validFrom,
    validUntil,
    items: [{ ticketTypeId: crypto.randomUUID(), quantity: 3, entriesPerTicket: 1 }],
    ...over,
  };
}

const tx = <T>(fn: (t: Tx) => Promise<T>): Promise<T> => platform.prisma.$transaction(fn);

describe('campaign signing keys', () => {
  it('when ensureCampaignKey is called twice, then the same ACTIVE key comes back and the private key is stored encrypted', async () => {
    const campaignId = crypto.randomUUID();
    const a = await tx((t) => tickets.ensureCampaignKey(t, campaignId));
    const b = await tx((t) => tickets.ensureCampaignKey(t, campaignId));
    expect(b).toEqual(a);
    expect(a).toMatchObject({ keyId: 1, status: 'ACTIVE', algorithm: 'Ed25519' });
    expect(Buffer.from(a.publicKey, 'base64url')).toHaveLength(32);
    const rows = await platform.prisma.ticketSigningKey.findMany({ where: { campaignId } });
    expect(rows).toHaveLength(1);
    expect(rows[0]!.privateKeyEncrypted[0]).toBe(1); // our encryption format version
    expect(rows[0]!.privateKeyEncrypted.length).toBe(1 + 12 + 16 + 48); // iv, tag, Ed25519 pkcs8
  });

  it('when ten transactions ensure the key of one campaign at once, then exactly one key exists', async () => {
    const campaignId = crypto.randomUUID();
    const keys = await Promise.all(
      Array.from({ length: 10 }, () => tx((t) => tickets.ensureCampaignKey(t, campaignId))),
    );
    expect(new Set(keys.map((k) => k.publicKey)).size).toBe(1);
    expect(await platform.prisma.ticketSigningKey.count({ where: { campaignId } })).toBe(1);
  });

  it('when the key is rotated, then new tickets use the new key and tickets issued before still verify until the old key is retired', async () => {
    const campaignId = crypto.randomUUID();
    const before = await tx((t) => tickets.issueTicketsForBooking(t, input({ campaignId })));
    const rotated = await tx((t) => tickets.rotateCampaignKey(t, campaignId));
    expect(rotated.keyId).toBe(2);
    const after = await tx((t) => tickets.issueTicketsForBooking(t, input({ campaignId })));
    expect(before.tickets[0]!.keyId).toBe(1);
    expect(after.tickets[0]!.keyId).toBe(2);

    const published = await tickets.getCampaignPublicKeys(campaignId);
    expect(published.map((k) => [k.keyId, k.status])).toEqual([
      [1, 'ROTATED'],
      [2, 'ACTIVE'],
    ]);
    for (const t of [...before.tickets, ...after.tickets]) {
      expect(verifyTicketQr(t.qrText, published, during).status).toBe('VALID');
    }

    await expect(tx((t) => tickets.retireCampaignKey(t, campaignId, 2))).rejects.toMatchObject({
      code: 'SIGNING_KEY_ACTIVE',
    });
    await tx((t) => tickets.retireCampaignKey(t, campaignId, 1));
    const remaining = await tickets.getCampaignPublicKeys(campaignId);
    expect(remaining.map((k) => k.keyId)).toEqual([2]);
    expect(verifyTicketQr(before.tickets[0]!.qrText, remaining, during)).toMatchObject({
      status: 'INVALID',
      reason: 'UNKNOWN_KEY',
    });
    expect(verifyTicketQr(after.tickets[0]!.qrText, remaining, during).status).toBe('VALID');
  });

  it("when a key of one campaign is presented for another campaign's ticket, then it does not verify", async () => {
    const a = await tx((t) => tickets.issueTicketsForBooking(t, input()));
    const otherCampaign = crypto.randomUUID();
    await tx((t) => tickets.ensureCampaignKey(t, otherCampaign));
    const otherKeys = (await tickets.getCampaignPublicKeys(otherCampaign)).map((k) => ({
      ...k,
      campaignId: a.tickets[0]!.campaignId,
    }));
    expect(verifyTicketQr(a.tickets[0]!.qrText, otherKeys, during)).toEqual({
      status: 'INVALID',
      reason: 'BAD_SIGNATURE',
    });
  });
});

describe('issueTicketsForBooking', () => {
  it('when issuance is SEPARATE, then there is one ticket per person, each admitting one with its entries', async () => {
    const typeA = crypto.randomUUID();
    const typeB = crypto.randomUUID();
    const res = await tx((t) =>
      tickets.issueTicketsForBooking(
        t,
        input({
          items: [
            { ticketTypeId: typeA, quantity: 2, entriesPerTicket: 1 },
            { ticketTypeId: typeB, quantity: 1, entriesPerTicket: 3 },
          ],
        }),
      ),
    );
    expect(res.created).toBe(true);
    expect(res.tickets.map((t) => [t.ticketTypeId, t.admits, t.maxScans, t.bookingPosition])).toEqual([
      [typeA, 1, 1, 1],
      [typeA, 1, 1, 2],
      [typeB, 1, 3, 3],
    ]);
    expect(
      res.tickets.every((t) => t.status === 'VALID' && t.scanCount === 0 && t.holderName === 'Ada Obi'),
    ).toBe(true);
  });

  it('when issuance is SINGLE, then one ticket admits the whole quantity with people × entries scans, and the QR says so', async () => {
    const i = input({
      issuance: 'SINGLE',
      items: [{ ticketTypeId: crypto.randomUUID(), quantity: 4, entriesPerTicket: 2 }],
    });
    const res = await tx((t) => tickets.issueTicketsForBooking(t, i));
    expect(res.tickets).toHaveLength(1);
    expect(res.tickets[0]).toMatchObject({ admits: 4, maxScans: 8 });
    const keys = await tickets.getCampaignPublicKeys(i.campaignId);
    const v = verifyTicketQr(res.tickets[0]!.qrText, keys, during);
    expect(v).toMatchObject({
      status: 'VALID',
      claims: {
        ticketId: res.tickets[0]!.id,
        campaignId: i.campaignId,
        maxScans: 8,
        validFrom,
        validUntil,
        keyId: 1,
      },
    });
  });

  it('when booking.confirmed is delivered twice, then the second call returns the same tickets and creates none', async () => {
    const i = input();
    const first = await tx((t) => tickets.issueTicketsForBooking(t, i));
    const second = await tx((t) => tickets.issueTicketsForBooking(t, i));
    expect(second.created).toBe(false);
    expect(second.tickets.map((t) => [t.id, t.serial, t.qrText])).toEqual(
      first.tickets.map((t) => [t.id, t.serial, t.qrText]),
    );
    expect(await platform.prisma.ticket.count({ where: { bookingId: i.bookingId } })).toBe(3);
  });

  it('when two deliveries of the same booking race, then one issues and the other returns its tickets', async () => {
    const i = input();
    const [a, b] = await Promise.all([
      tx((t) => tickets.issueTicketsForBooking(t, i)),
      tx((t) => tickets.issueTicketsForBooking(t, i)),
    ]);
    expect([a.created, b.created].sort()).toEqual([false, true]);
    expect(a.tickets.map((t) => t.id)).toEqual(b.tickets.map((t) => t.id));
    expect(await platform.prisma.ticket.count({ where: { bookingId: i.bookingId } })).toBe(3);
  });

  it('when many bookings of one campaign are issued concurrently, then serials are unique and gapless per campaign', async () => {
    const campaignId = crypto.randomUUID();
    const other = await tx((t) => tickets.issueTicketsForBooking(t, input()));
    const results = await Promise.all(
      Array.from({ length: 12 }, () => tx((t) => tickets.issueTicketsForBooking(t, input({ campaignId })))),
    );
    const serials = results.flatMap((r) => r.tickets.map((t) => t.serial)).sort((x, y) => x - y);
    expect(serials).toEqual(Array.from({ length: 36 }, (_, k) => k + 1));
    expect(other.tickets.map((t) => t.serial)).toEqual([1, 2, 3]); // another campaign counts on its own
  });

  it('when the issuing transaction rolls back, then nothing remains and the serials are reused', async () => {
    const campaignId = crypto.randomUUID();
    const i = input({ campaignId });
    await expect(
      tx(async (t) => {
        await tickets.issueTicketsForBooking(t, i);
        throw new Error('crash after issuing');
      }),
    ).rejects.toThrow('crash after issuing');
    expect(await platform.prisma.ticket.count({ where: { bookingId: i.bookingId } })).toBe(0);
    const again = await tx((t) => tickets.issueTicketsForBooking(t, i));
    expect(again.created).toBe(true);
    expect(again.tickets.map((t) => t.serial)).toEqual([1, 2, 3]);
  });

  it('when the input is not issuable, then a validation error names every problem and nothing is written', async () => {
    const i = input({
      holderName: ' ',
      items: [
        { ticketTypeId: 'x', quantity: 0, entriesPerTicket: 1 },
        { ticketTypeId: crypto.randomUUID(), quantity: 2, entriesPerTicket: 40000, issuance: 'SINGLE' },
      ],
    });
    const err = await tx((t) => tickets.issueTicketsForBooking(t, i)).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'validation', code: 'INVALID_TICKET_ISSUE' });
    const fields = (err as { details: Array<{ field: string }> }).details.map((d) => d.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        'holderName',
        'items[0].ticketTypeId',
        'items[0].quantity',
        'items[1].entriesPerTicket',
      ]),
    );
    expect(await platform.prisma.ticket.count({ where: { bookingId: i.bookingId } })).toBe(0);
  });
});

describe('revocation and entries', () => {
  it('when a booking is revoked, then its tickets leave VALID once and appear on the campaign revocation list', async () => {
    const campaignId = crypto.randomUUID();
    const kept = await tx((t) => tickets.issueTicketsForBooking(t, input({ campaignId })));
    const refunded = await tx((t) => tickets.issueTicketsForBooking(t, input({ campaignId })));
    const emptyList = await tickets.getRevocationList(campaignId);
    expect(emptyList.items).toEqual([]);

    clock.advance(60_000);
    const revoked = await tx((t) =>
      tickets.revokeTicketsForBooking(t, refunded.tickets[0]!.bookingId, 'REFUNDED'),
    );
    expect(revoked.sort()).toEqual(refunded.tickets.map((t) => t.id).sort());
    const again = await tx((t) =>
      tickets.revokeTicketsForBooking(t, refunded.tickets[0]!.bookingId, 'REFUNDED'),
    );
    expect(again).toEqual([]);

    const list = await tickets.getRevocationList(campaignId);
    expect(list.items.map((r) => r.ticketId).sort()).toEqual(refunded.tickets.map((t) => t.id).sort());
    expect(
      list.items.every((r) => r.reason === 'REFUNDED' && r.revokedAt.getTime() === clock.now().getTime()),
    ).toBe(true);
    expect(list.version).not.toBe(emptyList.version);
    expect((await tickets.getTicket(kept.tickets[0]!.id)).status).toBe('VALID');
  });

  it('when a ticket allows 2 entries and 5 gates scan it at once, then exactly 2 are admitted', async () => {
    const res = await tx((t) =>
      tickets.issueTicketsForBooking(
        t,
        input({
          issuance: 'SINGLE',
          items: [{ ticketTypeId: crypto.randomUUID(), quantity: 2, entriesPerTicket: 1 }],
        }),
      ),
    );
    const id = res.tickets[0]!.id;
    const results = await Promise.all(
      Array.from({ length: 5 }, () => tx((t) => tickets.recordTicketEntry(t, id))),
    );
    expect(results.filter((r) => r.admitted)).toHaveLength(2);
    expect(results.filter((r) => !r.admitted && r.reason === 'NO_ENTRIES_LEFT')).toHaveLength(3);
    expect((await tickets.getTicket(id)).scanCount).toBe(2);
  });

  it('when a revoked or unknown ticket is scanned, then it is not admitted and says why', async () => {
    const res = await tx((t) => tickets.issueTicketsForBooking(t, input()));
    await tx((t) => tickets.revokeTicketsForBooking(t, res.tickets[0]!.bookingId, 'CANCELLED'));
    expect(await tx((t) => tickets.recordTicketEntry(t, res.tickets[0]!.id))).toMatchObject({
      admitted: false,
      reason: 'REVOKED',
    });
    expect(await tx((t) => tickets.recordTicketEntry(t, crypto.randomUUID()))).toEqual({
      admitted: false,
      reason: 'NOT_FOUND',
    });
  });
});
