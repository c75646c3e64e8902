import { getSellerProfile, getUserSummaries, loadActor } from '..';
import { loadConfig } from '../../../shared/config';
import {
  makeSeller,
  makeTeamMember,
  signIn,
  signInAdmin,
  startFreshAuthApp,
  type AuthTestEnv,
} from '../../../../test/support/auth';
import { productionEnv } from '../../../../test/support/production-env';

describe('auth public API (index.ts) for other modules', () => {
  let env: AuthTestEnv;
  beforeAll(async () => {
    env = await startFreshAuthApp();
  });
  afterAll(async () => {
    await env.close();
  });

  it('when another module asks for user summaries, then it gets names and emails by id, unknown ids left out', async () => {
    const a = await signIn(env, 'summary.a@example.test', { name: 'Summary A' });
    const b = await signIn(env, 'summary.b@example.test', { name: 'Summary B' });
    const list = await getUserSummaries(env.platform.prisma, [
      a.userId,
      b.userId,
      a.userId,
      '00000000-0000-4000-8000-000000000001',
    ]);
    expect(list.sort((x, y) => x.name.localeCompare(y.name))).toEqual([
      { id: a.userId, name: 'Summary A', email: 'summary.a@example.test', pictureUrl: expect.any(String) },
      { id: b.userId, name: 'Summary B', email: 'summary.b@example.test', pictureUrl: expect.any(String) },
    ]);
    expect(await getUserSummaries(env.platform.prisma, [])).toEqual([]);
  });

  it('when a seller is approved, then their public profile comes from the approved application; a customer has none', async () => {
    const admin = await signInAdmin(env);
    const seller = await makeSeller(env, 'public.seller@example.test', {
      admin,
      application: { businessName: 'Nile Nights', businessType: 'hotels', country: 'UG' },
    });
    expect(await getSellerProfile(env.platform.prisma, seller.userId)).toEqual({
      sellerId: seller.userId,
      businessName: 'Nile Nights',
      businessType: 'hotels',
      country: 'UG',
      description: expect.any(String),
    });
    const customer = await signIn(env, 'public.customer@example.test');
    expect(await getSellerProfile(env.platform.prisma, customer.userId)).toBeNull();
  });

  it('when the actor of a team member is loaded, then it carries the membership and derived role', async () => {
    const admin = await signInAdmin(env);
    const seller = await makeSeller(env, 'actor.seller@example.test', { admin });
    const manager = await makeTeamMember(env, seller, 'actor.manager@example.test', 'MANAGER', ['camp-9']);
    expect(await loadActor(env.platform.prisma, manager.userId)).toEqual({
      userId: manager.userId,
      email: 'actor.manager@example.test',
      name: 'Actor Manager',
      roles: ['CUSTOMER', 'MANAGER'],
      memberships: [{ sellerId: seller.userId, role: 'MANAGER', campaignIds: ['camp-9'] }],
    });
    expect(await loadActor(env.platform.prisma, '00000000-0000-4000-8000-000000000002')).toBeNull();
  });
});

describe('sign-in configuration', () => {
  const { GOOGLE_CLIENT_ID: _id, GOOGLE_CLIENT_SECRET: _secret, ...production } = productionEnv;

  it('when no Google client id is set outside production, then the strategy points at the local provider', () => {
    const c = loadConfig({ NODE_ENV: 'development' });
    expect(c.GOOGLE_LOCAL_PROVIDER).toBe(true);
    expect(c.GOOGLE_AUTHORIZATION_URL).toBe('http://127.0.0.1:4010/authorize');
    expect(c.GOOGLE_TOKEN_URL).toBe('http://127.0.0.1:4010/token');
    expect(c.GOOGLE_USERINFO_URL).toBe('http://127.0.0.1:4010/userinfo');
  });

  it('when a Google client id is set, then the strategy points at Google', () => {
    const c = loadConfig({
      ...production,
      GOOGLE_CLIENT_ID: 'id.apps.googleusercontent.com',
      GOOGLE_CLIENT_SECRET: 's',
    });
    expect(c.GOOGLE_LOCAL_PROVIDER).toBe(false);
    expect(c.GOOGLE_AUTHORIZATION_URL).toBe('https://accounts.google.com/o/oauth2/v2/auth');
    expect(c.GOOGLE_USERINFO_URL).toBe('https://openidconnect.googleapis.com/v1/userinfo');
  });

  it('when production has no Google client id, then the configuration is refused (the local provider lets anyone in)', () => {
    expect(() => loadConfig(production)).toThrow(/GOOGLE_CLIENT_ID: must be set in production/);
    expect(() => loadConfig({ ...production, GOOGLE_CLIENT_ID: 'id' })).toThrow(/GOOGLE_CLIENT_SECRET/);
  });

  it('when ADMIN_EMAILS lists addresses, then they are trimmed and lower-cased', () => {
    expect(loadConfig({ ADMIN_EMAILS: ' Boss@Example.com, ,ops@example.com ' }).ADMIN_EMAILS).toEqual([
      'boss@example.com',
      'ops@example.com',
    ]);
  });
});
