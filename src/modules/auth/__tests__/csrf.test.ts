import request from 'supertest';
import {
  makeSeller,
  sellerApplication,
  signIn,
  signInAdmin,
  startFreshAuthApp,
  type AuthTestEnv,
  type TestSession,
} from '../../../../test/support/auth';

describe('CSRF protection of cookie sessions', () => {
  let env: AuthTestEnv;
  let buyer: TestSession;
  let other: TestSession;
  let admin: TestSession;
  let seller: TestSession;

  beforeAll(async () => {
    env = await startFreshAuthApp();
    [buyer, other, admin] = await Promise.all([
      signIn(env, 'csrf-buyer@example.test'),
      signIn(env, 'csrf-other@example.test'),
      signInAdmin(env),
    ]);
    seller = await makeSeller(env, 'csrf-seller@example.test', { admin });
  });
  afterAll(async () => {
    await env.close();
  });

  const applications = () => env.platform.prisma.sellerApplication.count({ where: { userId: buyer.userId } });

  it('when a signed-in user POSTs without the token (a forged cross-site request), then 403 CSRF_INVALID and nothing changes', async () => {
    const res = await request(env.url)
      .post('/api/v1/auth/apply-seller')
      .set('Cookie', buyer.cookie)
      .send(sellerApplication());
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('CSRF_INVALID');
    expect(await applications()).toBe(0);
  });

  it('when the session cookie is sent with spaces around its name or value (which the session layer trims), then the CSRF check still applies', async () => {
    const [name, ...rest] = buyer.cookie.split(';')[0]!.split('=');
    const value = rest.join('=');
    for (const cookie of [`${name} =${value}`, ` ${name}= ${value}`, `other=1; ${name}  =  ${value}`]) {
      const res = await request(env.url)
        .post('/api/v1/auth/apply-seller')
        .set('Cookie', cookie)
        .send(sellerApplication());
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('CSRF_INVALID');
    }
    expect(await applications()).toBe(0);
  });

  it('when the token is wrong or belongs to another session, then 403 and nothing changes', async () => {
    const oneCharOff = `${buyer.csrfToken[0] === 'A' ? 'B' : 'A'}${buyer.csrfToken.slice(1)}`;
    for (const token of ['x', oneCharOff, other.csrfToken]) {
      const res = await request(env.url)
        .post('/api/v1/auth/apply-seller')
        .set('Cookie', buyer.cookie)
        .set('X-CSRF-Token', token)
        .send(sellerApplication());
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('CSRF_INVALID');
    }
    expect(await applications()).toBe(0);
  });

  it('when a page form posts without _csrf, then the 403 error page and nothing changes', async () => {
    const res = await request(env.url)
      .post('/become-seller')
      .type('form')
      .set('Cookie', buyer.cookie)
      .set('Accept', 'text/html')
      .send(sellerApplication());
    expect(res.status).toBe(403);
    // The page says what to do in words; the code stays in the JSON API.
    expect(res.text).toContain('reload the page and try again');
    expect(res.text).not.toContain('CSRF_INVALID');
    expect(await applications()).toBe(0);
  });

  it('when the token comes in the header or the _csrf form field, then the request goes through', async () => {
    const viaForm = await request(env.url)
      .post('/become-seller')
      .type('form')
      .set('Cookie', buyer.cookie)
      .send({ ...sellerApplication(), _csrf: buyer.csrfToken });
    expect(viaForm.status).toBe(303);
    expect(await applications()).toBe(1);
    const viaHeader = await other.post('/api/v1/auth/apply-seller').send(sellerApplication());
    expect(viaHeader.status).toBe(201);
  });

  it('when the page is rendered, then it carries the session token in the meta tag and in its forms', async () => {
    const res = await request(env.url)
      .get('/become-seller')
      .set('Cookie', seller.cookie)
      .set('Accept', 'text/html');
    // A seller is sent to the profile; the profile page has the sign-out form.
    expect(res.status).toBe(303);
    const page = await request(env.url)
      .get('/profile')
      .set('Cookie', seller.cookie)
      .set('Accept', 'text/html')
      .expect(200);
    expect(page.text).toContain(`<meta name="csrf-token" content="${seller.csrfToken}">`);
    expect(page.text).toContain(`name="_csrf" value="${seller.csrfToken}"`);
  });

  it('when GET /api/v1/auth/csrf is called twice in a session, then it answers the same token', async () => {
    const a = await buyer.get('/api/v1/auth/csrf').expect(200);
    const b = await buyer.get('/api/v1/auth/csrf').expect(200);
    expect(a.body).toEqual({ csrfToken: buyer.csrfToken });
    expect(b.body.csrfToken).toBe(a.body.csrfToken);
  });

  // Every state-changing route × every signed-in role: without the token, refused before anything else.
  const forged: Array<[string, string, (ids: { app: string; member: string }) => string, object]> = [
    ['POST', 'apply-seller', () => '/api/v1/auth/apply-seller', sellerApplication()],
    ['POST', 'logout', () => '/api/v1/auth/logout', {}],
    ['POST', 'approve', (ids) => `/api/v1/admin/seller-applications/${ids.app}/approve`, {}],
    ['POST', 'reject', (ids) => `/api/v1/admin/seller-applications/${ids.app}/reject`, { reason: 'forged' }],
    ['POST', 'invite', () => '/api/v1/team/members', { email: 'forged@example.test', role: 'MANAGER' }],
    ['DELETE', 'remove member', (ids) => `/api/v1/team/members/${ids.member}`, {}],
    [
      'POST',
      'assign campaigns',
      (ids) => `/api/v1/team/members/${ids.member}/campaigns`,
      { campaignIds: ['c1'] },
    ],
    ['POST', 'page: sign out', () => '/sign-out', {}],
    ['POST', 'page: approve', (ids) => `/admin/seller-applications/${ids.app}/approve`, {}],
    ['POST', 'page: invite', () => '/team/members', { email: 'forged@example.test', role: 'MANAGER' }],
  ];

  it.each(forged)(
    'when %s %s is forged without a token by any role, then 403 CSRF_INVALID and no change',
    async (method, _name, path, body) => {
      const pending = await env.platform.prisma.sellerApplication.findFirstOrThrow({
        where: { userId: other.userId, status: 'PENDING' },
      });
      const member = await seller
        .post('/api/v1/team/members')
        .send({ email: `m-${Date.now()}-${Math.random()}@example.test`, role: 'MANAGER' })
        .expect(201);
      const ids = { app: pending.id, member: member.body.id as string };
      const snapshot = async () => ({
        apps: await env.platform.prisma.sellerApplication.findMany({ orderBy: { id: 'asc' } }),
        members: await env.platform.prisma.teamMember.findMany({ orderBy: { id: 'asc' } }),
        campaigns: await env.platform.prisma.teamMemberCampaign.count(),
      });
      const before = await snapshot();
      for (const s of [buyer, seller, admin]) {
        const req =
          method === 'DELETE' ? request(env.url).delete(path(ids)) : request(env.url).post(path(ids));
        const res = await req.set('Cookie', s.cookie).send(body);
        expect([
          res.status,
          res.body?.error?.code ?? (res.text.includes('CSRF_INVALID') ? 'CSRF_INVALID' : res.text),
        ]).toEqual([403, 'CSRF_INVALID']);
        await s.get('/api/v1/auth/profile').expect(200); // still signed in: logout was not forged either
      }
      expect(await snapshot()).toEqual(before);
    },
  );

  it('when a request carries no session cookie, then CSRF does not apply and the route answers on its own (401 here)', async () => {
    const res = await request(env.url).post('/api/v1/auth/apply-seller').send(sellerApplication());
    expect(res.status).toBe(401);
  });
});
