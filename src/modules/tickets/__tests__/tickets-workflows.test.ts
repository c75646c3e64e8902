import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fixedClock } from '../../../shared/clock';
import type { Platform } from '../../../shared/platform';
import { LocalStorage } from '../../../shared/storage';
import { backendPid, waitUntilBlockedBy } from '../../../../test/support/locks';
import { createTestPlatform, resetDatabase } from '../../../../test/support/platform';
import { confirmedFreeBooking, createSale, type Sale } from '../../../../test/support/sale';
import type { BookingsService } from '../../bookings';
import { createModules } from '../../container';
import { recordInbox } from '../../../shared/messaging/inbox';
import {
  bookingTicketsFileKey,
  verifyTicketQr,
  type IssueHint,
  type PreparedIssue,
  type TicketsWorkflows,
} from '../index';

/**
 * The tickets workflows against real bookings and campaigns (their public APIs): what a booking
 * turns into, and the rule that issuance and revocation of one booking never interleave.
 */

let platform: Platform;
let flows: TicketsWorkflows;
let bookings: BookingsService;
let storage: LocalStorage;
let storageDir: string;
let sale: Sale;
const clock = fixedClock(new Date());

beforeAll(async () => {
  platform = await createTestPlatform();
  await resetDatabase(platform);
  storageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tickets-flows-'));
  storage = new LocalStorage(storageDir);
  ({ tickets: flows, bookings } = createModules({ ...platform, clock }, { storage }));
  sale = await createSale(
    { ...platform, clock },
    {
      campaign: { maxTicketsPerCustomer: 50, kind: 'HOTEL' },
      types: [
        {
          name: 'Free',
          priceMinor: 0,
          capacity: 500,
          maxPerOrder: 20,
          entriesPerTicket: 2,
          attributes: { nights: 2 },
        },
      ],
    },
  );
});

afterAll(async () => {
  await platform.close();
  fs.rmSync(storageDir, { recursive: true, force: true });
});

const confirmedBooking = (quantity: number, issuance: 'SINGLE' | 'SEPARATE') =>
  confirmedFreeBooking(bookings, sale, quantity, issuance);

it('when a SINGLE booking of 3 with 2 entries each is issued, then one ticket admits 3 with 6 entries, valid from 12 h before the start to 12 h after the end', async () => {
  const bookingId = await confirmedBooking(3, 'SINGLE');
  const result = await platform.prisma.$transaction((tx) => flows.issueForConfirmedBooking(tx, bookingId));
  expect(result.outcome).toBe('ISSUED');
  if (result.outcome !== 'ISSUED') return;
  expect(result.tickets).toHaveLength(1);
  const [t] = result.tickets;
  const booking = (await bookings.getBooking(bookingId))!;
  expect(t).toMatchObject({
    admits: 3,
    maxScans: 6,
    userId: booking.userId,
    status: 'VALID',
    holderName: 'Ticket holder',
  });
  expect(t!.validFrom.getTime()).toBe(
    Math.floor((sale.campaign.startsAt.getTime() - 12 * 3_600_000) / 1000) * 1000,
  );
  expect(t!.validUntil.getTime()).toBe(
    Math.floor((sale.campaign.endsAt.getTime() + 12 * 3_600_000) / 1000) * 1000,
  );
  expect(result.fileKey).toBe(bookingTicketsFileKey(sale.campaign.id, bookingId));
  expect(await storage.exists(result.fileKey)).toBe(true);
  expect(result.event).toMatchObject({ name: 'tickets.issued', payload: { bookingId, ticketIds: [t!.id] } });
});

it('when the booking was refunded before the worker ran, then nothing is issued', async () => {
  const bookingId = await confirmedBooking(2, 'SEPARATE');
  await bookings.refundBooking(undefined, bookingId);
  const result = await platform.prisma.$transaction((tx) => flows.issueForConfirmedBooking(tx, bookingId));
  expect(result).toEqual({ outcome: 'NOT_CONFIRMED', status: 'REFUNDED' });
  expect(await flows.tickets.listBookingTickets(bookingId)).toEqual([]);
  expect(await storage.exists(bookingTicketsFileKey(sale.campaign.id, bookingId))).toBe(false);
});

