import crypto from 'node:crypto';
import { createModules } from '../../src/modules/container';
import { fixedClock } from '../../src/shared/clock';
import { makeSeller, signIn, startFreshAuthApp, type AuthTestEnv, type TestSession } from '../support/auth';
import { sellerActor } from '../support/factories';
import { expectInventoryInvariant } from '../support/inventory-invariant';
import { createSeatedSale, type SeatedSale } from '../support/sale';

type Body = {
  id: string;
  status: string;
  expiresAt: string;
  createdAt: string;
  seats?: Array<{ seatId: string }>;
  error?: { code: string; message: string };
};

const MIN = 60_000;

/**
 * POST /api/v1/bookings/:id/extend through the real sign-in: once per booking, never past
 * BOOKING_HOLD_MAX_MINUTES (here the 20-minute extension would overshoot the 30-minute maximum
 * of a 15-minute hold, so it stops at the maximum), only the buyer's own booking, never an ended
 * hold. Seats and counted stock stay held together and expire at the new time, with the
 * inventory invariant (seats = counters) after each step.
 */
describe('extend hold over HTTP', () => {
  const clock = fixedClock(new Date());
  let env: AuthTestEnv;
  let sale: SeatedSale;
  let buyer: TestSession;
  let stranger: TestSession;

  beforeAll(async () => {
    env = await startFreshAuthApp({
      clock,
      overrides: {
        BOOKING_HOLD_MINUTES: '15',
        BOOKING_HOLD_EXTENSION_MINUTES: '20',
        BOOKING_HOLD_MAX_MINUTES: '30',
      },
    });
    const seller = await makeSeller(env, 'extend-seller@example.test');
    sale = await createSeatedSale(env.platform, {
      seller: sellerActor({ userId: seller.userId, email: seller.email }),
      sections: [{ name: 'Stalls', rows: ['A', 'C'], seats: [1, 10], zone: 'STALLS' }],
      gaTypes: [{ priceMinor: 100_000, capacity: 50 }],
    });
    buyer = await signIn(env, 'extend-buyer@example.test');
    stranger = await signIn(env, 'extend-stranger@example.test');
  }, 90_000);
  afterAll(async () => {
    if (env) await expectInventoryInvariant(env.platform.prisma);
    await env?.close();
  });

  // createSeatedSale: the zone's seated type first, then the standing one.
  const seated = () => sale.types[0]!;
  const standing = () => sale.types[1]!;
  const seatId = (row: string, seat: string) =>
    sale.seats.find((s) => s.rowLabel === row && s.seatLabel === seat)!.id;

  async function reserve(seats: string[]): Promise<Body> {
    const res = await buyer
      .post('/api/v1/bookings')
      .set('Idempotency-Key', crypto.randomUUID())
      .send({
        campaignId: sale.campaign.id,
        issuance: 'SEPARATE',
        items: [
          { ticketTypeId: seated().id, seatIds: seats },
          { ticketTypeId: standing().id, quantity: 2 },
        ],
      });
    expect(res.status).toBe(201);
    return res.body as Body;
  }
  const counters = async () =>
    (
      await env.platform.prisma.ticketType.findMany({
        where: { campaignId: sale.campaign.id },
        orderBy: { id: 'asc' },
      })
    ).map((t) => ({ id: t.id, reserved: t.reserved, sold: t.sold }));
  const seatStates = async (ids: string[]) =>
    (await env.platform.prisma.campaignSeat.findMany({ where: { id: { in: ids } } })).map((s) => s.status);
  const expire = () => createModules(env.platform).bookings.expireDueBookings();

  it('when the buyer extends a hold, then it lasts until the maximum, once only, with its seats and stock still held, and expires at the new time', async () => {
    const ids = [seatId('A', '1'), seatId('A', '2')];
    const b = await reserve(ids);
    const made = new Date(b.createdAt).getTime();
    expect(new Date(b.expiresAt).getTime()).toBe(made + 15 * MIN);
    const before = await counters();

    clock.advance(10 * MIN);
    const extended = await buyer.post(`/api/v1/bookings/${b.id}/extend`);
    expect(extended.status).toBe(200);
    // 15 + 20 would be 35 minutes: the maximum (30 after the booking was made) wins.
    expect(new Date((extended.body as Body).expiresAt).getTime()).toBe(made + 30 * MIN);
    expect((extended.body as Body).seats!.map((s) => s.seatId).sort()).toEqual([...ids].sort());
    expect(await counters()).toEqual(before);
    await expectInventoryInvariant(env.platform.prisma, [sale.campaign.id]);

    const again = await buyer.post(`/api/v1/bookings/${b.id}/extend`);
    expect(again.status).toBe(422);
    expect((again.body as Body).error!.code).toBe('HOLD_NOT_EXTENDABLE');
    expect((again.body as Body).error!.message).toMatch(/already extended once/);
    const stored = await env.platform.prisma.booking.findUniqueOrThrow({ where: { id: b.id } });
    expect(stored.expiresAt.getTime()).toBe(made + 30 * MIN);

    // Past the first expiry: the scheduler leaves it alone; past the new one, it expires.
    clock.set(new Date(made + 20 * MIN));
    await expire();
    expect((await env.platform.prisma.booking.findUniqueOrThrow({ where: { id: b.id } })).status).toBe(
      'PENDING',
    );
    expect(await seatStates(ids)).toEqual(['HELD', 'HELD']);
    clock.set(new Date(made + 30 * MIN + 1000));
    await expire();
    expect((await env.platform.prisma.booking.findUniqueOrThrow({ where: { id: b.id } })).status).toBe(
      'EXPIRED',
    );
    expect(await seatStates(ids)).toEqual(['AVAILABLE', 'AVAILABLE']);
    await expectInventoryInvariant(env.platform.prisma, [sale.campaign.id]);
  });

  it("when someone else asks to extend a buyer's hold, then it is 404 and nothing moves; signed out, 401", async () => {
    const b = await reserve([seatId('B', '1')]);
    const res = await stranger.post(`/api/v1/bookings/${b.id}/extend`);
    expect(res.status).toBe(404);
    expect((res.body as Body).error!.code).toBe('BOOKING_NOT_FOUND');
    const stored = await env.platform.prisma.booking.findUniqueOrThrow({ where: { id: b.id } });
    expect({ expiresAt: stored.expiresAt.toISOString(), extended: stored.holdExtendedAt }).toEqual({
      expiresAt: b.expiresAt,
      extended: null,
    });
    const anonymous = await fetch(`${env.url}/api/v1/bookings/${b.id}/extend`, {
      method: 'POST',
      headers: { Accept: 'application/json' },
    });
    expect([401, 403]).toContain(anonymous.status);
    // The buyer can still extend it: the stranger's try used nothing up.
    expect((await buyer.post(`/api/v1/bookings/${b.id}/extend`)).status).toBe(200);
  });

  it('when a hold has run out, then extending it is refused, before and after the scheduler expires it', async () => {
    const ids = [seatId('C', '1')];
    const b = await reserve(ids);
    clock.set(new Date(new Date(b.expiresAt).getTime() + 1000));
    const late = await buyer.post(`/api/v1/bookings/${b.id}/extend`);
    expect(late.status).toBe(422);
    expect((late.body as Body).error!.code).toBe('HOLD_NOT_EXTENDABLE');
    expect((late.body as Body).error!.message).toMatch(/ended/);
    await expire();
    const expired = await buyer.post(`/api/v1/bookings/${b.id}/extend`);
    expect(expired.status).toBe(422);
    expect((expired.body as Body).error!.code).toBe('HOLD_NOT_EXTENDABLE');
    expect((await env.platform.prisma.booking.findUniqueOrThrow({ where: { id: b.id } })).status).toBe(
      'EXPIRED',
    );
    expect(await seatStates(ids)).toEqual(['AVAILABLE']);
    await expectInventoryInvariant(env.platform.prisma, [sale.campaign.id]);
  });

  it('when ids are hostile, then the answer is a 4xx with a code, never a 5xx', async () => {
    for (const id of ['not-a-uuid', '%00', '1'.repeat(500)]) {
      const res = await buyer.post(`/api/v1/bookings/${id}/extend`);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect((res.body as Body).error!.code).toEqual(expect.any(String));
    }
  });
});
