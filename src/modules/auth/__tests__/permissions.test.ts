import request from 'supertest';
import {
  makeTeamMember,
  sellerApplication,
  signIn,
  startSellerApp,
  type AuthTestEnv,
  type TestSession,
} from '../../../../test/support/auth';

/**
 * The permission matrix: every protected route of the auth module × every role → the status
 * the authorization layer gives. Probes use ids that do not exist or bodies that fail
 * validation where a success would change state, so a status past authorization (400, 404)
 * proves the caller was let through and nothing else.
 */

type Who = 'anonymous' | 'CUSTOMER' | 'SELLER' | 'MANAGER' | 'FINANCE' | 'SUPER_ADMIN';
const WHO: Who[] = ['anonymous', 'CUSTOMER', 'SELLER', 'MANAGER', 'FINANCE', 'SUPER_ADMIN'];
const NO_ID = '00000000-0000-4000-8000-00000000abcd';

interface Probe {
  name: string;
  method: 'get' | 'post' | 'delete';
  path: string;
  body?: () => object;
  html?: boolean;
  expect: Record<Who, number>;
}

const all = (signedIn: number, anonymous = 401): Record<Who, number> => ({
  anonymous,
  CUSTOMER: signedIn,
  SELLER: signedIn,
  MANAGER: signedIn,
  FINANCE: signedIn,
  SUPER_ADMIN: signedIn,
});
const adminOnly = (ok: number, anonymous = 401): Record<Who, number> => ({
  anonymous,
  CUSTOMER: 403,
  SELLER: 403,
  MANAGER: 403,
  FINANCE: 403,
  SUPER_ADMIN: ok,
});
// Team routes act on the caller's own team: requireOwnRole('SELLER'), no admin pass (an admin has no team).
const sellerOnly = (ok: number, anonymous = 401): Record<Who, number> => ({
  anonymous,
  CUSTOMER: 403,
  SELLER: ok,
  MANAGER: 403,
  FINANCE: 403,
  SUPER_ADMIN: 403,
});

let inviteSeq = 0;
const PROBES: Probe[] = [
  { name: 'GET profile', method: 'get', path: '/api/v1/auth/profile', expect: all(200) },
  { name: 'GET csrf', method: 'get', path: '/api/v1/auth/csrf', expect: all(200, 200) },
  {
    name: 'POST apply-seller (invalid body)',
    method: 'post',
    path: '/api/v1/auth/apply-seller',
    body: () => ({}),
    expect: all(400),
  },
  {
    name: 'GET admin applications',
    method: 'get',
    path: '/api/v1/admin/seller-applications',
    expect: adminOnly(200),
  },
  {
    name: 'POST approve (unknown id)',
    method: 'post',
    path: `/api/v1/admin/seller-applications/${NO_ID}/approve`,
    expect: adminOnly(404),
  },
  {
    name: 'POST reject (unknown id)',
    method: 'post',
    path: `/api/v1/admin/seller-applications/${NO_ID}/reject`,
    body: () => ({ reason: 'probe' }),
    expect: adminOnly(404),
  },
  { name: 'GET team members', method: 'get', path: '/api/v1/team/members', expect: sellerOnly(200) },
  {
    name: 'POST team member',
    method: 'post',
    path: '/api/v1/team/members',
    body: () => ({ email: `probe${++inviteSeq}@example.test`, role: 'FINANCE' }),
    expect: sellerOnly(201),
  },
  {
    name: 'DELETE team member (unknown id)',
    method: 'delete',
    path: `/api/v1/team/members/${NO_ID}`,
    expect: sellerOnly(404),
  },
  {
    name: 'POST member campaigns (unknown id)',
    method: 'post',
    path: `/api/v1/team/members/${NO_ID}/campaigns`,
    body: () => ({ campaignIds: ['c'] }),
    expect: sellerOnly(404),
  },
  // Pages: a signed-out person is sent to sign in (303), a wrong role gets the 403 page.
  { name: 'page /profile', method: 'get', path: '/profile', html: true, expect: all(200, 303) },
  {
    name: 'page /become-seller',
    method: 'get',
    path: '/become-seller',
    html: true,
    // Sellers already sell; platform staff never do: both are sent back to their profile.
    expect: { ...all(200, 303), SELLER: 303, SUPER_ADMIN: 303 },
  },
  {
    name: 'page /admin/seller-applications',
    method: 'get',
    path: '/admin/seller-applications',
    html: true,
    expect: adminOnly(200, 303),
  },
  { name: 'page /team', method: 'get', path: '/team', html: true, expect: sellerOnly(200, 303) },
  {
    name: 'page approve (unknown id)',
    method: 'post',
    path: `/admin/seller-applications/${NO_ID}/approve`,
    html: true,
    expect: adminOnly(303),
  },
  {
    name: 'page invite (invalid)',
    method: 'post',
    path: '/team/members',
    html: true,
    body: () => ({ email: 'x' }),
    expect: sellerOnly(303),
  },
];

