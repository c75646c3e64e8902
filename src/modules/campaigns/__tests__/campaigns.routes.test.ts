import request from 'supertest';
import { campaignBody, json, ticketTypeBody } from '../../../../test/support/factories';
import {
  makeSeller,
  makeTeamMember,
  signIn,
  signInAdmin,
  startFreshAuthApp,
  type AuthTestEnv,
  type TestSession,
} from '../../../../test/support/auth';

describe('campaigns over HTTP', () => {
  let env: AuthTestEnv;
  let admin: TestSession;
  let owner: TestSession;
  let otherSeller: TestSession;
  let customer: TestSession;
  let manager: TestSession;

  const newCampaign = async (who: TestSession, overrides: Record<string, unknown> = {}) => {
    const res = await who.post('/api/v1/campaigns').send(json(campaignBody(new Date(), overrides)));
    expect(res.status).toBe(201);
    return res.body as { id: string; slug: string; status: string };
  };
  const addType = async (who: TestSession, id: string, overrides: Record<string, unknown> = {}) => {
    const res = await who.post(`/api/v1/campaigns/${id}/ticket-types`).send(ticketTypeBody(overrides));
    expect(res.status).toBe(201);
    return res.body as { id: string; accessCode?: string };
  };

  beforeAll(async () => {
    env = await startFreshAuthApp();
    admin = await signInAdmin(env);
    owner = await makeSeller(env, 'owner@example.test', { admin });
    otherSeller = await makeSeller(env, 'other-seller@example.test', { admin });
    customer = await signIn(env, 'customer@example.test');
    manager = await makeTeamMember(env, owner, 'gate@example.test', 'MANAGER');
  });
  afterAll(() => env.close());

  it('when each role calls each campaign route, then only the owner (and admins) may change the campaign', async () => {
    const c = await newCampaign(owner);
    const t = await addType(owner, c.id);
    const routes: Array<{ name: string; call: (s: TestSession | null) => request.Test; owner: number }> = [
      {
        name: 'create',
        call: (s) =>
          (s ? s.post('/api/v1/campaigns') : request(env.url).post('/api/v1/campaigns')).send(
            json(campaignBody(new Date())),
          ),
        owner: 201,
      },
      {
        name: 'patch',
        call: (s) =>
          (s
            ? s.patch(`/api/v1/campaigns/${c.id}`)
            : request(env.url).patch(`/api/v1/campaigns/${c.id}`)
          ).send({ title: 'Renamed by someone' }),
        owner: 200,
      },
      {
        name: 'add type',
        call: (s) =>
          (s
            ? s.post(`/api/v1/campaigns/${c.id}/ticket-types`)
            : request(env.url).post(`/api/v1/campaigns/${c.id}/ticket-types`)
          ).send(ticketTypeBody({ name: `Extra ${Math.random().toString(36).slice(2, 8)}` })),
        owner: 201,
      },
      {
        name: 'patch type',
        call: (s) =>
          (s
            ? s.patch(`/api/v1/campaigns/${c.id}/ticket-types/${t.id}`)
            : request(env.url).patch(`/api/v1/campaigns/${c.id}/ticket-types/${t.id}`)
          ).send({ priceMinor: 1000 }),
        owner: 200,
      },
      {
        name: 'list types',
        call: (s) =>
          s
            ? s.get(`/api/v1/campaigns/${c.id}/ticket-types`)
            : request(env.url).get(`/api/v1/campaigns/${c.id}/ticket-types`),
        owner: 200,
      },
      {
        name: 'mine',
        call: (s) => (s ? s.get('/api/v1/campaigns/mine') : request(env.url).get('/api/v1/campaigns/mine')),
        owner: 200,
      },
    ];
    const expected: Record<string, Record<string, number>> = {
      anonymous: {
        create: 401,
        patch: 401,
        'add type': 401,
        'patch type': 401,
        'list types': 401,
        mine: 401,
      },
      customer: { create: 403, patch: 403, 'add type': 403, 'patch type': 403, 'list types': 403, mine: 403 },
      otherSeller: {
        create: 201,
        patch: 404,
        'add type': 404,
        'patch type': 404,
        'list types': 404,
        mine: 200,
      },
      manager: { create: 403, patch: 403, 'add type': 403, 'patch type': 403, 'list types': 200, mine: 403 },
      owner: Object.fromEntries(routes.map((r) => [r.name, r.owner])),
      admin: { create: 201, patch: 200, 'add type': 201, 'patch type': 200, 'list types': 200, mine: 200 },
    };
    const who: Record<string, TestSession | null> = {
      anonymous: null,
      customer,
      otherSeller,
      manager,
      owner,
      admin,
    };
    const actual: Record<string, Record<string, number>> = {};
    for (const [role, session] of Object.entries(who)) {
      actual[role] = {};
      for (const r of routes) actual[role]![r.name] = (await r.call(session)).status;
    }
    expect(actual).toEqual(expected);
  });

  it('when PATCH tries to set sold, reserved, sellerId or status, then 400 FIELD_NOT_ALLOWED and nothing changes', async () => {
    const c = await newCampaign(owner);
    const t = await addType(owner, c.id, { capacity: 10 });
    for (const body of [
      { status: 'ACTIVE' },
      { sellerId: otherSeller.userId },
      { title: 'Sneaky', sold: 5 },
    ]) {
      const res = await owner.patch(`/api/v1/campaigns/${c.id}`).send(body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('FIELD_NOT_ALLOWED');
    }
    for (const body of [
      { sold: 10 },
      { reserved: 3 },
      { campaignId: c.id },
      { capacity: 20, hasBookings: true },
    ]) {
      const res = await owner.patch(`/api/v1/campaigns/${c.id}/ticket-types/${t.id}`).send(body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('FIELD_NOT_ALLOWED');
    }
    const after = await owner.get(`/api/v1/campaigns/${c.id}/ticket-types`);
    expect(after.body.items[0]).toMatchObject({ capacity: 10, sold: 0, reserved: 0 });
    const campaign = await request(env.url).get(`/api/v1/campaigns/${c.id}`).set('Cookie', owner.cookie);
    expect(campaign.body).toMatchObject({
      status: 'DRAFT',
      sellerId: owner.userId,
      title: expect.not.stringMatching('Sneaky'),
    });
  });

  it('when a campaign is published, then the public finds it; drafts and hidden types stay out of sight', async () => {
    const city = `Nairobi-${Date.now()}`;
    const c = await newCampaign(owner, { city, title: 'Savannah Sessions' });
    await addType(owner, c.id, { name: 'Regular', priceMinor: 250_000 });
    const vip = await addType(owner, c.id, { name: 'VIP', priceMinor: 900_000, hidden: true });
    expect((await request(env.url).get(`/api/v1/campaigns/${c.slug}`)).status).toBe(404);
    const published = await owner.post(`/api/v1/campaigns/${c.id}/publish`);
    expect(published.status).toBe(200);
    expect(published.body.status).toBe('ACTIVE');

    const list = await request(env.url).get('/api/v1/campaigns').query({ city, q: 'savannah' });
    expect(list.status).toBe(200);
    expect(list.body.items.map((i: { id: string }) => i.id)).toEqual([c.id]);
    expect(list.body.items[0]).toMatchObject({ priceFromMinor: 250_000, currency: 'NGN', available: 100 });
    const page = await request(env.url).get(`/api/v1/campaigns/${c.slug}`);
    expect(page.body.ticketTypes.map((t: { name: string }) => t.name)).toEqual(['Regular']);
    expect(page.body.ticketTypes[0]).not.toHaveProperty('accessCode');
    const withCode = await request(env.url)
      .get(`/api/v1/campaigns/${c.slug}`)
      .query({ code: vip.accessCode });
    expect(withCode.body.ticketTypes.map((t: { name: string }) => t.name).sort()).toEqual(['Regular', 'VIP']);
    expect(
      (await request(env.url).get('/api/v1/campaigns').query({ cursor: 'garbage' })).body.error.code,
    ).toBe('INVALID_CURSOR');
  });

  it('when a cover image is uploaded, then its content decides: PNG accepted and served cached, a renamed text file refused', async () => {
    const c = await newCampaign(owner);
    const png = Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
      'base64',
    );
    const ok = await owner.put(`/api/v1/campaigns/${c.id}/cover`).set('Content-Type', 'image/png').send(png);
    expect(ok.status).toBe(200);
    expect(ok.body.coverImageUrl).toMatch(/^\/media\/campaigns\/[0-9a-f-]{36}\/cover-[0-9a-f]{16}\.png$/);
    const img = await request(env.url).get(ok.body.coverImageUrl as string);
    expect(img.status).toBe(200);
    expect(img.headers['content-type']).toBe('image/png');
    expect(img.headers['cache-control']).toContain('immutable');
    expect(Buffer.compare(img.body as Buffer, png)).toBe(0);

    const fake = await owner
      .put(`/api/v1/campaigns/${c.id}/cover`)
      .set('Content-Type', 'image/png')
      .send(Buffer.from('not an image at all'));
    expect(fake.status).toBe(400);
    expect(fake.body.error.code).toBe('UNSUPPORTED_IMAGE_TYPE');
    const stranger = await otherSeller
      .put(`/api/v1/campaigns/${c.id}/cover`)
      .set('Content-Type', 'image/png')
      .send(png);
    expect(stranger.status).toBe(404);
    expect((await request(env.url).get('/media/campaigns/x/../../etc/passwd')).status).toBe(404);
  });

  it('when a seller pauses, resumes and cancels over HTTP, then each transition answers and bad ones are 422', async () => {
    const c = await newCampaign(owner);
    expect((await owner.post(`/api/v1/campaigns/${c.id}/publish`)).body.error.code).toBe('NOT_PUBLISHABLE');
    await addType(owner, c.id);
    expect((await owner.post(`/api/v1/campaigns/${c.id}/publish`)).status).toBe(200);
    expect((await owner.post(`/api/v1/campaigns/${c.id}/pause`)).body.status).toBe('PAUSED');
    expect((await owner.post(`/api/v1/campaigns/${c.id}/pause`)).status).toBe(422);
    expect((await owner.post(`/api/v1/campaigns/${c.id}/resume`)).body.status).toBe('ACTIVE');
    expect((await owner.post(`/api/v1/campaigns/${c.id}/cancel`).send({})).status).toBe(400);
    const cancelled = await owner.post(`/api/v1/campaigns/${c.id}/cancel`).send({ reason: 'Artist unwell' });
    expect(cancelled.body).toMatchObject({ status: 'CANCELLED', cancelReason: 'Artist unwell' });
    const forged = await request(env.url)
      .post(`/api/v1/campaigns/${c.id}/resume`)
      .set('Cookie', owner.cookie);
    expect(forged.status).toBe(403);
  });
  describe('PUT /api/v1/campaigns/:id', () => {
    // Every field without a default, as a PUT must send them (the draft allows all of them).
    const fullBody = (overrides: Record<string, unknown> = {}) => {
      const b = json(campaignBody(new Date(), overrides));
      delete b.description;
      delete b.tags;
      return b;
    };

    it('when the owner PUTs a draft, then the sent fields are replaced and the ones left out go back to their defaults', async () => {
      const c = await newCampaign(owner, {
        latitude: 6.45,
        longitude: 3.4,
        maxTicketsPerCustomer: 4,
        refundDeadlineHours: 48,
        refundPolicy: 'Until two days before',
      });
      const res = await owner
        .put(`/api/v1/campaigns/${c.id}`)
        .send(fullBody({ title: 'Replaced Night', city: 'Abuja' }));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        id: c.id,
        slug: c.slug,
        status: 'DRAFT',
        title: 'Replaced Night',
        venue: expect.objectContaining({ city: 'Abuja', latitude: null, longitude: null }),
        description: '',
        tags: [],
        maxTicketsPerCustomer: 10,
        refundDeadlineHours: null,
        refundPolicy: '',
      });
      const row = await env.platform.prisma.campaign.findUniqueOrThrow({ where: { id: c.id } });
      expect({ latitude: row.latitude, longitude: row.longitude, title: row.title }).toEqual({
        latitude: null,
        longitude: null,
        title: 'Replaced Night',
      });
    });

    it('when a PUT leaves out a field without a default, then 400 VALIDATION_FAILED naming it and nothing changes', async () => {
      const c = await newCampaign(owner);
      const body = fullBody({ title: 'Missing Venue' });
      delete body.venueName;
      const res = await owner.put(`/api/v1/campaigns/${c.id}`).send(body);
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({
        code: 'VALIDATION_FAILED',
        details: [{ field: 'venueName', message: 'is required' }],
      });
      expect((await env.platform.prisma.campaign.findUniqueOrThrow({ where: { id: c.id } })).title).not.toBe(
        'Missing Venue',
      );
    });

    it('when a PUT on a published campaign sets a field its state fixes, then 400 FIELD_NOT_ALLOWED; without it, the rest is replaced', async () => {
      const c = await newCampaign(owner);
      await addType(owner, c.id);
      expect((await owner.post(`/api/v1/campaigns/${c.id}/publish`)).status).toBe(200);
      const refused = await owner
        .put(`/api/v1/campaigns/${c.id}`)
        .send(fullBody({ title: 'Other Currency' }));
      expect(refused.status).toBe(400);
      expect(refused.body.error.code).toBe('FIELD_NOT_ALLOWED');
      expect(refused.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual([
        'currency',
        'kind',
      ]);
      const body = fullBody({ title: 'Published Replaced' });
      delete body.currency;
      delete body.kind;
      const ok = await owner.put(`/api/v1/campaigns/${c.id}`).send(body);
      expect(ok.status).toBe(200);
      expect(ok.body).toMatchObject({
        status: 'ACTIVE',
        title: 'Published Replaced',
        currency: 'NGN',
        kind: 'EVENT',
      });
    });

    it('when a PUT has an unknown field or an array for a scalar, then 400 and nothing changes', async () => {
      const c = await newCampaign(owner);
      const before = await env.platform.prisma.campaign.findUniqueOrThrow({ where: { id: c.id } });
      const unknown = await owner.put(`/api/v1/campaigns/${c.id}`).send({ ...fullBody(), sold: 3 });
      expect(unknown.status).toBe(400);
      expect(unknown.body.error).toMatchObject({ code: 'FIELD_NOT_ALLOWED', details: [{ field: 'sold' }] });
      const array = await owner.put(`/api/v1/campaigns/${c.id}`).send({ ...fullBody(), title: ['A', 'B'] });
      expect(array.status).toBe(400);
      expect(array.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ field: 'title' }] });
      expect(await env.platform.prisma.campaign.findUniqueOrThrow({ where: { id: c.id } })).toEqual(before);
    });

    it('when another seller, a customer or nobody PUTs, then 404, 403 and 401 and nothing changes', async () => {
      const c = await newCampaign(owner);
      const body = fullBody({ title: 'Hijacked' });
      expect((await otherSeller.put(`/api/v1/campaigns/${c.id}`).send(body)).status).toBe(404);
      expect((await customer.put(`/api/v1/campaigns/${c.id}`).send(body)).status).toBe(403);
      expect((await request(env.url).put(`/api/v1/campaigns/${c.id}`).send(body)).status).toBe(401);
      expect((await env.platform.prisma.campaign.findUniqueOrThrow({ where: { id: c.id } })).title).not.toBe(
        'Hijacked',
      );
    });
  });
});