it('when a booking is refunded while its tickets are being issued, then the revocation waits for the issuance and revokes what it made', async () => {
  const bookingId = await confirmedBooking(2, 'SEPARATE');
  let issued!: (pid: number) => void;
  const issuing = new Promise<number>((r) => (issued = r));
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));

  // The worker's transaction: it has read CONFIRMED and written the tickets, not committed yet.
  const issue = platform.prisma.$transaction(
    async (tx) => {
      const r = await flows.issueForConfirmedBooking(tx, bookingId);
      issued(await backendPid(tx));
      await released;
      return r;
    },
    { timeout: 30_000 },
  );
  const issuerPid = await issuing;
  // The payments module refunds meanwhile (commits), and booking.cancelled reaches the revoker.
  await bookings.refundBooking(undefined, bookingId);
  let revokeDone = false;
  const revoke = platform.prisma
    .$transaction((tx) => flows.revokeForBooking(tx, bookingId), { timeout: 30_000 })
    .finally(() => (revokeDone = true));
  await waitUntilBlockedBy(platform.prisma, issuerPid);
  expect(revokeDone).toBe(false); // waiting on the booking's issuance lock

  release();
  const issuedResult = await issue;
  const revoked = await revoke;
  expect(issuedResult.outcome).toBe('ISSUED');
  if (issuedResult.outcome !== 'ISSUED') return;
  expect(revoked).toEqual({
    outcome: 'REVOKED',
    reason: 'REFUNDED',
    ticketIds: issuedResult.tickets.map((t) => t.id),
  });
  const after = await flows.tickets.listBookingTickets(bookingId);
  expect(after.map((t) => t.status)).toEqual(['REVOKED', 'REVOKED']);
  expect(await storage.exists(bookingTicketsFileKey(sale.campaign.id, bookingId))).toBe(false);
  const list = await flows.tickets.getRevocationList(sale.campaign.id);
  expect(list.items.map((i) => i.ticketId)).toEqual(expect.arrayContaining(after.map((t) => t.id)));
});

it('when revocation runs again, or for a booking that still stands, then it revokes nothing', async () => {
  const standing = await confirmedBooking(1, 'SINGLE');
  await platform.prisma.$transaction((tx) => flows.issueForConfirmedBooking(tx, standing));
  expect(await platform.prisma.$transaction((tx) => flows.revokeForBooking(tx, standing))).toEqual({
    outcome: 'NOT_REVOCABLE',
    status: 'CONFIRMED',
  });
  await bookings.refundBooking(undefined, standing);
  const first = await platform.prisma.$transaction((tx) => flows.revokeForBooking(tx, standing));
  const second = await platform.prisma.$transaction((tx) => flows.revokeForBooking(tx, standing));
  expect(first).toMatchObject({ outcome: 'REVOKED', ticketIds: [expect.any(String)] });
  expect(second).toEqual({ outcome: 'REVOKED', reason: 'REFUNDED', ticketIds: [] });
  expect(await platform.prisma.$transaction((tx) => flows.revokeForBooking(tx, crypto.randomUUID()))).toEqual(
    {
      outcome: 'BOOKING_NOT_FOUND',
    },
  );
});

