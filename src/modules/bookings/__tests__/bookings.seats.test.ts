import crypto from 'node:crypto';
import { fixedClock } from '../../../shared/clock';
import type { Platform } from '../../../shared/platform';
import { actor } from '../../../../test/support/factories';
import { expectInventoryInvariant } from '../../../../test/support/inventory-invariant';
import { createTestPlatform, resetDatabase } from '../../../../test/support/platform';
import { createSeatedSale, type SeatedSale } from '../../../../test/support/sale';
import { getCounters, getSeatMap } from '../../campaigns';
import { createModules } from '../../container';
import type { BookingsService } from '../bookings.service';

type Seat = { seatId: string; ticketTypeId: string; section: string; row: string; seat: string };
type Body = {
  id: string;
  status: string;
  expiresAt: string;
  seats?: Seat[];
  items: Array<{ quantity: number }>;
};
type ErrorBody = { error: { code: string; details: Array<Record<string, unknown>> } };

describe('seated bookings', () => {
  let platform: Platform;
  let service: BookingsService;
  const clock = fixedClock('2027-03-01T10:00:00Z');

  beforeAll(async () => {
    platform = await createTestPlatform();
    await resetDatabase(platform);
    service = createModules({ ...platform, clock }).bookings;
  });
  afterAll(async () => {
    await expectInventoryInvariant(platform.prisma);
    await platform.close();
  });

  const seated = (opts: Partial<Parameters<typeof createSeatedSale>[1]> = {}) =>
    createSeatedSale(
      { ...platform, clock },
      { sections: [{ name: 'Stalls', rows: ['A', 'E'], seats: [1, 10], zone: 'STD' }], ...opts },
    );
  const reserveSeats = (s: SeatedSale, who: ReturnType<typeof actor>, seatIds: string[], typeIndex = 0) =>
    service.reserveBooking(who, crypto.randomUUID(), {
      campaignId: s.campaign.id,
      issuance: 'SEPARATE',
      items: [{ ticketTypeId: s.types[typeIndex]!.id, quantity: seatIds.length, seatIds }],
    });
  const reserveBest = (s: SeatedSale, who: ReturnType<typeof actor>, quantity: number) =>
    service.reserveBooking(who, crypto.randomUUID(), {
      campaignId: s.campaign.id,
      issuance: 'SEPARATE',
      items: [{ ticketTypeId: s.types[0]!.id, quantity, together: true }],
    });
  const states = async (s: SeatedSale) =>
    new Map((await getSeatMap(platform.prisma, s.campaign.id))!.seats.map((x) => [x.id, x.status]));
  const counter = async (s: SeatedSale) => (await getCounters(platform.prisma, s.campaign.id))[0]!;
  /** A refusal is an answer (stored for its key), not a thrown error. */
  const refused = async (p: Promise<{ status: number; body: unknown }>) => {
    const r = await p;
    return { status: r.status, ...(r.body as ErrorBody).error };
  };
  const seatAt = (s: SeatedSale, row: string, label: string) =>
    s.seats.find((x) => x.rowLabel === row && x.seatLabel === label)!.id;

  it('when a buyer names seats, then they are HELD for that booking and a second buyer asking for any of them gets 409 SEATS_TAKEN naming exactly those', async () => {
    const s = await seated();
    const a1 = seatAt(s, 'A', '1');
    const a2 = seatAt(s, 'A', '2');
    const a3 = seatAt(s, 'A', '3');
    const first = await reserveSeats(s, actor(), [a1, a2]);
    expect(first.status).toBe(201);
    const body = first.body as Body;
    expect(body.seats!.map((x) => `${x.section} ${x.row}${x.seat}`)).toEqual(['Stalls A1', 'Stalls A2']);
    expect(body.items[0]!.quantity).toBe(2);
    expect((await states(s)).get(a1)).toBe('HELD');
    expect(await counter(s)).toMatchObject({ capacity: 50, reserved: 2, sold: 0 });

    expect(await refused(reserveSeats(s, actor(), [a2, a3]))).toMatchObject({
      status: 409,
      code: 'SEATS_TAKEN',
      details: [expect.objectContaining({ seatId: a2, row: 'A', seat: '2', section: 'Stalls' })],
    });
    expect((await states(s)).get(a3)).toBe('AVAILABLE');
    await expectInventoryInvariant(platform.prisma, [s.campaign.id]);
  });

  it('when seat ids do not belong to the type, or seats are asked of a standing type, then 422 and nothing is held', async () => {
    const s = await seated({ gaTypes: [{ capacity: 100 }] });
    const other = await seated();
    expect(await refused(reserveSeats(s, actor(), [other.seats[0]!.id]))).toMatchObject({
      status: 422,
      code: 'SEAT_UNAVAILABLE',
    });
    expect(await refused(reserveSeats(s, actor(), [s.seats[0]!.id], 1))).toMatchObject({
      code: 'TICKET_TYPE_NOT_SEATED',
    });
    // The standing type sells by quantity beside the seats.
    const ga = await service.reserveBooking(actor(), crypto.randomUUID(), {
      campaignId: s.campaign.id,
      issuance: 'SINGLE',
      items: [
        { ticketTypeId: s.types[1]!.id, quantity: 3 },
        { ticketTypeId: s.types[0]!.id, quantity: 1, seatIds: [s.seats[5]!.id] },
      ],
    });
    expect(ga.status).toBe(201);
    expect((ga.body as Body).seats).toHaveLength(1);
    await expectInventoryInvariant(platform.prisma, [s.campaign.id, other.campaign.id]);
  });

  it('when 50 buyers ask for 4 best seats together at once on a 20×30 section, then no seat is given twice and every group sits side by side in one row', async () => {
    const s = await seated({ sections: [{ name: 'Main', rows: ['A', 'T'], seats: [1, 30], zone: 'STD' }] });
    const results = await Promise.all(Array.from({ length: 50 }, () => reserveBest(s, actor(), 4)));
    expect(results.every((r) => r.status === 201)).toBe(true);
    const byId = new Map(s.seats.map((x) => [x.id, x]));
    const all = results.flatMap((r) => (r.body as Body).seats!.map((x) => x.seatId));
    expect(all).toHaveLength(200);
    expect(new Set(all).size).toBe(200);
    for (const r of results) {
      const group = (r.body as Body)
        .seats!.map((x) => byId.get(x.seatId)!)
        .sort((a, b) => a.colIndex - b.colIndex);
      expect(new Set(group.map((g) => g.rowIndex)).size).toBe(1);
      expect(group[3]!.colIndex - group[0]!.colIndex).toBe(3);
    }
    // Best first: the front rows fill before the back ones (200 seats = rows A–G at 7 groups of 4 a row, and more).
    const rows = new Set(all.map((id) => byId.get(id)!.rowLabel));
    expect([...rows].sort()).toEqual('ABCDEFGH'.split('').slice(0, rows.size));
    expect(await counter(s)).toMatchObject({ capacity: 600, reserved: 200 });
    await expectInventoryInvariant(platform.prisma, [s.campaign.id]);
  });

  it('when no row has room for the group, then the best free seats are split as little as possible; when too few are left, SOLD_OUT', async () => {
    const s = await seated({ sections: [{ name: 'Tiny', rows: ['A', 'B'], seats: [1, 3], zone: 'STD' }] });
    expect((await reserveBest(s, actor(), 4)).status).toBe(201);
    expect(await refused(reserveBest(s, actor(), 3))).toMatchObject({ status: 409, code: 'SOLD_OUT' });
    expect((await reserveBest(s, actor(), 2)).status).toBe(201);
    await expectInventoryInvariant(platform.prisma, [s.campaign.id]);
  });

  it('when a seated hold lapses, then the expiry releases its seats and the counters, and someone else can take them', async () => {
    const local = fixedClock('2027-03-01T10:00:00Z');
    const svc = createModules({ ...platform, clock: local }).bookings;
    const s = await seated();
    const ids = [seatAt(s, 'B', '4'), seatAt(s, 'B', '5')];
    const b = (
      await svc.reserveBooking(actor(), crypto.randomUUID(), {
        campaignId: s.campaign.id,
        issuance: 'SINGLE',
        items: [{ ticketTypeId: s.types[0]!.id, quantity: 2, seatIds: ids }],
      })
    ).body as Body;
    local.advance(16 * 60_000);
    await svc.expireDueBookings();
    expect((await svc.getBooking(b.id))!.status).toBe('EXPIRED');
    const m = await states(s);
    expect(ids.map((id) => m.get(id))).toEqual(['AVAILABLE', 'AVAILABLE']);
    expect(await counter(s)).toMatchObject({ reserved: 0, sold: 0 });
    await expectInventoryInvariant(platform.prisma, [s.campaign.id]);
    expect((await reserveSeats(s, actor(), ids)).status).toBe(201);
    await expectInventoryInvariant(platform.prisma, [s.campaign.id]);
  });

  it('when the buyer extends a hold, then it lasts longer once, within the maximum, and expires at the new time', async () => {
    const local = fixedClock('2027-03-01T10:00:00Z');
    const svc = createModules({ ...platform, clock: local }).bookings;
    const s = await seated();
    const buyer = actor();
    const b = (
      await svc.reserveBooking(buyer, crypto.randomUUID(), {
        campaignId: s.campaign.id,
        issuance: 'SINGLE',
        items: [{ ticketTypeId: s.types[0]!.id, quantity: 1, seatIds: [seatAt(s, 'C', '5')] }],
      })
    ).body as Body;
    expect(b.expiresAt).toBe('2027-03-01T10:15:00.000Z');
    await expect(svc.extendHold(actor(), b.id)).rejects.toMatchObject({ code: 'BOOKING_NOT_FOUND' });
    local.advance(12 * 60_000);
    const extended = await svc.extendHold(buyer, b.id);
    expect(extended.expiresAt.toISOString()).toBe('2027-03-01T10:25:00.000Z');
    expect(extended.seats).toHaveLength(1);
    await expect(svc.extendHold(buyer, b.id)).rejects.toMatchObject({ code: 'HOLD_NOT_EXTENDABLE' });

    local.advance(4 * 60_000); // 10:16: past the first expiry, within the extension
    await svc.expireDueBookings();
    expect((await svc.getBooking(b.id))!.status).toBe('PENDING');
    await expectInventoryInvariant(platform.prisma, [s.campaign.id]);
    local.advance(10 * 60_000); // 10:26
    await svc.expireDueBookings();
    expect((await svc.getBooking(b.id))!.status).toBe('EXPIRED');
    expect((await states(s)).get(seatAt(s, 'C', '5'))).toBe('AVAILABLE');
    await expectInventoryInvariant(platform.prisma, [s.campaign.id]);

    // The maximum: a hold made with little room left is extended only up to it.
    const capped = createModules({
      ...platform,
      clock: local,
      config: { ...platform.config, BOOKING_HOLD_MAX_MINUTES: 20 },
    }).bookings;
    const c = (
      await capped.reserveBooking(buyer, crypto.randomUUID(), {
        campaignId: s.campaign.id,
        issuance: 'SINGLE',
        items: [{ ticketTypeId: s.types[0]!.id, quantity: 1, seatIds: [seatAt(s, 'C', '6')] }],
      })
    ).body as Body;
    const made = new Date(c.expiresAt).getTime() - 15 * 60_000;
    expect((await capped.extendHold(buyer, c.id)).expiresAt.getTime()).toBe(made + 20 * 60_000);
    await expect(capped.extendHold(buyer, c.id)).rejects.toMatchObject({ code: 'HOLD_NOT_EXTENDABLE' });
  });

  it('when a seated hold is cancelled, paid and refunded, then its seats go AVAILABLE, SOLD and AVAILABLE again with the invariant after each', async () => {
    const s = await seated();
    const buyer = actor();
    const cancelIds = [seatAt(s, 'D', '1')];
    const c = (await reserveSeats(s, buyer, cancelIds)).body as Body;
    await service.cancelBooking(buyer, c.id);
    expect((await states(s)).get(cancelIds[0]!)).toBe('AVAILABLE');
    await expectInventoryInvariant(platform.prisma, [s.campaign.id]);

    const ids = [seatAt(s, 'D', '2'), seatAt(s, 'D', '3')];
    const b = (await reserveSeats(s, buyer, ids)).body as Body;
    const confirmed = await service.confirmBooking(undefined, b.id, 'pay-1');
    expect(confirmed).toMatchObject({ outcome: 'CONFIRMED', late: false });
    let m = await states(s);
    expect(ids.map((id) => m.get(id))).toEqual(['SOLD', 'SOLD']);
    expect(await counter(s)).toMatchObject({ reserved: 0, sold: 2 });
    await expectInventoryInvariant(platform.prisma, [s.campaign.id]);
    expect(await refused(reserveSeats(s, actor(), [ids[0]!]))).toMatchObject({ code: 'SEATS_TAKEN' });

    expect(await service.refundBooking(undefined, b.id)).toMatchObject({ outcome: 'REFUNDED' });
    m = await states(s);
    expect(ids.map((id) => m.get(id))).toEqual(['AVAILABLE', 'AVAILABLE']);
    expect(await counter(s)).toMatchObject({ reserved: 0, sold: 0 });
    await expectInventoryInvariant(platform.prisma, [s.campaign.id]);
  });

  it('when a payment lands after the hold lapsed, then it takes the same seats again if they are free, and other seats of the zone (never double-sold) if someone took one', async () => {
    const local = fixedClock('2027-03-01T10:00:00Z');
    const svc = createModules({ ...platform, clock: local }).bookings;
    const s = await seated();
    const reserve = (ids: string[]) =>
      svc.reserveBooking(actor(), crypto.randomUUID(), {
        campaignId: s.campaign.id,
        issuance: 'SINGLE',
        items: [{ ticketTypeId: s.types[0]!.id, quantity: ids.length, seatIds: ids }],
      });
    const free = [seatAt(s, 'E', '1'), seatAt(s, 'E', '2')];
    const gone = [seatAt(s, 'E', '5'), seatAt(s, 'E', '6')];
    const late = (await reserve(free)).body as Body;
    const lost = (await reserve(gone)).body as Body;
    local.advance(16 * 60_000);
    await svc.expireDueBookings();
    await expectInventoryInvariant(platform.prisma, [s.campaign.id]);
    // Someone else takes one seat of the second booking.
    expect((await reserve([gone[1]!])).status).toBe(201);

    expect(await svc.confirmBooking(undefined, late.id, 'late-1')).toMatchObject({
      outcome: 'CONFIRMED',
      late: true,
    });
    const m = await states(s);
    expect(free.map((id) => m.get(id))).toEqual(['SOLD', 'SOLD']);
    await expectInventoryInvariant(platform.prisma, [s.campaign.id]);

    // The second lost E6 to someone else: it gets two other seats of the zone, side by side.
    expect(await svc.confirmBooking(undefined, lost.id, 'late-2')).toMatchObject({
      outcome: 'CONFIRMED',
      late: true,
    });
    const moved = (await svc.getBooking(lost.id))!;
    expect(moved.status).toBe('CONFIRMED');
    expect(moved.seatsChangedAt).not.toBeNull();
    const instead = (await svc.getBookingForActor(actor(['SUPER_ADMIN']), lost.id)).seats!;
    expect(instead).toHaveLength(2);
    expect(instead.map((x) => x.seatId)).not.toContain(gone[1]);
    expect(new Set(instead.map((x) => x.row)).size).toBe(1);
    expect(Math.abs(Number(instead[0]!.seat) - Number(instead[1]!.seat))).toBe(1);
    const after = await states(s);
    expect(instead.map((x) => after.get(x.seatId))).toEqual(['SOLD', 'SOLD']);
    expect(after.get(gone[1]!)).toBe('HELD');
    expect(await counter(s)).toMatchObject({ sold: 4, reserved: 1 });
    await expectInventoryInvariant(platform.prisma, [s.campaign.id]);
  });

  it('when a seated booking is free, then its seats are SOLD at once', async () => {
    const s = await seated({ types: { STD: { priceMinor: 0 } } });
    const r = await reserveSeats(s, actor(), [seatAt(s, 'A', '9')]);
    expect((r.body as Body).status).toBe('CONFIRMED');
    expect((await states(s)).get(seatAt(s, 'A', '9'))).toBe('SOLD');
    await expectInventoryInvariant(platform.prisma, [s.campaign.id]);
  });

  it('when a seated campaign is cancelled, then its holds release their seats', async () => {
    const s = await seated();
    await reserveSeats(s, actor(), [seatAt(s, 'A', '1')]);
    await createModules({ ...platform, clock }).campaigns.cancelCampaign(s.seller, s.campaign.id, 'Storm');
    expect((await states(s)).get(seatAt(s, 'A', '1'))).toBe('AVAILABLE');
    await expectInventoryInvariant(platform.prisma, [s.campaign.id]);
  });

  it('when the same key repeats a seated request, then the stored answer is replayed and no second hold is made', async () => {
    const s = await seated();
    const key = crypto.randomUUID();
    const who = actor();
    const input = {
      campaignId: s.campaign.id,
      issuance: 'SINGLE' as const,
      items: [{ ticketTypeId: s.types[0]!.id, quantity: 1, seatIds: [seatAt(s, 'B', '1')] }],
    };
    const [x, y] = await Promise.all([
      service.reserveBooking(who, key, input),
      service.reserveBooking(who, key, input),
    ]);
    expect((x.body as Body).id).toBe((y.body as Body).id);
    const other = { ...input, items: [{ ...input.items[0]!, seatIds: [seatAt(s, 'B', '2')] }] };
    await expect(service.reserveBooking(who, key, other)).rejects.toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
    });
    expect(((await service.reserveBooking(who, key, input)).body as ErrorBody & Body).id).toBe(
      (x.body as Body).id,
    );
    await expectInventoryInvariant(platform.prisma, [s.campaign.id]);
  });
});
