import { fixedClock } from '../../../shared/clock';
import type { Platform } from '../../../shared/platform';
import {
  actor,
  adminActor,
  campaignBody,
  sellerActor,
  ticketTypeBody,
} from '../../../../test/support/factories';
import { createTestPlatform, resetDatabase } from '../../../../test/support/platform';
import { createModules } from '../../container';
import { createCampaignsService, type CampaignsService } from '../campaigns.service';
import { getCounters, releaseStock, reserveStock, commitStock } from '../campaigns.inventory';
import type { CampaignInput } from '../campaigns.service';

describe('campaigns service', () => {
  let platform: Platform;
  let service: CampaignsService;
  let modules: ReturnType<typeof createModules>;
  const clock = fixedClock('2027-01-10T10:00:00Z');

  beforeAll(async () => {
    platform = await createTestPlatform();
    await resetDatabase(platform);
    modules = createModules({ ...platform, clock });
    service = modules.campaigns;
  });
  afterAll(() => platform.close());

  async function publishedCampaign(
    seller = sellerActor(),
    overrides: Record<string, unknown> = {},
    capacity = 100,
  ) {
    const c = await service.createCampaign(seller, campaignBody(clock.now(), overrides) as CampaignInput);
    const t = await service.createTicketType(seller, c.id, ticketTypeBody({ capacity }));
    return { seller, campaign: await service.publishCampaign(seller, c.id), ticketType: t };
  }

  it('when a campaign is created, then it is a DRAFT owned by the seller with a unique slug', async () => {
    const seller = sellerActor();
    const body = campaignBody(clock.now(), { title: 'Same Title' }) as CampaignInput;
    const a = await service.createCampaign(seller, body);
    const b = await service.createCampaign(seller, body);
    expect(a.status).toBe('DRAFT');
    expect(a.sellerId).toBe(seller.userId);
    expect(a.slug).toBe('same-title');
    expect(b.slug).toMatch(/^same-title-[0-9a-f]{6}$/);
  });

  it('when a campaign without ticket types is published, then NOT_PUBLISHABLE and it stays DRAFT', async () => {
    const seller = sellerActor();
    const c = await service.createCampaign(seller, campaignBody(clock.now()) as CampaignInput);
    await expect(service.publishCampaign(seller, c.id)).rejects.toMatchObject({ code: 'NOT_PUBLISHABLE' });
    expect((await service.getManagedCampaign(seller, c.id)).campaign.status).toBe('DRAFT');
  });

  it('when a campaign is published, then it has an ACTIVE signing key made in the same transaction', async () => {
    const { campaign } = await publishedCampaign();
    const keys = await modules.tickets.tickets.getCampaignPublicKeys(campaign.id);
    expect(keys.map((k) => [k.keyId, k.status])).toEqual([[1, 'ACTIVE']]);
  });

  it('when the signing key cannot be made, then publication fails, the campaign stays DRAFT and no key is left', async () => {
    const seller = sellerActor();
    const c = await service.createCampaign(seller, campaignBody(clock.now()) as CampaignInput);
    await service.createTicketType(seller, c.id, ticketTypeBody());
    const keyless = createCampaignsService({
      prisma: platform.prisma,
      clock,
      ensureSigningKey: async (tx, campaignId) => {
        // The key is made, then the key store fails: the rollback must take the key with it.
        await modules.tickets.tickets.ensureCampaignKey(tx, campaignId);
        throw new Error('key store unavailable');
      },
      cancelOpenHolds: modules.bookings.cancelHoldsOfCampaign,
    });
    await expect(keyless.publishCampaign(seller, c.id)).rejects.toThrow('key store unavailable');
    expect((await service.getManagedCampaign(seller, c.id)).campaign.status).toBe('DRAFT');
    expect(await modules.tickets.tickets.getCampaignPublicKeys(c.id)).toEqual([]);

    const noKey = createCampaignsService({
      prisma: platform.prisma,
      clock,
      ensureSigningKey: async () => undefined as unknown as { keyId: number },
      cancelOpenHolds: modules.bookings.cancelHoldsOfCampaign,
    });
    await expect(noKey.publishCampaign(seller, c.id)).rejects.toThrow('got no signing key');
    expect((await service.getManagedCampaign(seller, c.id)).campaign.status).toBe('DRAFT');
  });

  it('when the lifecycle runs, then DRAFT → ACTIVE ⇄ PAUSED → CANCELLED and bad transitions are refused', async () => {
    const { seller, campaign } = await publishedCampaign();
    expect(campaign.status).toBe('ACTIVE');
    expect((await service.pauseCampaign(seller, campaign.id)).status).toBe('PAUSED');
    await expect(service.pauseCampaign(seller, campaign.id)).rejects.toMatchObject({
      code: 'INVALID_TRANSITION',
    });
    expect((await service.resumeCampaign(seller, campaign.id)).status).toBe('ACTIVE');
    const cancelled = await service.cancelCampaign(seller, campaign.id, 'Venue flooded');
    expect(cancelled).toMatchObject({ status: 'CANCELLED', cancelReason: 'Venue flooded' });
    await expect(service.resumeCampaign(seller, campaign.id)).rejects.toMatchObject({
      code: 'INVALID_TRANSITION',
    });
    const events = await platform.prisma.outboxMessage.findMany({
      where: { payload: { path: ['payload', 'campaignId'], equals: campaign.id } },
      orderBy: { createdAt: 'asc' },
    });
    expect(events.map((e) => e.eventName)).toEqual([
      'campaign.published',
      'campaign.paused',
      'campaign.resumed',
      'campaign.cancelled',
    ]);
    const audit = await platform.prisma.auditLog.findMany({
      where: { targetId: campaign.id },
      orderBy: [{ occurredAt: 'asc' }, { id: 'asc' }],
    });
    // The clock is fixed, so compare as a set: every decision left exactly one audit row.
    expect(audit.map((a) => a.action).sort()).toEqual(
      [
        'campaign.created',
        'campaign.published',
        'campaign.paused',
        'campaign.resumed',
        'campaign.cancelled',
      ].sort(),
    );
  });

  it('when ends_at passes, then the scheduler job ends ACTIVE and PAUSED campaigns once, and leaves others', async () => {
    const local = fixedClock('2027-01-10T10:00:00Z');
    const svc = createModules({ ...platform, clock: local }).campaigns;
    const seller = sellerActor();
    const mk = async () => {
      const c = await svc.createCampaign(seller, campaignBody(local.now(), {}, 1) as CampaignInput);
      await svc.createTicketType(seller, c.id, ticketTypeBody());
      return svc.publishCampaign(seller, c.id);
    };
    const active = await mk();
    const paused = await mk();
    await svc.pauseCampaign(seller, paused.id);
    const cancelled = await mk();
    await svc.cancelCampaign(seller, cancelled.id, 'Called off');
    local.advance(3 * 86_400_000);
    // Campaigns of earlier tests in this file may be due as well: each must end exactly once.
    const due = (
      await platform.prisma.$queryRaw<Array<{ id: string }>>`
        SELECT id::text FROM campaigns WHERE status IN ('ACTIVE', 'PAUSED') AND ends_at <= ${local.now()}`
    ).map((r) => r.id);
    expect(due).toEqual(expect.arrayContaining([active.id, paused.id]));
    expect(due).not.toContain(cancelled.id);
    const [a, b] = await Promise.all([svc.endDueCampaigns(), svc.endDueCampaigns()]);
    expect(a + b).toBe(due.length);
    expect(await svc.endDueCampaigns()).toBe(0);
    const status = async (id: string) => (await svc.getManagedCampaign(seller, id)).campaign.status;
    expect(await status(active.id)).toBe('ENDED');
    expect(await status(paused.id)).toBe('ENDED');
    expect(await status(cancelled.id)).toBe('CANCELLED');
    const ended = await platform.prisma.outboxMessage.count({
      where: {
        eventName: 'campaign.ended',
        payload: { path: ['payload', 'sellerId'], equals: seller.userId },
      },
    });
    expect(ended).toBe(2);
  });

  it('when a published campaign is patched with a fixed field, then FIELD_NOT_ALLOWED and nothing changes', async () => {
    const { seller, campaign } = await publishedCampaign();
    await expect(
      service.updateCampaign(seller, campaign.id, { currency: 'USD', title: 'New title' }),
    ).rejects.toMatchObject({
      code: 'FIELD_NOT_ALLOWED',
      details: [{ field: 'currency', message: expect.any(String) }],
    });
    const after = (await service.getManagedCampaign(seller, campaign.id)).campaign;
    expect(after.currency).toBe('NGN');
    expect(after.title).toBe(campaign.title);
    expect((await service.updateCampaign(seller, campaign.id, { title: 'Renamed' })).title).toBe('Renamed');
  });

  it("when a draft takes another campaign's slug or a type takes a sibling's code, then 409 and nothing changes", async () => {
    const seller = sellerActor();
    const a = await service.createCampaign(seller, campaignBody(clock.now()) as CampaignInput);
    const b = await service.createCampaign(seller, campaignBody(clock.now()) as CampaignInput);
    await expect(service.updateCampaign(seller, b.id, { slug: a.slug })).rejects.toMatchObject({
      code: 'SLUG_TAKEN',
    });
    expect((await service.getManagedCampaign(seller, b.id)).campaign.slug).toBe(b.slug);

    const first = await service.createTicketType(
      seller,
      a.id,
      ticketTypeBody({ name: 'Gold', code: 'GOLD' }),
    );
    const second = await service.createTicketType(
      seller,
      a.id,
      ticketTypeBody({ name: 'Silver', code: 'SILVER' }),
    );
    await expect(
      service.updateTicketType(seller, a.id, second.id, { code: first.code }),
    ).rejects.toMatchObject({ code: 'TICKET_TYPE_CODE_TAKEN' });
    const types = (await service.getManagedCampaign(seller, a.id)).ticketTypes;
    expect(types.find((t) => t.id === second.id)?.code).toBe('SILVER');
  });

  it('when another seller or a customer touches a campaign, then it is not found for them', async () => {
    const { campaign } = await publishedCampaign();
    await expect(
      service.updateCampaign(sellerActor(), campaign.id, { title: 'Hijack' }),
    ).rejects.toMatchObject({ code: 'CAMPAIGN_NOT_FOUND' });
    await expect(service.pauseCampaign(actor(), campaign.id)).rejects.toMatchObject({
      code: 'CAMPAIGN_NOT_FOUND',
    });
    expect((await service.pauseCampaign(adminActor(), campaign.id)).status).toBe('PAUSED');
  });

  it('when capacity would drop below sold + reserved, then CAPACITY_BELOW_HELD and it is unchanged', async () => {
    const { seller, campaign, ticketType } = await publishedCampaign(undefined, {}, 10);
    await platform.prisma.$transaction(async (tx) => {
      expect(await reserveStock(tx, [{ ticketTypeId: ticketType.id, quantity: 6 }])).toBeNull();
      await commitStock(tx, [{ ticketTypeId: ticketType.id, quantity: 2 }]);
    });
    await expect(
      service.updateTicketType(seller, campaign.id, ticketType.id, { capacity: 5 }),
    ).rejects.toMatchObject({ code: 'CAPACITY_BELOW_HELD' });
    expect(
      (await service.updateTicketType(seller, campaign.id, ticketType.id, { capacity: 6 })).capacity,
    ).toBe(6);
    await expect(service.deleteTicketType(seller, campaign.id, ticketType.id)).rejects.toMatchObject({
      code: 'TICKET_TYPE_HAS_BOOKINGS',
    });
  });

  it('when 40 buyers race for the last 5 tickets, then exactly 5 reservations succeed', async () => {
    const { campaign, ticketType } = await publishedCampaign(undefined, {}, 5);
    const results = await Promise.all(
      Array.from({ length: 40 }, () =>
        platform.prisma
          .$transaction(async (tx) => {
            const short = await reserveStock(tx, [{ ticketTypeId: ticketType.id, quantity: 1 }]);
            if (short) throw Object.assign(new Error('sold out'), { short });
            return true;
          })
          .catch(() => false),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(5);
    const [counters] = await getCounters(platform.prisma, campaign.id);
    expect(counters).toMatchObject({ capacity: 5, reserved: 5, sold: 0, available: 0 });
    await platform.prisma.$transaction((tx) =>
      releaseStock(tx, [{ ticketTypeId: ticketType.id, quantity: 5 }]),
    );
    await expect(
      platform.prisma.$transaction((tx) => releaseStock(tx, [{ ticketTypeId: ticketType.id, quantity: 1 }])),
    ).rejects.toThrow(/cannot release/);
  });

  it('when browsing, then only ACTIVE campaigns match the filters, and hidden types need their code', async () => {
    const seller = sellerActor();
    const city = `Accra${Date.now()}`;
    const mk = async (overrides: Record<string, unknown>, publish = true) => {
      const c = await service.createCampaign(
        seller,
        campaignBody(clock.now(), { city, ...overrides }) as CampaignInput,
      );
      await service.createTicketType(seller, c.id, ticketTypeBody());
      return publish ? service.publishCampaign(seller, c.id) : c;
    };
    const jazz = await mk({ title: 'Jazz by the lagoon', kind: 'EVENT', tags: ['jazz'] });
    const derby = await mk({ title: 'Accra derby', kind: 'SPORTS', tags: ['football'] });
    await mk({ title: 'Draft jazz', tags: ['jazz'] }, false);
    const ids = async (f: Record<string, unknown>) =>
      (await service.browseCampaigns({ city, sort: 'date', limit: 50, ...f })).map((c) => c.id).sort();
    expect(await ids({})).toEqual([jazz.id, derby.id].sort());
    expect(await ids({ q: 'lagoon' })).toEqual([jazz.id]);
    expect(await ids({ kind: 'SPORTS' })).toEqual([derby.id]);
    expect(await ids({ tag: 'jazz' })).toEqual([jazz.id]);

    const hidden = await service.createTicketType(
      seller,
      jazz.id,
      ticketTypeBody({ name: 'VIP', hidden: true }),
    );
    const open = await service.getPublicCampaign(jazz.slug);
    expect(open.ticketTypes.map((t) => t.id)).not.toContain(hidden.id);
    const withCode = await service.getPublicCampaign(jazz.slug, undefined, hidden.accessCode ?? '');
    expect(withCode.ticketTypes.map((t) => t.id)).toContain(hidden.id);
  });

  it('when campaigns are added while paging, then pages have no duplicates and no gaps', async () => {
    const seller = sellerActor();
    const city = `Kumasi${Date.now()}`;
    const made: string[] = [];
    const mk = async (days: number) => {
      const c = await service.createCampaign(
        seller,
        campaignBody(clock.now(), { city }, days) as CampaignInput,
      );
      await service.createTicketType(seller, c.id, ticketTypeBody());
      made.push((await service.publishCampaign(seller, c.id)).id);
    };
    for (let i = 0; i < 9; i++) await mk(10 + i);
    const seen: string[] = [];
    let after: { key: Date; id: string } | undefined;
    for (let page = 0; page < 10; page++) {
      const rows = await service.browseCampaigns({ city, sort: 'date', limit: 3, after });
      seen.push(...rows.map((r) => r.id));
      if (page === 0) await mk(5); // sorts before the cursor: must not shift later pages
      if (page === 1) await mk(40); // sorts after: must show up at the end
      if (rows.length < 3) break;
      const last = rows[rows.length - 1]!;
      after = { key: last.startsAt, id: last.id };
    }
    expect(new Set(seen).size).toBe(seen.length);
    const expected = made.filter((id) => id !== made[9]);
    expect(seen.sort()).toEqual(expected.sort());
  });
});