it('when the worker caches printed presentation, then a date change still reaches the next QR at once and a renamed type shows after the cache time', async () => {
  const { tickets: cached, campaigns } = createModules(
    { ...platform, clock },
    { storage, presentationCacheMs: 10_000 },
  );
  const before = await cached.pdfContextFor(platform.prisma, sale.campaign.id, [sale.types[0]!.id]);
  expect(before!.ticketTypes[sale.types[0]!.id]!.name).toBe('Free');

  const startsAt = new Date(sale.campaign.startsAt.getTime() + 86_400_000);
  await campaigns.updateCampaign(sale.seller, sale.campaign.id, {
    startsAt,
    endsAt: new Date(startsAt.getTime() + 6 * 3_600_000),
  });
  await campaigns.updateTicketType(sale.seller, sale.campaign.id, sale.types[0]!.id, { name: 'Gratis' });
  const bookingId = await confirmedBooking(1, 'SINGLE');
  const result = await platform.prisma.$transaction((tx) => cached.issueForConfirmedBooking(tx, bookingId));
  if (result.outcome !== 'ISSUED') throw new Error(result.outcome);
  expect(result.tickets[0]!.validFrom.getTime()).toBe(
    Math.floor((startsAt.getTime() - 12 * 3_600_000) / 1000) * 1000,
  );
  expect(
    (await cached.pdfContextFor(platform.prisma, sale.campaign.id, [sale.types[0]!.id]))!.ticketTypes[
      sale.types[0]!.id
    ]!.name,
  ).toBe('Free');

  clock.advance(10_001);
  expect(
    (await cached.pdfContextFor(platform.prisma, sale.campaign.id, [sale.types[0]!.id]))!.ticketTypes[
      sale.types[0]!.id
    ]!.name,
  ).toBe('Gratis');
  expect(
    (await flows.pdfContextFor(platform.prisma, sale.campaign.id, [sale.types[0]!.id]))!.ticketTypes[
      sale.types[0]!.id
    ]!.name,
  ).toBe('Gratis');
});

it("when a booking's tickets are revoked, then they are locked in id order (a gate's grouped scan locks them so): the first one's lock is all it waits for", async () => {
  const bookingId = await confirmedBooking(2, 'SEPARATE');
  await platform.prisma.$transaction((tx) => flows.issueForConfirmedBooking(tx, bookingId));
  // Booking order against id order: the first ticket gets the larger id.
  const low = '00000000-0000-4000-8000-000000000001';
  const high = 'ffffffff-ffff-4fff-bfff-fffffffffff1';
  await platform.prisma.$executeRaw`
    UPDATE tickets SET id = CASE booking_position WHEN 1 THEN ${high}::uuid ELSE ${low}::uuid END
    WHERE booking_id = ${bookingId}::uuid`;
  await bookings.refundBooking(undefined, bookingId);
  let release!: () => void;
  let locked!: (pid: number) => void;
  const isLocked = new Promise<number>((r) => (locked = r));
  // A scan holding the lower id (booking position 2).
  const scan = platform.prisma.$transaction(
    async (tx) => {
      await tx.$queryRaw`SELECT id FROM tickets WHERE id = ${low}::uuid FOR UPDATE`;
      locked(await backendPid(tx));
      await new Promise<void>((r) => (release = r));
    },
    { timeout: 30_000 },
  );
  const scanPid = await isLocked;
  const revoke = platform.prisma.$transaction((tx) => flows.revokeForBooking(tx, bookingId), {
    timeout: 30_000,
  });
  await waitUntilBlockedBy(platform.prisma, scanPid);
  // The revocation waits on the lower id holding nothing else: the higher one can be taken now.
  const free = await platform.prisma.$transaction(
    (tx) =>
      tx.$queryRaw<
        Array<{ id: string }>
      >`SELECT id::text FROM tickets WHERE id = ${high}::uuid FOR UPDATE NOWAIT`,
  );
  expect(free).toEqual([{ id: high }]);
  release();
  await scan;
  const revoked = await revoke;
  // Numbered in booking order all the same: position 1 (the higher id) first.
  expect(revoked).toMatchObject({ outcome: 'REVOKED', ticketIds: [high, low] });
  const list = await flows.tickets.getRevocationList(sale.campaign.id);
  const seqOf = (id: string) => list.items.find((i) => i.ticketId === id)!.seq;
  expect(seqOf(low)).toBe(seqOf(high) + 1);
});

