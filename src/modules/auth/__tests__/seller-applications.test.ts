import type request from 'supertest';
import { listAudit } from '../../../shared/audit';
import {
  makeSeller,
  sellerApplication,
  signIn,
  signInAdmin,
  startFreshAuthApp,
  type AuthTestEnv,
  type TestSession,
} from '../../../../test/support/auth';

const PLATFORM_FINANCE = 'platform-finance.apply@example.test';

describe('seller applications', () => {
  let env: AuthTestEnv;
  let admin: TestSession;

  beforeAll(async () => {
    env = await startFreshAuthApp({ overrides: { FINANCE_EMAILS: PLATFORM_FINANCE } });
    admin = await signInAdmin(env);
  });
  afterAll(async () => {
    await env.close();
  });

  const outbox = (name: string) =>
    env.platform.prisma.outboxMessage.findMany({ where: { eventName: name }, orderBy: { createdAt: 'asc' } });

  it('when a customer applies and an admin approves, then they become a SELLER and reach seller routes, with events and an audit row', async () => {
    const user = await signIn(env, 'apply-approve@example.test');
    await user.get('/api/v1/team/members').expect(403);

    const applied = await user.post('/api/v1/auth/apply-seller').send(
      sellerApplication({
        businessName: 'Kampala Live',
        contactPhone: '+256 (700) 123-456',
        country: 'ug',
      }),
    );
    expect(applied.status).toBe(201);
    expect(applied.body).toMatchObject({
      status: 'PENDING',
      businessName: 'Kampala Live',
      contactPhone: '+256700123456',
      country: 'UG',
      userId: user.userId,
    });

    const queue = await admin.get('/api/v1/admin/seller-applications?status=PENDING').expect(200);
    expect(queue.body.items.map((a: { id: string }) => a.id)).toContain(applied.body.id);
    expect(queue.body.items.find((a: { id: string }) => a.id === applied.body.id).applicant).toEqual({
      id: user.userId,
      email: 'apply-approve@example.test',
      name: 'Apply Approve',
    });

    const approved = await admin
      .post(`/api/v1/admin/seller-applications/${applied.body.id}/approve`)
      .expect(200);
    expect(approved.body).toMatchObject({
      status: 'APPROVED',
      decidedBy: admin.userId,
      rejectionReason: null,
    });

    // Same session, next request: the role is re-read from the database.
    expect((await user.profile()).roles).toEqual(['CUSTOMER', 'SELLER']);
    await user.get('/api/v1/team/members').expect(200);
    const page = await user.get('/profile').set('Accept', 'text/html').expect(200);
    expect(page.text).toContain('You are an approved seller as <strong>Kampala Live</strong>');

    const approvedEvents = (await outbox('seller.approved')).filter(
      (e) => (e.payload as { payload: { applicationId: string } }).payload.applicationId === applied.body.id,
    );
    expect(approvedEvents).toHaveLength(1);
    expect(approvedEvents[0]!.payload).toMatchObject({
      name: 'seller.approved',
      payload: { userId: user.userId, applicationId: applied.body.id },
    });
    const decided = (await outbox('seller.application.decided')).filter(
      (e) => (e.payload as { payload: { applicationId: string } }).payload.applicationId === applied.body.id,
    );
    expect(decided.map((e) => (e.payload as { payload: unknown }).payload)).toEqual([
      {
        applicationId: applied.body.id,
        userId: user.userId,
        decision: 'APPROVED',
        rejectionReason: null,
        decidedBy: admin.userId,
      },
    ]);

    const audit = await listAudit(env.platform.prisma, {
      targetType: 'seller_application',
      targetId: applied.body.id,
    });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actorId: admin.userId,
      action: 'seller_application.approve',
      before: { status: 'PENDING', decidedBy: null },
      after: { status: 'APPROVED', decidedBy: admin.userId },
    });
    expect(audit[0]!.occurredAt).toBeInstanceOf(Date);
  });

  it('when an admin rejects with a reason, then the applicant sees the reason on the profile page and API, and gets a decision event', async () => {
    const user = await signIn(env, 'apply-reject@example.test');
    const applied = await user
      .post('/api/v1/auth/apply-seller')
      .send(sellerApplication({ businessName: 'Rejected Bar' }))
      .expect(201);
    const reason = 'We could not verify the business registration <number>';
    const rejected = await admin
      .post(`/api/v1/admin/seller-applications/${applied.body.id}/reject`)
      .send({ reason })
      .expect(200);
    expect(rejected.body).toMatchObject({ status: 'REJECTED', rejectionReason: reason });

    const profile = await user.profile();
    expect(profile.roles).toEqual(['CUSTOMER']);
    expect((profile as unknown as { sellerApplication: unknown }).sellerApplication).toMatchObject({
      status: 'REJECTED',
      rejectionReason: reason,
    });
    const page = await user.get('/profile').set('Accept', 'text/html').expect(200);
    expect(page.text).toContain('We could not verify the business registration &lt;number&gt;');
    expect(page.text).toMatch(/was <span class="badge status-rejected">rejected<\/span>/);

    const decided = (await outbox('seller.application.decided')).find(
      (e) => (e.payload as { payload: { applicationId: string } }).payload.applicationId === applied.body.id,
    );
    expect((decided!.payload as { payload: unknown }).payload).toEqual({
      applicationId: applied.body.id,
      userId: user.userId,
      decision: 'REJECTED',
      rejectionReason: reason,
      decidedBy: admin.userId,
    });
    expect(
      (await outbox('seller.approved')).some(
        (e) => (e.payload as { payload: { userId: string } }).payload.userId === user.userId,
      ),
    ).toBe(false);
    const audit = await listAudit(env.platform.prisma, {
      targetType: 'seller_application',
      targetId: applied.body.id,
    });
    expect(audit.map((a) => [a.action, (a.after as { rejectionReason: string }).rejectionReason])).toEqual([
      ['seller_application.reject', reason],
    ]);

    // After a rejection the person may apply again.
    await user.post('/api/v1/auth/apply-seller').send(sellerApplication()).expect(201);
  });

  it('when a user with an open application applies again, then 409 APPLICATION_ALREADY_OPEN and still one application', async () => {
    const user = await signIn(env, 'apply-twice@example.test');
    await user.post('/api/v1/auth/apply-seller').send(sellerApplication()).expect(201);
    const second = await user.post('/api/v1/auth/apply-seller').send(sellerApplication());
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('APPLICATION_ALREADY_OPEN');
    expect(await env.platform.prisma.sellerApplication.count({ where: { userId: user.userId } })).toBe(1);
  });

  it('when the same user sends many applications at once, then exactly one is created (the database index decides)', async () => {
    const user = await signIn(env, 'apply-race@example.test');
    const results = await Promise.all(
      Array.from({ length: 8 }, () => user.post('/api/v1/auth/apply-seller').send(sellerApplication())),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
    expect(
      results.filter((r) => r.status === 409).every((r) => r.body.error.code === 'APPLICATION_ALREADY_OPEN'),
    ).toBe(true);
    expect(await env.platform.prisma.sellerApplication.count({ where: { userId: user.userId } })).toBe(1);
  });

  it('when a seller applies again, then 409 ALREADY_SELLER', async () => {
    const seller = await makeSeller(env, 'already-seller@example.test', { admin });
    const res = await seller.post('/api/v1/auth/apply-seller').send(sellerApplication());
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('ALREADY_SELLER');
  });

  it('when platform staff (an admin, platform finance) apply to sell, then 403 PLATFORM_STAFF_CANNOT_SELL and nothing is stored; the page sends them back to the profile', async () => {
    const staff = [admin, await signIn(env, PLATFORM_FINANCE)];
    for (const person of staff) {
      const res = await person.post('/api/v1/auth/apply-seller').send(sellerApplication());
      expect({ status: res.status, code: res.body.error?.code }).toEqual({
        status: 403,
        code: 'PLATFORM_STAFF_CANNOT_SELL',
      });
      expect(await env.platform.prisma.sellerApplication.count({ where: { userId: person.userId } })).toBe(0);
      const page = await person.get('/become-seller');
      expect({ status: page.status, location: page.headers.location }).toEqual({
        status: 303,
        location: '/profile',
      });
      const profile = await person.get('/profile').expect(200);
      expect(profile.text).toContain('this account does not sell on Tikiti');
      expect(profile.text).not.toContain('href="/become-seller"');
    }
  });

  it('when two admins decide the same application at once, then one decision wins and the other gets 409, with one audit row and one event', async () => {
    const admin2 = await signInAdmin(env);
    const user = await signIn(env, 'apply-contested@example.test');
    const applied = await user.post('/api/v1/auth/apply-seller').send(sellerApplication()).expect(201);
    const [a, b] = await Promise.all([
      admin.post(`/api/v1/admin/seller-applications/${applied.body.id}/approve`),
      admin2
        .post(`/api/v1/admin/seller-applications/${applied.body.id}/reject`)
        .send({ reason: 'Duplicate business' }),
    ]);
    const statuses = [a.status, b.status].sort();
    expect(statuses).toEqual([200, 409]);
    expect([a, b].find((r) => r.status === 409)!.body.error.code).toBe('APPLICATION_ALREADY_DECIDED');
    const audit = await listAudit(env.platform.prisma, {
      targetType: 'seller_application',
      targetId: applied.body.id,
    });
    expect(audit).toHaveLength(1);
    const decided = (await outbox('seller.application.decided')).filter(
      (e) => (e.payload as { payload: { applicationId: string } }).payload.applicationId === applied.body.id,
    );
    expect(decided).toHaveLength(1);
    const roles = (await user.profile()).roles;
    expect(roles.includes('SELLER')).toBe(a.status === 200);

    // Deciding again later: 409 as well, nothing written.
    const again = await admin.post(`/api/v1/admin/seller-applications/${applied.body.id}/approve`);
    expect(again.status).toBe(409);
    expect(
      await listAudit(env.platform.prisma, { targetType: 'seller_application', targetId: applied.body.id }),
    ).toHaveLength(1);
  });

  it('when an application does not exist, then approve and reject answer 404 APPLICATION_NOT_FOUND', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    const a = await admin.post(`/api/v1/admin/seller-applications/${id}/approve`).expect(404);
    expect(a.body.error.code).toBe('APPLICATION_NOT_FOUND');
    await admin.post(`/api/v1/admin/seller-applications/${id}/reject`).send({ reason: 'nope' }).expect(404);
  });

  it('when the application has invalid fields, then 400 with one detail per field and nothing stored', async () => {
    const user = await signIn(env, 'apply-invalid@example.test');
    const res = await user.post('/api/v1/auth/apply-seller').send({
      businessName: 'x',
      businessType: 'casino',
      contactPhone: '12',
      country: 'Uganda',
      description: 'short',
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual([
      'businessName',
      'businessType',
      'contactPhone',
      'country',
      'description',
    ]);
    const missing = await user.post('/api/v1/auth/apply-seller').send({});
    expect(missing.status).toBe(400);
    expect(missing.body.error.details).toHaveLength(5);
    expect(await env.platform.prisma.sellerApplication.count({ where: { userId: user.userId } })).toBe(0);
  });

  it('when a rejection has no reason, then 400 and the application stays PENDING', async () => {
    const user = await signIn(env, 'reject-no-reason@example.test');
    const applied = await user.post('/api/v1/auth/apply-seller').send(sellerApplication()).expect(201);
    const res = await admin
      .post(`/api/v1/admin/seller-applications/${applied.body.id}/reject`)
      .send({ reason: '  ' });
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].field).toBe('reason');
    const row = await env.platform.prisma.sellerApplication.findUniqueOrThrow({
      where: { id: applied.body.id },
    });
    expect(row.status).toBe('PENDING');
  });

  it('when the admin lists applications by status with a small page size, then pages follow each other oldest first without gaps', async () => {
    const all = await admin.get('/api/v1/admin/seller-applications?limit=100').expect(200);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: request.Response = await admin
        .get(`/api/v1/admin/seller-applications?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
        .expect(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((a: { id: string }) => a.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.body.items.map((a: { id: string }) => a.id));
    const rejected = await admin.get('/api/v1/admin/seller-applications?status=REJECTED').expect(200);
    expect(rejected.body.items.length).toBeGreaterThan(0);
    expect(rejected.body.items.every((a: { status: string }) => a.status === 'REJECTED')).toBe(true);
    await admin.get('/api/v1/admin/seller-applications?status=MAYBE').expect(400);
    await admin.get('/api/v1/admin/seller-applications?cursor=garbage').expect(400);
  });

  describe('pages', () => {
    it('when the become-seller form is sent with errors, then it is shown again with field messages and the typed values', async () => {
      const user = await signIn(env, 'form-errors@example.test');
      const res = await user.post('/become-seller').type('form').set('Accept', 'text/html').send({
        _csrf: user.csrfToken,
        businessName: 'Good Name Ltd',
        businessType: 'bars',
        contactPhone: 'call me',
        country: 'UG',
        description: 'too short',
      });
      expect(res.status).toBe(400);
      expect(res.text).toContain('value="Good Name Ltd"');
      expect(res.text).toContain('id="contactPhone-error"');
      expect(res.text).toContain('id="description-error"');
      expect(res.text).not.toContain('id="businessName-error"');
    });

    it('when an applicant uses the form and the admin approves on the admin page, then the applicant is a seller', async () => {
      const user = await signIn(env, 'form-flow@example.test');
      const form = await user.get('/become-seller').set('Accept', 'text/html').expect(200);
      expect(form.text).toContain('action="/become-seller"');
      const sent = await user
        .post('/become-seller')
        .type('form')
        .send({ ...sellerApplication({ businessName: 'Form Flow Hotel' }), _csrf: user.csrfToken })
        .expect(303);
      expect(sent.headers.location).toBe('/profile');
      const profile = await user.get('/profile').set('Accept', 'text/html').expect(200);
      expect(profile.text).toContain('Your application was sent');
      expect(profile.text).toMatch(
        /Form Flow Hotel<\/strong> is <span class="badge status-pending">waiting for review/,
      );

      const list = await admin.get('/admin/seller-applications').set('Accept', 'text/html').expect(200);
      const id = /data-application-id="([0-9a-f-]{36})">\s*<h2>Form Flow Hotel/.exec(list.text)?.[1];
      expect(id).toBeDefined();
      const approved = await admin
        .post(`/admin/seller-applications/${id}/approve`)
        .type('form')
        .send({ _csrf: admin.csrfToken })
        .expect(303);
      expect(approved.headers.location).toBe('/admin/seller-applications');
      const after = await admin.get('/admin/seller-applications').set('Accept', 'text/html').expect(200);
      expect(after.text).toContain('Approved Form Flow Hotel');
      expect((await user.profile()).roles).toContain('SELLER');

      // A second decision from a stale page: a message, not an error page.
      await admin
        .post(`/admin/seller-applications/${id}/reject`)
        .type('form')
        .send({ _csrf: admin.csrfToken, reason: 'changed my mind' })
        .expect(303);
      const stale = await admin.get('/admin/seller-applications').set('Accept', 'text/html').expect(200);
      expect(stale.text).toContain('already decided');
    });
  });
});
