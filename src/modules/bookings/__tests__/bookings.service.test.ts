import crypto from 'node:crypto';
import { fixedClock } from '../../../shared/clock';
import type { Platform } from '../../../shared/platform';
import { actor, adminActor, sellerActor } from '../../../../test/support/factories';
import { expectInventoryInvariant, inventoryViolations } from '../../../../test/support/inventory-invariant';
import { backendPid, waitUntilBlockedBy } from '../../../../test/support/locks';
import { createTestPlatform, resetDatabase } from '../../../../test/support/platform';
import { createSale, type Sale } from '../../../../test/support/sale';
import { getCounters } from '../../campaigns';
import { createModules } from '../../container';
import { REFERENCE_ALPHABET } from '../bookings.reference';
import type { BookingsService } from '../bookings.service';
import type { ReserveInput } from '../bookings.types';

type Body = {
  id: string;
  reference: string;
  status: string;
  totalMinor: number;
  currency: string;
  expiresAt: string;
  items: Array<{ ticketTypeId: string; quantity: number; unitPriceMinor: number }>;
};
type ErrorBody = { error: { code: string; message: string; details: Array<Record<string, unknown>> } };

describe('bookings service', () => {
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

  const sale = (opts: Parameters<typeof createSale>[1] = {}) => createSale({ ...platform, clock }, opts);
  const order = (s: Sale, quantities: number[], extra: Partial<ReserveInput> = {}): ReserveInput => ({
    campaignId: s.campaign.id,
    items: quantities
      .map((quantity, n) => ({ ticketTypeId: s.types[n]!.id, quantity }))
      .filter((i) => i.quantity > 0),
    issuance: 'SINGLE',
    ...extra,
  });
  const key = () => crypto.randomUUID();
  const reserve = (who: ReturnType<typeof actor>, input: ReserveInput, k: string = key()) =>
    service.reserveBooking(who, k, input);
  const counters = async (s: Sale) =>
    Object.fromEntries((await getCounters(platform.prisma, s.campaign.id)).map((c) => [c.ticketTypeId, c]));
  const outbox = (bookingId: string) =>
    platform.prisma.outboxMessage.findMany({
      where: { payload: { path: ['payload', 'bookingId'], equals: bookingId } },
      orderBy: { createdAt: 'asc' },
    });

  it('when a customer reserves, then a PENDING booking holds the stock at the prices of the moment and booking.reserved is in the outbox', async () => {
    const s = await sale({
      types: [
        { priceMinor: 250_000, capacity: 10 },
        { priceMinor: 100_000, capacity: 5, entriesPerTicket: 2 },
      ],
    });
    const buyer = actor();
    const result = await reserve(buyer, order(s, [2, 3], { issuance: 'SEPARATE' }));
    expect(result).toMatchObject({ status: 201, replayed: false });
    const body = result.body as Body;
    expect(body).toMatchObject({
      status: 'PENDING',
      totalMinor: 800_000,
      currency: 'NGN',
      expiresAt: '2027-03-01T10:15:00.000Z',
    });
    expect(body.reference).toMatch(new RegExp(`^[${REFERENCE_ALPHABET}]{4}-[${REFERENCE_ALPHABET}]{4}$`));
    expect(body.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          ticketTypeId: s.types[0]!.id,
          quantity: 2,
          unitPriceMinor: 250_000,
          lineTotalMinor: 500_000,
          entriesPerTicket: 1,
        }),
        expect.objectContaining({
          ticketTypeId: s.types[1]!.id,
          quantity: 3,
          unitPriceMinor: 100_000,
          lineTotalMinor: 300_000,
          entriesPerTicket: 2,
        }),
      ]),
    );
    const c = await counters(s);
    expect(c[s.types[0]!.id]).toMatchObject({ reserved: 2, sold: 0, available: 8 });
    expect(c[s.types[1]!.id]).toMatchObject({ reserved: 3, sold: 0, available: 2 });
    const events = await outbox(body.id);
    expect(events.map((e) => e.eventName)).toEqual(['booking.reserved']);
    expect((events[0]!.payload as { payload: Record<string, unknown> }).payload).toMatchObject({
      campaignId: s.campaign.id,
      userId: buyer.userId,
      sellerId: s.seller.userId,
      ticketTypeIds: expect.arrayContaining([s.types[0]!.id, s.types[1]!.id]),
    });

    // A later price change does not touch the booking.
    await createModules({ ...platform, clock }).campaigns.updateTicketType(
      s.seller,
      s.campaign.id,
      s.types[0]!.id,
      { priceMinor: 999_999 },
    );
    expect(
      (await service.getBooking(body.id))!.items.find((i) => i.ticketTypeId === s.types[0]!.id)!
        .unitPriceMinor,
    ).toBe(250_000);
    await expectInventoryInvariant(platform.prisma, [s.campaign.id]);
  });

  it('when the booking is free, then it is CONFIRMED at once, the tickets count as sold and booking.confirmed is emitted', async () => {
    const s = await sale({ types: [{ priceMinor: 0, capacity: 50 }] });
    const body = (await reserve(actor(), order(s, [3]))).body as Body;
    expect(body).toMatchObject({ status: 'CONFIRMED', totalMinor: 0 });
    expect((await counters(s))[s.types[0]!.id]).toMatchObject({ reserved: 0, sold: 3 });
    expect((await outbox(body.id)).map((e) => e.eventName)).toEqual([
      'booking.reserved',
      'booking.confirmed',
    ]);
    await expectInventoryInvariant(platform.prisma, [s.campaign.id]);
  });

  it('when there are not enough tickets, then SOLD_OUT names the type and what is left, and nothing is written', async () => {
    const s = await sale({
      types: [
        { capacity: 10, name: 'VIP' },
        { capacity: 3, name: 'Balcony' },
      ],
    });
    await reserve(actor(), order(s, [0, 2]));
    const before = await platform.prisma.booking.count();
    const outboxBefore = await platform.prisma.outboxMessage.count();
    const result = await reserve(actor(), order(s, [4, 2]));
    expect(result.status).toBe(409);
    expect((result.body as ErrorBody).error).toMatchObject({
      code: 'SOLD_OUT',
      message: 'Only 1 Balcony ticket left',
      details: [expect.objectContaining({ ticketTypeId: s.types[1]!.id, name: 'Balcony', available: 1 })],
    });
    expect(await platform.prisma.booking.count()).toBe(before);
    expect(await platform.prisma.bookingItem.count({ where: { ticketTypeId: s.types[0]!.id } })).toBe(0);
    expect(await platform.prisma.outboxMessage.count()).toBe(outboxBefore);
    // VIP was touched first (id order may put it either side): its counter must be back to 0.
    const c = await counters(s);
    expect(c[s.types[0]!.id]).toMatchObject({ reserved: 0, available: 10 });
    expect(c[s.types[1]!.id]).toMatchObject({ reserved: 2, available: 1 });
  });

  it('when the stock goes between the check and the conditional UPDATE, then SOLD_OUT and the other type it already took is given back', async () => {
    const s = await sale({ types: [{ capacity: 10 }, { capacity: 4 }] });
    // The type locked by id order second is the one that runs out.
    const [first, second] = [...s.types].sort((a, b) => (a.id < b.id ? -1 : 1));
    let release!: () => void;
    let locked!: (pid: number) => void;
    const isLocked = new Promise<number>((r) => (locked = r));
    const blocker = platform.prisma.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT id FROM ticket_types WHERE id = ${second!.id}::uuid FOR UPDATE`;
      locked(await backendPid(tx));
      await new Promise<void>((r) => (release = r));
      // Someone else takes every ticket of the second type and commits.
      await tx.$executeRaw`UPDATE ticket_types SET reserved = capacity WHERE id = ${second!.id}::uuid`;
    });
    const blockerPid = await isLocked;
    const buyer = actor();
    const pendingReservation = reserve(buyer, {
      campaignId: s.campaign.id,
      items: [
        { ticketTypeId: first!.id, quantity: 3 },
        { ticketTypeId: second!.id, quantity: 2 },
      ],
      issuance: 'SINGLE',
    });
    // The reservation has passed its checks, taken the first type and queued on the second.
    await waitUntilBlockedBy(platform.prisma, blockerPid);
    release();
    await blocker;
    const result = await pendingReservation;
    expect(result.status).toBe(409);
    expect((result.body as ErrorBody).error.details[0]).toMatchObject({
      ticketTypeId: second!.id,
      available: 0,
    });
    const c = await counters(s);
    expect(c[first!.id]).toMatchObject({ reserved: 0, available: first!.capacity });
    expect(await platform.prisma.booking.count({ where: { userId: buyer.userId } })).toBe(0);
    expect(
      await platform.prisma.outboxMessage.count({
        where: { payload: { path: ['payload', 'userId'], equals: buyer.userId } },
      }),
    ).toBe(0);
    // Undo the blocker's direct write so the invariant holds for the rest of the suite.
    await platform.prisma.$executeRaw`UPDATE ticket_types SET reserved = 0 WHERE id = ${second!.id}::uuid`;
  });

  it('when the campaign or a ticket type is not on sale, then the reservation is refused with the rule broken', async () => {
    const campaigns = createModules({ ...platform, clock }).campaigns;
    const paused = await sale();
    await campaigns.pauseCampaign(paused.seller, paused.campaign.id);
    const code = async (input: ReserveInput, who = actor()) =>
      ((await reserve(who, input)).body as ErrorBody).error?.code;
    expect(await code(order(paused, [1]))).toBe('CAMPAIGN_NOT_ON_SALE');

    const later = await sale({ campaign: { saleStartsAt: new Date(clock.now().getTime() + 86_400_000) } });
    expect(await code(order(later, [1]))).toBe('SALE_NOT_STARTED');

    const typeWindow = await sale({
      types: [
        {
          saleEndsAt: new Date(clock.now().getTime() - 1000),
          saleStartsAt: new Date(clock.now().getTime() - 86_400_000),
        },
      ],
    });
    expect(await code(order(typeWindow, [1]))).toBe('SALE_ENDED');

    const limits = await sale({ types: [{ minPerOrder: 2, maxPerOrder: 4 }] });
    expect(await code(order(limits, [1]))).toBe('QUANTITY_OUT_OF_RANGE');
    expect(await code(order(limits, [5]))).toBe('QUANTITY_OUT_OF_RANGE');
    expect((await reserve(actor(), order(limits, [4]))).status).toBe(201);

    const other = await sale();
    expect(
      await code({ ...order(limits, [2]), items: [{ ticketTypeId: other.types[0]!.id, quantity: 1 }] }),
    ).toBe('TICKET_TYPE_UNAVAILABLE');
    expect(await code({ ...order(limits, [2]), campaignId: crypto.randomUUID() })).toBe('CAMPAIGN_NOT_FOUND');
    await expectInventoryInvariant(platform.prisma);
  });

  it('when a type is hidden, then only a request carrying its access code can book it', async () => {
    const s = await sale({ types: [{}, { hidden: true, name: 'Friends' }] });
    const accessCode = s.types[1]!.accessCode!;
    expect(accessCode).toBeTruthy();
    const without = await reserve(actor(), order(s, [0, 1]));
    expect(without.status).toBe(422);
    expect((without.body as ErrorBody).error.code).toBe('TICKET_TYPE_UNAVAILABLE');
    expect((await reserve(actor(), order(s, [0, 1], { accessCode: 'wrong' }))).status).toBe(422);
    expect((await reserve(actor(), order(s, [0, 1], { accessCode }))).status).toBe(201);
  });

  it('when one customer sends parallel requests past the per-customer maximum, then only what fits is held', async () => {
    const s = await sale({ campaign: { maxTicketsPerCustomer: 4 }, types: [{ capacity: 100 }] });
    const buyer = actor();
    const results = await Promise.all(Array.from({ length: 10 }, () => reserve(buyer, order(s, [2]))));
    expect(results.filter((r) => r.status === 201)).toHaveLength(2);
    const refused = results.filter((r) => r.status !== 201);
    expect(refused).toHaveLength(8);
    for (const r of refused)
      expect((r.body as ErrorBody).error).toMatchObject({
        code: 'CUSTOMER_LIMIT_REACHED',
        details: [expect.objectContaining({ limit: 4, held: 4 })],
      });
    expect((await counters(s))[s.types[0]!.id]).toMatchObject({ reserved: 4 });
    // Another customer is not affected; a cancelled hold frees the customer's allowance.
    expect((await reserve(actor(), order(s, [4]))).status).toBe(201);
    const mine = await service.listMyBookings(buyer, 10);
    await service.cancelBooking(buyer, mine[0]!.id);
    expect((await reserve(buyer, order(s, [2]))).status).toBe(201);
    await expectInventoryInvariant(platform.prisma, [s.campaign.id]);
  });

  it('when 40 customers race for the last 5 tickets, then exactly 5 hold one each and the others get SOLD_OUT', async () => {
    const s = await sale({ types: [{ capacity: 5 }] });
    const results = await Promise.all(Array.from({ length: 40 }, () => reserve(actor(), order(s, [1]))));
    expect(results.filter((r) => r.status === 201)).toHaveLength(5);
    expect(
      results.filter((r) => r.status === 409 && (r.body as ErrorBody).error.code === 'SOLD_OUT'),
    ).toHaveLength(35);
    expect((await counters(s))[s.types[0]!.id]).toMatchObject({ reserved: 5, available: 0 });
    await expectInventoryInvariant(platform.prisma, [s.campaign.id]);
  });

  it('when one request of a group transaction fails unexpectedly, then the others still get their bookings and only it fails', async () => {
    const s = await sale({ types: [{ capacity: 50 }] });
    // PostgreSQL refuses a NUL byte in text: this key makes the group's first statement fail.
    const results = await Promise.allSettled([
      reserve(actor(), order(s, [1])),
      ...Array.from({ length: 6 }, (_, n) =>
        reserve(actor(), order(s, [1]), n === 3 ? 'bad\u0000key' : key()),
      ),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled' && r.value.status === 201)).toHaveLength(6);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
    expect((await counters(s))[s.types[0]!.id]).toMatchObject({ reserved: 6 });
    await expectInventoryInvariant(platform.prisma, [s.campaign.id]);
  });

  it('when requests arrive together, then they share transactions: far fewer transactions than bookings', async () => {
    const s = await sale({ types: [{ capacity: 500 }] });
    const results = await Promise.all(Array.from({ length: 120 }, () => reserve(actor(), order(s, [1]))));
    expect(results.every((r) => r.status === 201)).toBe(true);
    // Rows written by one transaction share its id (xmin). The first request starts a batch
    // alone; the 119 that queued behind it go in batches of at most BOOKING_BATCH_MAX (100).
    const rows = await platform.prisma.$queryRaw<Array<{ n: number }>>`
      SELECT count(DISTINCT xmin::text)::int AS n FROM bookings WHERE campaign_id = ${s.campaign.id}::uuid`;
    expect(rows[0]!.n).toBe(3);
    await expectInventoryInvariant(platform.prisma, [s.campaign.id]);
  });

  it('when a batch holds the sales lock, then the next batch is already waiting for it in PostgreSQL, not in this process', async () => {
    const s = await sale({ types: [{ capacity: 10 }] });
    const type = s.types[0]!;
    let release!: () => void;
    let locked!: (pid: number) => void;
    const isLocked = new Promise<number>((r) => (locked = r));
    // Holds the type's row: the first batch takes the sales lock, then waits here on its stock move.
    const blocker = platform.prisma.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT id FROM ticket_types WHERE id = ${type.id}::uuid FOR UPDATE`;
      locked(await backendPid(tx));
      await new Promise<void>((r) => (release = r));
    });
    const blockerPid = await isLocked;
    // Overlapping from the first waiting request (the default waits for 16).
    const eager = createModules({
      ...platform,
      clock,
      config: { ...platform.config, BOOKING_BATCH_OVERLAP_MIN: 1 },
    }).bookings;
    const first = eager.reserveBooking(actor(), key(), order(s, [1]));
    await waitUntilBlockedBy(platform.prisma, blockerPid);
    const [holder] = await platform.prisma.$queryRaw<Array<{ pid: number }>>`
      SELECT pid FROM pg_stat_activity WHERE ${blockerPid}::int = ANY(pg_blocking_pids(pid))`;
    const second = eager.reserveBooking(actor(), key(), order(s, [1]));
    // The second batch's BEGIN and lock request went out while the first still runs.
    await waitUntilBlockedBy(platform.prisma, holder!.pid);
    release();
    await blocker;
    const results = await Promise.all([first, second]);
    expect(results.map((r) => r.status)).toEqual([201, 201]);
    const rows = await platform.prisma.$queryRaw<Array<{ n: number }>>`
      SELECT count(DISTINCT xmin::text)::int AS n FROM bookings WHERE campaign_id = ${s.campaign.id}::uuid`;
    expect(rows[0]!.n).toBe(2);
    expect((await counters(s))[type.id]).toMatchObject({ reserved: 2, available: 8 });
    await expectInventoryInvariant(platform.prisma, [s.campaign.id]);
  });

  describe('idempotency', () => {
    it('when the same key comes back with the same body, then the first response is replayed and nothing new is written', async () => {
      const s = await sale({ types: [{ capacity: 10 }] });
      const buyer = actor();
      const k = key();
      const first = await reserve(buyer, order(s, [2]), k);
      // Item order is not part of the request's meaning.
      const again = await reserve(buyer, order(s, [2]), k);
      expect(again).toEqual({ ...first, replayed: true });
      expect(await platform.prisma.booking.count({ where: { userId: buyer.userId } })).toBe(1);
      expect((await counters(s))[s.types[0]!.id]).toMatchObject({ reserved: 2 });
    });

    it('when the same key comes with a different body, then IDEMPOTENCY_KEY_REUSED and nothing is written', async () => {
      const s = await sale({ types: [{ capacity: 10 }] });
      const buyer = actor();
      const k = key();
      await reserve(buyer, order(s, [2]), k);
      await expect(reserve(buyer, order(s, [3]), k)).rejects.toMatchObject({
        code: 'IDEMPOTENCY_KEY_REUSED',
        status: 422,
      });
      await expect(reserve(buyer, order(s, [2], { issuance: 'SEPARATE' }), k)).rejects.toMatchObject({
        code: 'IDEMPOTENCY_KEY_REUSED',
      });
      expect(await platform.prisma.booking.count({ where: { userId: buyer.userId } })).toBe(1);
    });

    it('when 20 identical requests with one key arrive in parallel, then exactly one booking is made and all 20 answer it', async () => {
      const s = await sale({ types: [{ capacity: 100 }] });
      const buyer = actor();
      const k = key();
      const results = await Promise.all(Array.from({ length: 20 }, () => reserve(buyer, order(s, [2]), k)));
      expect(new Set(results.map((r) => r.status))).toEqual(new Set([201]));
      expect(new Set(results.map((r) => (r.body as Body).id)).size).toBe(1);
      expect(results.filter((r) => !r.replayed)).toHaveLength(1);
      expect(await platform.prisma.booking.count({ where: { userId: buyer.userId } })).toBe(1);
      expect((await counters(s))[s.types[0]!.id]).toMatchObject({ reserved: 2 });
      expect(
        await platform.prisma.outboxMessage.count({
          where: { payload: { path: ['payload', 'userId'], equals: buyer.userId } },
        }),
      ).toBe(1);
      await expectInventoryInvariant(platform.prisma, [s.campaign.id]);
    });

    it('when a key is used by another customer, then it is theirs: keys are scoped to the user', async () => {
      const s = await sale({ types: [{ capacity: 10 }] });
      const k = key();
      const a = await reserve(actor(), order(s, [1]), k);
      const b = await reserve(actor(), order(s, [1]), k);
      expect(a.status).toBe(201);
      expect(b).toMatchObject({ status: 201, replayed: false });
      expect((a.body as Body).id).not.toBe((b.body as Body).id);
    });

    it('when the first attempt was refused, then the same key answers the same refusal even after stock frees up', async () => {
      const s = await sale({ types: [{ capacity: 1 }] });
      const holder = actor();
      const held = (await reserve(holder, order(s, [1]))).body as Body;
      const buyer = actor();
      const k = key();
      expect((await reserve(buyer, order(s, [1]), k)).status).toBe(409);
      await service.cancelBooking(holder, held.id);
      const again = await reserve(buyer, order(s, [1]), k);
      expect(again).toMatchObject({ status: 409, replayed: true });
      expect((await reserve(buyer, order(s, [1]))).status).toBe(201);
    });

    it('when keys are older than the retention, then the purge job forgets them', async () => {
      const s = await sale({ types: [{ capacity: 10 }] });
      const buyer = actor();
      const k = key();
      const local = fixedClock(clock.now());
      const svc = createModules({ ...platform, clock: local }).bookings;
      await svc.reserveBooking(buyer, k, order(s, [1]));
      local.advance((platform.config.IDEMPOTENCY_KEY_TTL_HOURS + 1) * 3_600_000);
      expect(await svc.purgeIdempotencyKeys()).toBeGreaterThanOrEqual(1);
      expect(await platform.prisma.bookingIdempotencyKey.count({ where: { userId: buyer.userId } })).toBe(0);
    });
  });

  describe('lifecycle', () => {
    async function pending(s: Sale, q = 2, who = actor(), svc = service) {
      const body = (await svc.reserveBooking(who, key(), order(s, [q]))).body as Body;
      expect(body.status).toBe('PENDING');
      return { id: body.id, buyer: who };
    }

    it('when a hold lapses, then the expiry job expires it once, releases the stock and emits booking.expired', async () => {
      const local = fixedClock(clock.now());
      const svc = createModules({ ...platform, clock: local }).bookings;
      const s = await sale({ types: [{ capacity: 10 }] });
      const a = await pending(s, 2, actor(), svc);
      local.advance(10 * 60_000);
      const b = await pending(s, 3, actor(), svc);
      local.advance(6 * 60_000); // a is 16 min old, b 6 min
      // Holds left by earlier tests in this file may be due as well: each must move exactly once.
      const due = await platform.prisma.$queryRaw<Array<{ id: string }>>`
        SELECT id::text FROM bookings WHERE status = 'PENDING' AND expires_at <= ${local.now()}`;
      expect(due.map((r) => r.id)).toContain(a.id);
      expect(due.map((r) => r.id)).not.toContain(b.id);
      const [x, y] = await Promise.all([svc.expireDueBookings(1), svc.expireDueBookings(1)]);
      expect(x + y).toBe(due.length);
      expect((await svc.getBooking(a.id))!.status).toBe('EXPIRED');
      expect((await svc.getBooking(b.id))!.status).toBe('PENDING');
      expect((await counters(s))[s.types[0]!.id]).toMatchObject({ reserved: 3 });
      expect((await outbox(a.id)).map((e) => e.eventName)).toEqual(['booking.reserved', 'booking.expired']);
      expect(await svc.expireDueBookings()).toBe(0);
      await expectInventoryInvariant(platform.prisma, [s.campaign.id]);
    });

    it('when the owner cancels a PENDING booking, then it is CANCELLED, the stock is back and nobody else can touch it', async () => {
      const s = await sale({ types: [{ capacity: 10 }] });
      const { id, buyer } = await pending(s, 4);
      await expect(service.cancelBooking(actor(), id)).rejects.toMatchObject({ code: 'BOOKING_NOT_FOUND' });
      expect((await service.cancelBooking(buyer, id)).status).toBe('CANCELLED');
      expect((await service.cancelBooking(buyer, id)).status).toBe('CANCELLED');
      expect((await counters(s))[s.types[0]!.id]).toMatchObject({ reserved: 0, available: 10 });
      expect((await outbox(id)).map((e) => e.eventName)).toEqual(['booking.reserved', 'booking.cancelled']);
      const paid = await pending(s, 1);
      await service.confirmBooking(undefined, paid.id, 'pay-1');
      await expect(service.cancelBooking(paid.buyer, paid.id)).rejects.toMatchObject({
        code: 'BOOKING_NOT_CANCELLABLE',
      });
    });

    it('when a payment confirms a PENDING booking, then reserved moves to sold, and the same payment again changes nothing', async () => {
      const s = await sale({ types: [{ capacity: 10 }] });
      const { id } = await pending(s, 3);
      const first = await service.confirmBooking(undefined, id, 'flw-tx-1');
      expect(first).toMatchObject({
        outcome: 'CONFIRMED',
        late: false,
        booking: { status: 'CONFIRMED', paymentRef: 'flw-tx-1' },
      });
      expect((await counters(s))[s.types[0]!.id]).toMatchObject({ reserved: 0, sold: 3 });
      expect(await service.confirmBooking(undefined, id, 'flw-tx-1')).toMatchObject({
        outcome: 'ALREADY_CONFIRMED',
      });
      expect(await service.confirmBooking(undefined, id, 'flw-tx-2')).toMatchObject({
        outcome: 'REFUND_REQUIRED',
        reason: 'DUPLICATE_PAYMENT',
      });
      expect((await counters(s))[s.types[0]!.id]).toMatchObject({ reserved: 0, sold: 3 });
      const confirmed = (await outbox(id)).filter((e) => e.eventName === 'booking.confirmed');
      expect(confirmed).toHaveLength(1);
      expect((confirmed[0]!.payload as { payload: Record<string, unknown> }).payload).toMatchObject({
        paymentRef: 'flw-tx-1',
        campaignId: s.campaign.id,
      });
    });

    it("when confirm runs on the payment's transaction and that rolls back, then the booking is still PENDING", async () => {
      const s = await sale({ types: [{ capacity: 10 }] });
      const { id } = await pending(s, 1);
      await expect(
        platform.prisma.$transaction(async (tx) => {
          await service.confirmBooking(tx, id, 'flw-rollback');
          throw new Error('payment write failed');
        }),
      ).rejects.toThrow('payment write failed');
      expect((await service.getBooking(id))!.status).toBe('PENDING');
      expect((await counters(s))[s.types[0]!.id]).toMatchObject({ reserved: 1, sold: 0 });
    });

    it('when a payment lands after expiry and stock remains, then the booking is confirmed straight into sold', async () => {
      const local = fixedClock(clock.now());
      const svc = createModules({ ...platform, clock: local }).bookings;
      const s = await sale({ types: [{ capacity: 10 }] });
      const { id } = await pending(s, 2, actor(), svc);
      local.advance(20 * 60_000);
      await svc.expireDueBookings();
      const r = await svc.confirmBooking(undefined, id, 'late-1');
      expect(r).toMatchObject({ outcome: 'CONFIRMED', late: true, booking: { status: 'CONFIRMED' } });
      expect((await counters(s))[s.types[0]!.id]).toMatchObject({ reserved: 0, sold: 2 });
      expect(await svc.confirmBooking(undefined, id, 'late-1')).toMatchObject({
        outcome: 'ALREADY_CONFIRMED',
      });
      await expectInventoryInvariant(platform.prisma, [s.campaign.id]);
    });

    it('when a payment lands after expiry and the tickets are gone, then REFUND_REQUIRED and nothing changes', async () => {
      const local = fixedClock(clock.now());
      const svc = createModules({ ...platform, clock: local }).bookings;
      const s = await sale({ types: [{ capacity: 3 }, { capacity: 10 }] });
      const body = (await svc.reserveBooking(actor(), key(), order(s, [2, 2]))).body as Body;
      local.advance(20 * 60_000);
      await svc.expireDueBookings();
      await svc.reserveBooking(actor(), key(), order(s, [2]));
      const r = await svc.confirmBooking(undefined, body.id, 'late-2');
      expect(r).toMatchObject({
        outcome: 'REFUND_REQUIRED',
        reason: 'SOLD_OUT',
        booking: { status: 'EXPIRED' },
      });
      expect((await svc.getBooking(body.id))!.status).toBe('EXPIRED');
      const c = await counters(s);
      expect(c[s.types[0]!.id]).toMatchObject({ reserved: 2, sold: 0 });
      expect(c[s.types[1]!.id]).toMatchObject({ reserved: 0, sold: 0 });
      await expectInventoryInvariant(platform.prisma, [s.campaign.id]);
    });

    it('when a confirmed booking is refunded, then it is REFUNDED, its tickets go back on sale and booking.cancelled says so', async () => {
      const s = await sale({ types: [{ capacity: 10 }] });
      const { id } = await pending(s, 2);
      await expect(service.refundBooking(undefined, id)).rejects.toMatchObject({
        code: 'BOOKING_NOT_REFUNDABLE',
      });
      await service.confirmBooking(undefined, id, 'pay-r');
      expect(await service.refundBooking(undefined, id)).toMatchObject({
        outcome: 'REFUNDED',
        booking: { status: 'REFUNDED' },
      });
      expect(await service.refundBooking(undefined, id)).toMatchObject({ outcome: 'ALREADY_REFUNDED' });
      expect((await counters(s))[s.types[0]!.id]).toMatchObject({ reserved: 0, sold: 0, available: 10 });
      const last = (await outbox(id)).pop()!;
      expect(last.eventName).toBe('booking.cancelled');
      expect((last.payload as { payload: Record<string, unknown> }).payload).toMatchObject({
        status: 'REFUNDED',
        previousStatus: 'CONFIRMED',
      });
      expect(await service.confirmBooking(undefined, id, 'pay-r')).toMatchObject({
        outcome: 'REFUND_REQUIRED',
        reason: 'ALREADY_REFUNDED',
      });
      await expectInventoryInvariant(platform.prisma, [s.campaign.id]);
    });

    it('when expiry, confirm and cancel race on the same booking 60 times, then exactly one wins each time and the counters stay exact', async () => {
      const local = fixedClock(clock.now());
      const svc = createModules({ ...platform, clock: local }).bookings;
      const later = fixedClock(new Date(clock.now().getTime() + 16 * 60_000));
      const expirer = createModules({ ...platform, clock: later }).bookings;
      // Small capacity so late confirmations compete for what the others release.
      const s = await sale({ campaign: { maxTicketsPerCustomer: 1000 }, types: [{ capacity: 12 }] });
      const winners: Record<string, number> = {};
      const finals: Record<string, number> = {};
      const paid: string[] = [];
      for (let round = 0; round < 60; round++) {
        // Keep the type (nearly) full: refund the oldest paid bookings until this round's tickets fit, so that
        // the competitor below and a late confirmation fight over what expiry or cancel gives back.
        const q = 1 + (round % 3);
        while ((await counters(s))[s.types[0]!.id]!.available < q)
          await svc.refundBooking(undefined, paid.shift()!);
        const buyer = actor();
        const { id } = await pending(s, q, buyer, svc);
        // Random jitter so that each transition gets to go first in some rounds.
        const jitter = <T>(op: () => Promise<T>, ms = 4) =>
          new Promise((r) => setTimeout(r, Math.random() * ms)).then(op);
        const settled = await Promise.allSettled([
          jitter(() => expirer.expireDueBookings()),
          jitter(() => svc.confirmBooking(undefined, id, `pay-${round}`)),
          jitter(() => svc.cancelBooking(buyer, id)),
          jitter<unknown>(() =>
            round % 2 ? svc.confirmBooking(undefined, id, `pay-${round}`) : expirer.expireDueBookings(),
          ),
          // A competitor for whatever the losing transition gives back.
          jitter(() => svc.reserveBooking(actor(), key(), order(s, [q]))),
          jitter(() => svc.reserveBooking(actor(), key(), order(s, [q])), 12),
        ]);
        for (const r of settled)
          if (r.status === 'rejected')
            expect((r.reason as { code?: string }).code).toBe('BOOKING_NOT_CANCELLABLE');
        const b = (await svc.getBooking(id))!;
        // Which transition left PENDING first: its timestamp is the one set (a late confirm keeps it).
        const winner = b.expiredAt ? 'expire' : b.cancelledAt ? 'cancel' : 'confirm';
        winners[winner] = (winners[winner] ?? 0) + 1;
        finals[b.status] = (finals[b.status] ?? 0) + 1;
        if (b.status === 'CONFIRMED') paid.push(id);
        expect(b.status === 'CONFIRMED' ? b.paymentRef : null).toBe(
          b.status === 'CONFIRMED' ? `pay-${round}` : null,
        );
        expect(await inventoryViolations(platform.prisma, [s.campaign.id])).toEqual([]);
      }
      // Each transition must have won some rounds, or the race did not really happen.
      expect(Object.keys(winners).sort()).toEqual(['cancel', 'confirm', 'expire']);
      expect(finals.CONFIRMED).toBeGreaterThan(0);
      await expectInventoryInvariant(platform.prisma, [s.campaign.id]);
      // 60 rounds of three racing transactions: minutes, not seconds, on a loaded 2-core machine.
    }, 180_000);
  });

  describe('reading', () => {
    it('when someone reads a booking, then its buyer, the seller, their team and admins see it and others get 404', async () => {
      const s = await sale();
      const buyer = actor();
      const id = ((await reserve(buyer, order(s, [1]))).body as Body).id;
      expect((await service.getBookingForActor(buyer, id)).id).toBe(id);
      expect((await service.getBookingForActor(s.seller, id)).id).toBe(id);
      expect(
        (
          await service.getBookingForActor(
            actor(['CUSTOMER', 'FINANCE'], {
              memberships: [{ sellerId: s.seller.userId, role: 'FINANCE', campaignIds: [] }],
            }),
            id,
          )
        ).id,
      ).toBe(id);
      expect((await service.getBookingForActor(adminActor(), id)).id).toBe(id);
      await expect(service.getBookingForActor(actor(), id)).rejects.toMatchObject({
        code: 'BOOKING_NOT_FOUND',
      });
      await expect(service.getBookingForActor(sellerActor(), id)).rejects.toMatchObject({
        code: 'BOOKING_NOT_FOUND',
      });
    });

    it('when a customer lists bookings, then pages are newest first with no gaps or repeats', async () => {
      const local = fixedClock(clock.now());
      const svc = createModules({ ...platform, clock: local }).bookings;
      const s = await sale({ campaign: { maxTicketsPerCustomer: 100 } });
      const buyer = actor();
      const ids: string[] = [];
      for (let n = 0; n < 7; n++) {
        ids.push(((await svc.reserveBooking(buyer, key(), order(s, [1]))).body as Body).id);
        if (n % 2) local.advance(1000); // some share a created_at: the id breaks the tie
      }
      const seen: string[] = [];
      let after: { createdAt: Date; id: string } | undefined;
      for (;;) {
        const page = await svc.listMyBookings(buyer, 3, after);
        seen.push(...page.map((b) => b.id));
        if (page.length < 3) break;
        const last = page[page.length - 1]!;
        after = { createdAt: last.createdAt, id: last.id };
      }
      expect(seen.sort()).toEqual([...ids].sort());
      expect(new Set(seen).size).toBe(7);
    });
  });
});