/**
 * The tickets worker's common case on the pg pool (prepareIssue's issueOnPool, fileIssuedOnPool):
 * the same tickets, serials, files and events as the general Prisma path, exactly once, and every
 * unusual case handed to the general path.
 */
describe('on the pg pool', () => {
  const CONSUMER = 'tickets.issue';
  let pooled: TicketsWorkflows;
  type Unfiled = Extract<PreparedIssue, { outcome: 'UNFILED' }>;

  beforeAll(async () => {
    // As the worker builds it: with the presentation cache (the pool path needs the seller's name cached).
    pooled = createModules(
      { ...platform, clock },
      { storage, presentationCacheMs: 60_000, renderPdf: async (t) => Buffer.from(`pdf of ${t.length}`) },
    ).tickets;
    // The first job of a campaign takes the general path: it decrypts the key and reads the seller.
    await issue(await confirmedBooking(1, 'SINGLE'));
  });

  afterEach(() => jest.restoreAllMocks());

  async function hintOf(bookingId: string): Promise<IssueHint> {
    const b = (await bookings.getBooking(bookingId))!;
    return { campaignId: b.campaignId, userId: b.userId, ticketTypeIds: b.items.map((i) => i.ticketTypeId) };
  }

  /** Both steps as the worker's handler runs them: the pool, else an inbox transaction. */
  async function issue(bookingId: string, eventId: string = crypto.randomUUID()) {
    const prepared = await pooled.prepareIssue(bookingId, await hintOf(bookingId));
    expect(prepared.outcome).toBe('UNFILED');
    const onPool = await pooled.fileIssuedOnPool(CONSUMER, eventId, prepared as Unfiled);
    if (onPool) return onPool;
    return platform.prisma.$transaction(async (tx) =>
      (await recordInbox(tx, CONSUMER, eventId)) ? pooled.fileIssued(tx, prepared as Unfiled) : null,
    );
  }

  it('when bookings of a campaign whose key and seller are cached are issued in parallel, then the pool path gives serials 1..n once each, a file and one tickets.issued per booking, and QR codes that verify', async () => {
    const onPool = jest.spyOn(pooled.tickets, 'issueNewTicketsOn');
    const filedOnPool = jest.spyOn(pooled.tickets, 'fileIssuedTicketsOn');
    const ids = await Promise.all(
      Array.from({ length: 12 }, (_, i) => confirmedBooking(1 + (i % 4), i % 2 ? 'SEPARATE' : 'SINGLE')),
    );
    const results = await Promise.all(ids.map((id) => issue(id)));

    expect(results.every((r) => r?.outcome === 'ISSUED')).toBe(true);
    expect(onPool).toHaveBeenCalledTimes(12);
    expect(filedOnPool).toHaveBeenCalledTimes(12);
    const tickets = await platform.prisma.ticket.findMany({ where: { campaignId: sale.campaign.id } });
    const serials = tickets.map((t) => t.serial).sort((a, b) => a - b);
    expect(serials).toEqual(Array.from({ length: tickets.length }, (_, i) => i + 1));
    expect(tickets.every((t) => t.fileKey === bookingTicketsFileKey(sale.campaign.id, t.bookingId))).toBe(
      true,
    );
    for (const id of ids)
      expect(await storage.exists(bookingTicketsFileKey(sale.campaign.id, id))).toBe(true);
    const events = await platform.prisma.outboxMessage.findMany({ where: { eventName: 'tickets.issued' } });
    const issuedFor = events.map((e) => (e.payload as { payload: { bookingId: string } }).payload.bookingId);
    for (const id of ids) expect(issuedFor.filter((b) => b === id)).toHaveLength(1);

    const keys = await pooled.tickets.getCampaignPublicKeys(sale.campaign.id);
    for (const t of await pooled.tickets.listBookingTickets(ids[3]!))
      expect(verifyTicketQr(t.qrText, keys, new Date(t.validFrom.getTime() + 60_000))).toMatchObject({
        status: 'VALID',
        claims: { ticketId: t.id },
      });
  });

  it('when the same event is filed twice, then the second delivery is a duplicate that writes nothing', async () => {
    const bookingId = await confirmedBooking(2, 'SEPARATE');
    const eventId = crypto.randomUUID();
    expect((await issue(bookingId, eventId))?.outcome).toBe('ISSUED');

    // The redelivery finds its tickets filed: nothing rendered, and the inbox row decides.
    const again = await pooled.prepareIssue(bookingId, await hintOf(bookingId));
    expect(again).toMatchObject({ outcome: 'UNFILED', created: false, pdf: null });
    const forced = { ...(again as Unfiled), pdf: Buffer.from('a late render') };
    expect(await pooled.fileIssuedOnPool(CONSUMER, eventId, forced)).toEqual({ outcome: 'DUPLICATE' });
    expect(
      await platform.prisma.inboxMessage.count({ where: { consumer: CONSUMER, messageId: eventId } }),
    ).toBe(1);
    const events = await platform.prisma.outboxMessage.findMany({ where: { eventName: 'tickets.issued' } });
    expect(events.filter((e) => JSON.stringify(e.payload).includes(bookingId))).toHaveLength(1);
    expect((await storage.get(bookingTicketsFileKey(sale.campaign.id, bookingId)))!.toString()).toBe(
      'pdf of 2',
    );
  });

  it('when the booking is refunded between the two steps, then the pool files nothing and the inbox transaction reports REVOKED with no file', async () => {
    const bookingId = await confirmedBooking(2, 'SEPARATE');
    const prepared = (await pooled.prepareIssue(bookingId, await hintOf(bookingId))) as Unfiled;
    expect(prepared.created).toBe(true);
    await bookings.refundBooking(undefined, bookingId);
    expect(await platform.prisma.$transaction((tx) => pooled.revokeForBooking(tx, bookingId))).toMatchObject({
      outcome: 'REVOKED',
    });

    const eventId = crypto.randomUUID();
    expect(await pooled.fileIssuedOnPool(CONSUMER, eventId, prepared)).toBeNull();
    // The pool rolled its inbox row back: the general path records it and tells why nothing was filed.
    expect(await platform.prisma.inboxMessage.count({ where: { messageId: eventId } })).toBe(0);
    const general = await platform.prisma.$transaction(async (tx) =>
      (await recordInbox(tx, CONSUMER, eventId)) ? pooled.fileIssued(tx, prepared) : null,
    );
    expect(general).toEqual({ outcome: 'REVOKED' });
    expect(await storage.exists(bookingTicketsFileKey(sale.campaign.id, bookingId))).toBe(false);
    expect(await platform.prisma.ticket.count({ where: { bookingId, fileKey: { not: null } } })).toBe(0);
  });

  it("when the event's ids do not match the booking, or it is issued twice at once, then the general path issues it, once", async () => {
    const onPool = jest.spyOn(pooled.tickets, 'issueNewTicketsOn');
    const bookingId = await confirmedBooking(3, 'SEPARATE');
    const hint = { ...(await hintOf(bookingId)), userId: crypto.randomUUID() };
    const prepared = await pooled.prepareIssue(bookingId, hint);
    expect(prepared).toMatchObject({ outcome: 'UNFILED', created: true });
    expect(onPool).not.toHaveBeenCalled();

    const twice = await confirmedBooking(2, 'SEPARATE');
    const [a, b] = await Promise.all([issue(twice), issue(twice)]);
    expect([a?.outcome, b?.outcome].sort()).toEqual(['ALREADY_ISSUED', 'ISSUED']);
    expect(await platform.prisma.ticket.count({ where: { bookingId: twice } })).toBe(2);
  });
});
