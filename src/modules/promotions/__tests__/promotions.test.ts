import crypto from 'node:crypto';
import { fixedClock } from '../../../shared/clock';
import { type AppError } from '../../../shared/errors';
import type { Actor } from '../../../shared/http/authorize';
import type { Platform } from '../../../shared/platform';
import { actor } from '../../../../test/support/factories';
import { expectInventoryInvariant } from '../../../../test/support/inventory-invariant';
import { createTestPlatform, resetDatabase } from '../../../../test/support/platform';
import { createSale, type Sale } from '../../../../test/support/sale';
import type { BookingDto, BookingsService } from '../../bookings';
import { getCounters } from '../../campaigns';
import { createModules } from '../../container';
import type { PromotionsService } from '../promotions.service';
import { shareOut } from '../promotions.uses';

type Body = BookingDto;

describe('promo codes', () => {
  let platform: Platform;
  let bookings: BookingsService;
  let promotions: PromotionsService;
  const clock = fixedClock('2027-03-01T10:00:00Z');

  beforeAll(async () => {
    platform = await createTestPlatform();
    await resetDatabase(platform);
    const m = createModules({ ...platform, clock });
    bookings = m.bookings;
    promotions = m.promotions;
  });
  afterAll(async () => {
    await expectInventoryInvariant(platform.prisma);
    await platform.close();
  });
  afterEach(() => clock.set('2027-03-01T10:00:00Z'));

  const sale = (opts: Parameters<typeof createSale>[1] = {}) => createSale({ ...platform, clock }, opts);
  const code = (s: Sale, input: Partial<Parameters<PromotionsService['createPromoCode']>[2]> = {}) =>
    promotions.createPromoCode(s.seller, s.campaign.id, {
      code: `C${crypto.randomBytes(4).toString('hex')}`,
      kind: 'PERCENT',
      percentOff: 10,
      ...input,
    });
  /** Reserves `quantities` of the sale's types (in order) with the code; answers the body or the refusal's code. */
  async function reserve(s: Sale, who: Actor, promoCode: string | undefined, quantities: number[] = [1]) {
    const r = await bookings.reserveBooking(who, crypto.randomUUID(), {
      campaignId: s.campaign.id,
      items: quantities
        .map((quantity, n) => ({ ticketTypeId: s.types[n]!.id, quantity }))
        .filter((i) => i.quantity > 0),
      issuance: 'SINGLE',
      ...(promoCode ? { promoCode } : {}),
    });
    return r.status === 201
      ? { booking: r.body as Body }
      : { refused: (r.body as { error: { code: string } }).error.code };
  }
  const usesOf = async (id: string) =>
    (await platform.prisma.promoCode.findUniqueOrThrow({ where: { id } })).uses;
  const refusal = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (err) {
      return (err as AppError).code;
    }
    return 'none';
  };

  it('when 100 buyers use a 10-use code at once, then exactly 10 bookings get the discount and the rest are refused', async () => {
    const s = await sale({ types: [{ priceMinor: 10_000, capacity: 500 }] });
    const c = await code(s, { percentOff: 20, maxUses: 10 });
    const results = await Promise.all(
      Array.from({ length: 100 }, () => reserve(s, actor(), c.code.toLowerCase())),
    );
    const ok = results.filter((r) => r.booking).map((r) => r.booking!);
    expect(ok).toHaveLength(10);
    for (const b of ok)
      expect(b).toMatchObject({ totalMinor: 8_000, discountMinor: 2_000, promoCode: c.code });
    expect(results.filter((r) => r.refused === 'PROMO_CODE_USED_UP')).toHaveLength(90);
    expect(await usesOf(c.id)).toBe(10);
    const stored = await platform.prisma.booking.findMany({ where: { promoCodeId: c.id } });
    expect(stored).toHaveLength(10);
    expect(await platform.prisma.promoCodeUse.count({ where: { promoCodeId: c.id, status: 'HELD' } })).toBe(
      10,
    );
    expect((await getCounters(platform.prisma, s.campaign.id))[0]).toMatchObject({ reserved: 10 });
    expect(
      await platform.prisma.outboxMessage.count({
        where: { eventName: 'promo.used', payload: { path: ['payload', 'promoCodeId'], equals: c.id } },
      }),
    ).toBe(10);
    await expectInventoryInvariant(platform.prisma, [s.campaign.id]);
  });

  it('when a buyer has used a code as often as allowed, then the next booking with it is refused, also in parallel', async () => {
    const s = await sale({ types: [{ priceMinor: 10_000, capacity: 100 }] });
    const c = await code(s, { maxUsesPerBuyer: 2 });
    const buyer = actor();
    const parallel = await Promise.all(Array.from({ length: 6 }, () => reserve(s, buyer, c.code)));
    expect(parallel.filter((r) => r.booking)).toHaveLength(2);
    expect(parallel.filter((r) => r.refused === 'PROMO_CODE_BUYER_LIMIT')).toHaveLength(4);
    // Another buyer is not affected.
    expect((await reserve(s, actor(), c.code)).booking).toMatchObject({ discountMinor: 1_000 });
    // Without the code the same buyer can still book.
    expect((await reserve(s, buyer, undefined)).booking).toMatchObject({
      discountMinor: 0,
      totalMinor: 10_000,
    });
  });

  it('when a code is limited to some ticket types, then only their lines are discounted, and a booking of others is refused', async () => {
    const s = await sale({
      types: [
        { priceMinor: 10_000, capacity: 50, name: 'VIP' },
        { priceMinor: 3_000, capacity: 50, name: 'Regular' },
      ],
    });
    const c = await code(s, { percentOff: 50, ticketTypeIds: [s.types[0]!.id] });
    const both = (await reserve(s, actor(), c.code, [2, 3])).booking!;
    expect(both).toMatchObject({ subtotalMinor: 29_000, discountMinor: 10_000, totalMinor: 19_000 });
    const line = (id: string) => both.items.find((i) => i.ticketTypeId === id)!;
    expect(line(s.types[0]!.id).discountMinor).toBe(10_000);
    expect(line(s.types[1]!.id).discountMinor).toBe(0);
    expect((await reserve(s, actor(), c.code, [0, 2])).refused).toBe('PROMO_CODE_NOT_APPLICABLE');

    // A fixed amount larger than the eligible lines takes them to zero, never below.
    const fixed = await code(s, {
      kind: 'FIXED',
      percentOff: undefined,
      amountOffMinor: 1_000_000,
      ticketTypeIds: [s.types[1]!.id],
    });
    expect((await reserve(s, actor(), fixed.code, [1, 1])).booking).toMatchObject({
      discountMinor: 3_000,
      totalMinor: 10_000,
    });
  });

  it('when a code is used outside its validity window, then it is refused before and after, and accepted inside', async () => {
    const s = await sale({ types: [{ priceMinor: 10_000, capacity: 50 }] });
    const c = await code(s, {
      validFrom: new Date('2027-03-02T00:00:00Z'),
      validUntil: new Date('2027-03-03T00:00:00Z'),
    });
    expect((await reserve(s, actor(), c.code)).refused).toBe('PROMO_CODE_NOT_STARTED');
    clock.set('2027-03-02T12:00:00Z');
    expect((await reserve(s, actor(), c.code)).booking).toMatchObject({ discountMinor: 1_000 });
    clock.set('2027-03-03T00:00:00Z');
    expect((await reserve(s, actor(), c.code)).refused).toBe('PROMO_CODE_EXPIRED');
    expect((await reserve(s, actor(), 'NOSUCHCODE')).refused).toBe('PROMO_CODE_INVALID');
    await promotions.setPromoCodeActive(s.seller, s.campaign.id, c.id, false);
    clock.set('2027-03-02T12:00:00Z');
    expect((await reserve(s, actor(), c.code)).refused).toBe('PROMO_CODE_INVALID');
  });

  it('when a booking with a code is cancelled, expires or is refunded, then its use comes back (once) and someone else can use it', async () => {
    const s = await sale({ types: [{ priceMinor: 10_000, capacity: 50 }] });
    const c = await code(s, { maxUses: 1 });

    // Cancelled by its buyer.
    const first = actor();
    const a = (await reserve(s, first, c.code)).booking!;
    expect(await usesOf(c.id)).toBe(1);
    expect((await reserve(s, actor(), c.code)).refused).toBe('PROMO_CODE_USED_UP');
    await bookings.cancelBooking(first, a.id);
    await bookings.cancelBooking(first, a.id);
    expect(await usesOf(c.id)).toBe(0);

    // Expired by the scheduler.
    const b = (await reserve(s, actor(), c.code)).booking!;
    expect(await usesOf(c.id)).toBe(1);
    clock.advance(16 * 60_000);
    await bookings.expireDueBookings();
    await bookings.expireDueBookings();
    expect((await bookings.getBooking(b.id))!.status).toBe('EXPIRED');
    expect(await usesOf(c.id)).toBe(0);

    // Paid, then refunded.
    const d = (await reserve(s, actor(), c.code)).booking!;
    expect((await bookings.confirmBooking(undefined, d.id, 'pay-1')).outcome).toBe('CONFIRMED');
    expect(await platform.prisma.promoCodeUse.findUnique({ where: { bookingId: d.id } })).toMatchObject({
      status: 'CONFIRMED',
      totalMinor: 9_000n,
    });
    const stats = await promotions.listPromoCodes(s.seller, s.campaign.id, { limit: 10, offset: 0 });
    expect(stats.items[0]).toMatchObject({
      uses: 1,
      confirmedBookings: 1,
      revenueMinor: 9_000,
      discountMinor: 1_000,
    });
    await bookings.refundBooking(undefined, d.id);
    await bookings.refundBooking(undefined, d.id);
    expect(await usesOf(c.id)).toBe(0);
    expect((await reserve(s, actor(), c.code)).booking).toBeDefined();
    await expectInventoryInvariant(platform.prisma, [s.campaign.id]);
  });

  it('when a booking with a code is paid after its hold lapsed, then it keeps its price and takes its use again', async () => {
    const s = await sale({ types: [{ priceMinor: 10_000, capacity: 50 }] });
    const c = await code(s, { maxUses: 1 });
    const b = (await reserve(s, actor(), c.code)).booking!;
    clock.advance(16 * 60_000);
    await bookings.expireDueBookings();
    expect(await usesOf(c.id)).toBe(0);
    const late = await bookings.confirmBooking(undefined, b.id, 'late-pay');
    expect(late).toMatchObject({ outcome: 'CONFIRMED', late: true, booking: { totalMinor: 9_000 } });
    expect(await usesOf(c.id)).toBe(1);
    expect(await platform.prisma.promoCodeUse.findUnique({ where: { bookingId: b.id } })).toMatchObject({
      status: 'CONFIRMED',
    });
    await expectInventoryInvariant(platform.prisma, [s.campaign.id]);
  });

  it('when a 100 % code is used, then the booking is free: CONFIRMED at once, sold, booking.confirmed emitted', async () => {
    const s = await sale({ types: [{ priceMinor: 25_000, capacity: 10 }] });
    const c = await code(s, { percentOff: 100 });
    const b = (await reserve(s, actor(), c.code, [2])).booking!;
    expect(b).toMatchObject({ status: 'CONFIRMED', totalMinor: 0, discountMinor: 50_000 });
    expect((await getCounters(platform.prisma, s.campaign.id))[0]).toMatchObject({ sold: 2, reserved: 0 });
    const events = await platform.prisma.outboxMessage.findMany({
      where: { payload: { path: ['payload', 'bookingId'], equals: b.id } },
    });
    expect(events.map((e) => e.eventName).sort()).toEqual([
      'booking.confirmed',
      'booking.reserved',
      'promo.used',
    ]);
    expect(await platform.prisma.promoCodeUse.findUnique({ where: { bookingId: b.id } })).toMatchObject({
      status: 'CONFIRMED',
    });
    // Analytics' revenue is net of the discount: a free booking adds nothing.
    const stats = await bookings.getCampaignSalesStats(s.campaign.id, 'Africa/Lagos');
    expect(stats.byTicketType[0]).toMatchObject({ tickets: 2, revenueMinor: 0 });
  });

  it('when a code unlocks a hidden type, then the type can be booked with the code and not without', async () => {
    const s = await sale({
      types: [
        { priceMinor: 10_000, capacity: 10 },
        { priceMinor: 40_000, capacity: 10, hidden: true, name: 'Backstage' },
      ],
    });
    const c = await code(s, { percentOff: 0, unlocksTicketTypeIds: [s.types[1]!.id] });
    expect((await reserve(s, actor(), undefined, [0, 1])).refused).toBe('TICKET_TYPE_UNAVAILABLE');
    expect((await reserve(s, actor(), c.code, [0, 1])).booking).toMatchObject({
      totalMinor: 40_000,
      discountMinor: 0,
    });
  });

  it('when a seller generates a batch, then N distinct single-use codes exist; others cannot manage them', async () => {
    const s = await sale({ types: [{ priceMinor: 10_000, capacity: 10 }] });
    const batch = await promotions.generatePromoCodes(s.seller, s.campaign.id, {
      count: 25,
      prefix: 'vip-',
      kind: 'FIXED',
      amountOffMinor: 2_500,
    });
    expect(batch.codes).toHaveLength(25);
    expect(new Set(batch.codes.map((c) => c.code)).size).toBe(25);
    for (const c of batch.codes)
      expect(c).toMatchObject({ maxUses: 1, maxUsesPerBuyer: 1, batchId: batch.batchId });
    expect(batch.codes[0]!.code).toMatch(/^VIP-[A-Z2-9]{10}$/);
    const used = (await reserve(s, actor(), batch.codes[0]!.code)).booking!;
    expect(used.totalMinor).toBe(7_500);
    expect((await reserve(s, actor(), batch.codes[0]!.code)).refused).toBe('PROMO_CODE_USED_UP');

    expect(
      await refusal(
        promotions.listPromoCodes(actor(['CUSTOMER', 'SELLER']), s.campaign.id, { limit: 1, offset: 0 }),
      ),
    ).toBe('CAMPAIGN_NOT_FOUND');
    expect(
      await refusal(
        promotions.createPromoCode(s.seller, s.campaign.id, {
          code: batch.codes[1]!.code,
          kind: 'PERCENT',
          percentOff: 5,
        }),
      ),
    ).toBe('PROMO_CODE_EXISTS');
  });

  it('when a discount is shared over lines, then the shares sum to it and none passes its line', () => {
    expect(shareOut(8, [3, 3, 3])).toEqual([3, 3, 2]);
    expect(shareOut(7, [1, 100])).toEqual([0, 7]);
    expect(shareOut(101, [1, 100])).toEqual([1, 100]);
    expect(shareOut(0, [5, 5])).toEqual([0, 0]);
  });
});