describe('permission matrix', () => {
  let env: AuthTestEnv;
  const as: Partial<Record<Who, TestSession>> = {};

  beforeAll(async () => {
    const started = await startSellerApp('matrix-seller@example.test');
    env = started.env;
    const { admin, seller } = started;
    as.SUPER_ADMIN = admin;
    as.SELLER = seller;
    as.CUSTOMER = await signIn(env, 'matrix-customer@example.test');
    as.MANAGER = await makeTeamMember(env, seller, 'matrix-manager@example.test', 'MANAGER', ['camp-1']);
    as.FINANCE = await makeTeamMember(env, seller, 'matrix-finance@example.test', 'FINANCE');
    expect((await as.MANAGER.profile()).roles).toEqual(['CUSTOMER', 'MANAGER']);
    expect((await as.FINANCE.profile()).roles).toEqual(['CUSTOMER', 'FINANCE']);
  });
  afterAll(async () => {
    await env.close();
  });

  const cases = PROBES.flatMap((p) => WHO.map((who) => [p.name, who, p.expect[who], p] as const));

  it.each(cases)('%s as %s → %i', async (_name, who, expected, probe) => {
    const session = as[who as Exclude<Who, 'anonymous'>];
    let req = session ? session[probe.method](probe.path) : request(env.url)[probe.method](probe.path);
    if (probe.html) req = req.set('Accept', 'text/html');
    if (probe.body)
      req = probe.html
        ? req.type('form').send({ ...probe.body(), _csrf: session?.csrfToken })
        : req.send(probe.body());
    const res = await req;
    expect(res.status).toBe(expected);
    // Pages say it in words (no internal codes for people); the API gives the code.
    if (expected === 401)
      expect(probe.html ? res.text : res.body.error.code).toContain(
        probe.html ? 'Sign in first' : 'UNAUTHENTICATED',
      );
    if (expected === 303 && who === 'anonymous')
      expect(res.headers.location).toMatch(/^\/api\/v1\/auth\/google\?returnTo=/);
  });

  it('when a customer tries admin and other users’ data, then every attempt is refused and nothing changes', async () => {
    const customer = as.CUSTOMER!;
    const other = await signIn(env, 'matrix-applicant@example.test');
    const applied = await other.post('/api/v1/auth/apply-seller').send(sellerApplication()).expect(201);

    for (const res of [
      await customer.get('/api/v1/admin/seller-applications'),
      await customer.post(`/api/v1/admin/seller-applications/${applied.body.id}/approve`),
      await customer
        .post(`/api/v1/admin/seller-applications/${applied.body.id}/reject`)
        .send({ reason: 'sabotage' }),
      await customer.get('/api/v1/team/members'),
      await customer.delete(
        `/api/v1/team/members/${(as.MANAGER as TestSession & { memberId: string }).memberId}`,
      ),
    ]) {
      expect(res.status).toBe(403);
    }
    const row = await env.platform.prisma.sellerApplication.findUniqueOrThrow({
      where: { id: applied.body.id },
    });
    expect(row.status).toBe('PENDING');
    expect((await as.MANAGER!.profile()).roles).toContain('MANAGER');

    // The profile is always the caller's own: nothing of the other applicant shows.
    const mine = (await customer.profile()) as unknown as {
      user: { email: string };
      sellerApplication: unknown;
    };
    expect(mine.user.email).toBe('matrix-customer@example.test');
    expect(mine.sellerApplication).toBeNull();
  });
});
