import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createModules, type Modules } from '../../src/modules/container';
import { bookingDto } from '../../src/modules/bookings';
import { renderEmail } from '../../src/modules/notifications';
import { verifyTicketQr } from '../../src/modules/tickets';
import { fixedClock } from '../../src/shared/clock';
import type { Platform } from '../../src/shared/platform';
import { LocalStorage } from '../../src/shared/storage';
import { actor } from '../support/factories';
import { expectInventoryInvariant } from '../support/inventory-invariant';
import { createTestPlatform, resetDatabase } from '../support/platform';
import { createSeatedSale, type SeatedSale } from '../support/sale';

const MIN = 60_000;

/**
 * A payment that lands after its hold lapsed, when someone else bought one of its seats
 * meanwhile: it gets other seats of the same zone (never one that is sold), its tickets and
 * signed QR codes carry the new seats, and the booking says so; when the zone has too few seats
 * left it is refunded with nothing sold. Two such payments racing for the zone's last seats:
 * one gets them, the other is refunded. The inventory invariant (seats = counters = bookings)
 * after each.
 */
describe('late payments whose seats were taken', () => {
  let platform: Platform;
  let modules: Modules;
  let storageDir: string;
  const clock = fixedClock('2027-04-01T09:00:00Z');

  beforeAll(async () => {
    platform = await createTestPlatform();
    await resetDatabase(platform);
    storageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'late-seats-'));
    modules = createModules({ ...platform, clock }, { storage: new LocalStorage(storageDir) });
  });
  afterAll(async () => {
    await expectInventoryInvariant(platform.prisma);
    await platform.close();
    fs.rmSync(storageDir, { recursive: true, force: true });
  });

  const sale = (sections: Parameters<typeof createSeatedSale>[1]['sections']) =>
    createSeatedSale({ ...platform, clock }, { sections, campaign: { maxTicketsPerCustomer: 20 } });
  const seatAt = (s: SeatedSale, section: string, row: string, label: string) =>
    s.seats.find((x) => x.sectionName === section && x.rowLabel === row && x.seatLabel === label)!.id;
  const reserve = async (s: SeatedSale, typeIndex: number, seatIds: string[]) => {
    const r = await modules.bookings.reserveBooking(actor(), crypto.randomUUID(), {
      campaignId: s.campaign.id,
      issuance: 'SEPARATE',
      items: [{ ticketTypeId: s.types[typeIndex]!.id, quantity: seatIds.length, seatIds }],
    });
    expect(r.status).toBe(201);
    return (r.body as { id: string }).id;
  };
  const lapse = async () => {
    clock.advance(16 * MIN);
    await modules.bookings.expireDueBookings();
  };
  const seatStates = async (ids: string[]) => {
    const rows = await platform.prisma.campaignSeat.findMany({ where: { id: { in: ids } } });
    return ids.map((id) => rows.find((r) => r.id === id)!.status);
  };
  const seatsOf = async (bookingId: string) =>
    (await modules.bookings.getBookingForActor(actor(['SUPER_ADMIN']), bookingId)).seats ?? [];

  it('when one of its seats was sold meanwhile, then it gets other seats of the same zone, told on the booking and the event, and its tickets and QR codes carry them', async () => {
    const s = await sale([
      { name: 'Stalls', rows: ['A', 'C'], seats: [1, 8], zone: 'STALLS', rank: 0 },
      { name: 'Balcony', rows: ['A', 'B'], seats: [1, 8], zone: 'BALCONY', rank: 1 },
    ]);
    const mine = [seatAt(s, 'Stalls', 'B', '4'), seatAt(s, 'Stalls', 'B', '5')];
    const bookingId = await reserve(s, 0, mine);
    await lapse();
    const other = await reserve(s, 0, [mine[1]!]);
    expect((await modules.bookings.confirmBooking(undefined, other, 'pay-other')).outcome).toBe('CONFIRMED');

    const late = await modules.bookings.confirmBooking(undefined, bookingId, 'pay-late');
    expect(late).toMatchObject({ outcome: 'CONFIRMED', late: true });
    const seats = await seatsOf(bookingId);
    expect(seats).toHaveLength(2);
    // Same zone (the Stalls type), never the seat sold to the other buyer, side by side.
    expect(seats.every((x) => x.ticketTypeId === s.types[0]!.id && x.section === 'Stalls')).toBe(true);
    expect(seats.map((x) => x.seatId)).not.toContain(mine[1]);
    expect(new Set(seats.map((x) => x.row)).size).toBe(1);
    expect(await seatStates(seats.map((x) => x.seatId))).toEqual(['SOLD', 'SOLD']);
    const stored = await platform.prisma.campaignSeat.findMany({ where: { bookingId } });
    expect(stored.map((x) => x.id).sort()).toEqual(seats.map((x) => x.seatId).sort());
    expect((await modules.bookings.getBooking(bookingId))!.seatsChangedAt).toEqual(clock.now());
    const events = await platform.prisma.outboxMessage.findMany({
      where: {
        eventName: 'booking.confirmed',
        payload: { path: ['payload', 'bookingId'], equals: bookingId },
      },
    });
    expect(events.map((e) => (e.payload as { payload: Record<string, unknown> }).payload)).toEqual([
      expect.objectContaining({ late: true, seatsChanged: true }),
    ]);
    await expectInventoryInvariant(platform.prisma, [s.campaign.id]);

    // The tickets: one per new seat, each QR signed with that seat.
    const issued = await platform.prisma.$transaction(
      (tx) => modules.tickets.issueForConfirmedBooking(tx, bookingId),
      { timeout: 60_000, maxWait: 30_000 },
    );
    expect(issued.outcome).toBe('ISSUED');
    if (issued.outcome !== 'ISSUED') return;
    const keys = await modules.tickets.tickets.getCampaignPublicKeys(s.campaign.id);
    const during = new Date(s.campaign.startsAt.getTime() + MIN);
    const printed = issued.tickets.map((t) => verifyTicketQr(t.qrText, keys, during));
    expect(printed.map((p) => ('claims' in p ? p.claims.seat : null))).toEqual(
      seats.map((x) => ({ section: x.section, row: x.row, seat: x.seat })),
    );

    // What the buyer is told: the booking (page and API) and the tickets email name the new seats.
    const dto = bookingDto(await modules.bookings.getBookingForActor(actor(['SUPER_ADMIN']), bookingId));
    expect(dto).toMatchObject({ seatsChangedAt: clock.now().toISOString(), seats });
    const words = seats.map((x) => `${x.section} · row ${x.row} · seat ${x.seat}`);
    const email = renderEmail('tickets-issued', {
      buyerName: 'Ama',
      campaignTitle: s.campaign.title,
      bookingReference: 'REF',
      ticketCount: 2,
      when: 'soon',
      venue: 'here',
      ticketsUrl: 'http://localhost/tickets',
      seats: words,
      seatsChanged: true,
    });
    expect(email.text).toContain(`Your seats: ${words.join('; ')}`);
    expect(email.text).toContain('these are your seats instead, in the same zone');
  });

  it('when the zone has too few seats left, then it is refunded and nothing of it is sold; racing for the last seats, one gets them and the other is refunded', async () => {
    const s = await sale([{ name: 'Box', rows: ['A', 'A'], seats: [1, 6], zone: 'BOX' }]);
    const seat = (n: string) => seatAt(s, 'Box', 'A', n);
    const first = await reserve(s, 0, [seat('1'), seat('2')]);
    const second = await reserve(s, 0, [seat('3'), seat('4')]);
    const third = await reserve(s, 0, [seat('5'), seat('6')]);
    await lapse();
    // Others buy 1–4 meanwhile: only 5 and 6 are left.
    for (const ids of [
      [seat('1'), seat('3')],
      [seat('2'), seat('4')],
    ])
      await modules.bookings.confirmBooking(undefined, await reserve(s, 0, ids), `pay-${ids[0]}`);

    // The first two race for 5 and 6 (the third's own seats, still free): one gets them.
    const raced = await Promise.all([
      modules.bookings.confirmBooking(undefined, first, 'pay-first'),
      modules.bookings.confirmBooking(undefined, second, 'pay-second'),
    ]);
    expect(raced.map((r) => r.outcome).sort()).toEqual(['CONFIRMED', 'REFUND_REQUIRED']);
    const winner = raced[0]!.outcome === 'CONFIRMED' ? first : second;
    expect((await seatsOf(winner)).map((x) => x.seatId).sort()).toEqual([seat('5'), seat('6')].sort());
    const loser = raced.find((r) => r.outcome === 'REFUND_REQUIRED')!;
    expect(loser).toMatchObject({ reason: 'SOLD_OUT' });
    expect((await modules.bookings.getBooking(loser.booking.id))!.status).toBe('EXPIRED');
    expect(await seatStates([seat('5'), seat('6')])).toEqual(['SOLD', 'SOLD']);
    await expectInventoryInvariant(platform.prisma, [s.campaign.id]);

    // The third paid last: its own seats went to the winner and nothing is left: refunded.
    expect(await modules.bookings.confirmBooking(undefined, third, 'pay-third')).toMatchObject({
      outcome: 'REFUND_REQUIRED',
      reason: 'SOLD_OUT',
    });
    expect(await platform.prisma.campaignSeat.count({ where: { bookingId: third } })).toBe(0);
    await expectInventoryInvariant(platform.prisma, [s.campaign.id]);
  });
});
