import crypto from 'node:crypto';
import { fixedClock } from '../../../shared/clock';
import type { AppError } from '../../../shared/errors';
import type { Actor } from '../../../shared/http/authorize';
import type { Platform } from '../../../shared/platform';
import { actor } from '../../../../test/support/factories';
import { expectInventoryInvariant } from '../../../../test/support/inventory-invariant';
import { createTestPlatform, resetDatabase } from '../../../../test/support/platform';
import { createSale, type Sale } from '../../../../test/support/sale';
import { getCounters } from '../../campaigns';
import { createModules, type Modules } from '../../container';
import type { BookingDto } from '../bookings.dto';

describe('waiting lists', () => {
  let platform: Platform;
  let m: Modules;
  const clock = fixedClock('2027-05-01T10:00:00Z');

  beforeAll(async () => {
    platform = await createTestPlatform({ WAITLIST_OFFER_MINUTES: '30' });
    await resetDatabase(platform);
    m = createModules({ ...platform, clock });
  });
  afterAll(async () => {
    await expectInventoryInvariant(platform.prisma);
    await platform.close();
  });

  const sale = (opts: Parameters<typeof createSale>[1] = {}) => createSale({ ...platform, clock }, opts);
  const reserve = async (s: Sale, who: Actor, quantity = 1) => {
    const r = await m.bookings.reserveBooking(who, crypto.randomUUID(), {
      campaignId: s.campaign.id,
      items: [{ ticketTypeId: s.types[0]!.id, quantity }],
      issuance: 'SINGLE',
    });
    return r.status === 201
      ? { booking: r.body as BookingDto }
      : { refused: (r.body as { error: { code: string } }).error.code };
  };
  const counters = async (s: Sale) => (await getCounters(platform.prisma, s.campaign.id))[0]!;
  const offersOf = (s: Sale) =>
    platform.prisma.waitlistOffer.findMany({
      where: { ticketTypeId: s.types[0]!.id },
      orderBy: { createdAt: 'asc' },
    });
  const offerFor = async (s: Sale, who: Actor) =>
    (await offersOf(s)).find((o) => o.userId === who.userId && o.status === 'OPEN');
  const offeredEvents = (s: Sale) =>
    platform.prisma.outboxMessage.findMany({
      where: {
        eventName: 'booking.waitlist-offered',
        payload: { path: ['payload', 'campaignId'], equals: s.campaign.id },
      },
    });
  const refusal = async (p: Promise<unknown>) =>
    p.then(
      () => 'none',
      (err: AppError) => err.code,
    );
  /** A sold-out type of `capacity`, all of it in one paid booking, and `waiting` buyers in line. */
  async function soldOutWithLine(capacity: number, waiting: number) {
    const s = await sale({ types: [{ priceMinor: 10_000, capacity }] });
    const owner = actor();
    const paid = (await reserve(s, owner, capacity)).booking!;
    await m.bookings.confirmBooking(undefined, paid.id, `pay-${paid.id}`);
    const line: Actor[] = [];
    for (let n = 0; n < waiting; n++) {
      const who = actor();
      const joined = await m.bookings.joinWaitlist(who, s.types[0]!.id, 1);
      expect(joined).toMatchObject({ created: true, place: n + 1 });
      line.push(who);
      // Arrival order is by time: one millisecond apart.
      clock.advance(1);
    }
    return { s, paid, line };
  }

  it('when tickets are on sale, then joining is refused; once sold out, one entry per buyer', async () => {
    const s = await sale({ types: [{ priceMinor: 10_000, capacity: 1 }] });
    const buyer = actor();
    expect(await refusal(m.bookings.joinWaitlist(buyer, s.types[0]!.id, 1))).toBe('WAITLIST_NOT_SOLD_OUT');
    await reserve(s, actor());
    const first = await m.bookings.joinWaitlist(buyer, s.types[0]!.id, 1);
    const again = await m.bookings.joinWaitlist(buyer, s.types[0]!.id, 1);
    expect(again).toMatchObject({ created: false, entry: { id: first.entry.id } });
    expect(await platform.prisma.waitlistEntry.count({ where: { ticketTypeId: s.types[0]!.id } })).toBe(1);
  });

  it('when a refund frees 2 tickets, then the first two in line get offers and the public still sees sold out', async () => {
    const { s, paid, line } = await soldOutWithLine(2, 3);
    await m.bookings.refundBooking(undefined, paid.id);

    const offers = await offersOf(s);
    expect(offers.map((o) => o.userId).sort()).toEqual([line[0]!.userId, line[1]!.userId].sort());
    expect(offers.every((o) => o.status === 'OPEN' && o.quantity === 1)).toBe(true);
    expect(await counters(s)).toMatchObject({ sold: 0, reserved: 2, available: 0 });
    expect((await reserve(s, actor())).refused).toBe('SOLD_OUT');
    const third = await platform.prisma.waitlistEntry.findFirst({ where: { userId: line[2]!.userId } });
    expect(third?.status).toBe('WAITING');
    // Each offer is announced once (the email worker sends the claim link from it).
    const events = await offeredEvents(s);
    expect(events.map((e) => (e.payload as { payload: { userId: string } }).payload.userId).sort()).toEqual(
      [line[0]!.userId, line[1]!.userId].sort(),
    );
    await expectInventoryInvariant(platform.prisma, [s.campaign.id]);
  });

  it('when an offer lapses unclaimed, then the next in line gets it, and the lapsed one cannot be claimed', async () => {
    const { s, paid, line } = await soldOutWithLine(1, 2);
    await m.bookings.refundBooking(undefined, paid.id);
    const first = (await offerFor(s, line[0]!))!;
    expect(first).toBeDefined();

    const statusOf = async (id: string) =>
      (await platform.prisma.waitlistOffer.findUnique({ where: { id } }))?.status;
    // (Other tests' offers share the database: the job's counts are not this test's alone.)
    clock.advance(29 * 60_000);
    await m.bookings.expireDueOffers();
    expect(await statusOf(first.id)).toBe('OPEN');
    clock.advance(60_000);
    expect(await m.bookings.expireDueOffers()).toBeGreaterThanOrEqual(1);
    expect(await m.bookings.expireDueOffers()).toBe(0);

    expect((await platform.prisma.waitlistOffer.findUnique({ where: { id: first.id } }))?.status).toBe(
      'EXPIRED',
    );
    expect((await platform.prisma.waitlistEntry.findUnique({ where: { id: first.entryId } }))?.status).toBe(
      'PASSED',
    );
    const next = await offerFor(s, line[1]!);
    expect(next).toMatchObject({ quantity: 1, status: 'OPEN' });
    expect(await refusal(m.bookings.claimOffer(line[0]!, first.id))).toBe('WAITLIST_OFFER_CLOSED');
    expect(await counters(s)).toMatchObject({ reserved: 1, available: 0 });

    // The last offer lapsing with nobody left in line puts the ticket back on sale.
    clock.advance(31 * 60_000);
    expect(await m.bookings.expireDueOffers()).toBeGreaterThanOrEqual(1);
    expect(await counters(s)).toMatchObject({ reserved: 0, available: 1 });
    expect((await reserve(s, actor())).booking).toBeDefined();
    await expectInventoryInvariant(platform.prisma, [s.campaign.id]);
  });

  it('when one offer is claimed 20 times at once, then exactly one booking holds its tickets and every claim answers it', async () => {
    const { s, paid, line } = await soldOutWithLine(1, 1);
    await m.bookings.refundBooking(undefined, paid.id);
    const offer = (await offerFor(s, line[0]!))!;
    expect(await refusal(m.bookings.claimOffer(actor(), offer.id))).toBe('WAITLIST_OFFER_NOT_FOUND');

    const claims = await Promise.all(
      Array.from({ length: 20 }, () => m.bookings.claimOffer(line[0]!, offer.id)),
    );
    const ids = new Set(claims.map((c) => c.booking.id));
    expect(ids.size).toBe(1);
    expect(claims.filter((c) => c.created)).toHaveLength(1);
    const booking = claims[0]!.booking;
    expect(booking).toMatchObject({ status: 'PENDING', userId: line[0]!.userId, totalMinor: 10_000 });
    expect(await platform.prisma.booking.count({ where: { userId: line[0]!.userId } })).toBe(1);
    expect(await platform.prisma.waitlistOffer.findUnique({ where: { id: offer.id } })).toMatchObject({
      status: 'CLAIMED',
      bookingId: booking.id,
    });
    // The hold moved from the offer to the booking: counters unchanged, still nothing for the public.
    expect(await counters(s)).toMatchObject({ reserved: 1, available: 0 });
    // And it is paid like any booking.
    expect((await m.bookings.confirmBooking(undefined, booking.id, `pay-${booking.id}`)).outcome).toBe(
      'CONFIRMED',
    );
    expect(await counters(s)).toMatchObject({ sold: 1, reserved: 0, available: 0 });
    await expectInventoryInvariant(platform.prisma, [s.campaign.id]);
  });

  it('when a hold expires, is cancelled, or capacity grows, then the freed tickets go to the line first', async () => {
    const s = await sale({ types: [{ priceMinor: 10_000, capacity: 2 }] });
    const holder = actor();
    const held = (await reserve(s, holder, 1)).booking!;
    const other = (await reserve(s, actor(), 1)).booking!;
    const a = actor();
    const b = actor();
    const c = actor();
    await m.bookings.joinWaitlist(a, s.types[0]!.id, 1);
    clock.advance(1);
    await m.bookings.joinWaitlist(b, s.types[0]!.id, 1);
    clock.advance(1);
    await m.bookings.joinWaitlist(c, s.types[0]!.id, 2);

    await m.bookings.cancelBooking(holder, held.id);
    expect(await offerFor(s, a)).toBeDefined();

    clock.advance(16 * 60_000);
    await m.bookings.expireDueBookings();
    expect((await m.bookings.getBooking(other.id))!.status).toBe('EXPIRED');
    expect(await offerFor(s, b)).toBeDefined();

    await m.campaigns.updateTicketType(s.seller, s.campaign.id, s.types[0]!.id, { capacity: 4 });
    expect(await offerFor(s, c)).toMatchObject({ quantity: 2 });
    expect(await counters(s)).toMatchObject({ capacity: 4, reserved: 4, available: 0 });
    await expectInventoryInvariant(platform.prisma, [s.campaign.id]);
  });

  it('when the campaign is cancelled, then its open offers are withdrawn and nobody else is offered anything', async () => {
    const { s, paid, line } = await soldOutWithLine(1, 2);
    await m.bookings.refundBooking(undefined, paid.id);
    const offer = (await offerFor(s, line[0]!))!;
    await m.campaigns.cancelCampaign(s.seller, s.campaign.id, 'Storm warning');
    expect((await platform.prisma.waitlistOffer.findUnique({ where: { id: offer.id } }))?.status).toBe(
      'WITHDRAWN',
    );
    expect(
      await platform.prisma.waitlistEntry.count({
        where: { ticketTypeId: s.types[0]!.id, status: 'WAITING' },
      }),
    ).toBe(0);
    expect(await counters(s)).toMatchObject({ reserved: 0 });
    expect(await refusal(m.bookings.claimOffer(line[0]!, offer.id))).toBe('WAITLIST_OFFER_CLOSED');
    await expectInventoryInvariant(platform.prisma, [s.campaign.id]);
  });
});
