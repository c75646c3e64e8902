import { safeReturnTo } from '../auth.return-to';
import { startAuthApp, type AuthTestEnv } from '../../../../test/support/auth';
import { expectRoutesDocumented } from '../../../../test/support/openapi';

describe('auth API documentation', () => {
  let env: AuthTestEnv;
  beforeAll(async () => {
    env = await startAuthApp();
  });
  afterAll(async () => {
    await env.close();
  });

  it('when the app is built, then every route of the auth module is in the OpenAPI document, and nothing documented is missing', () => {
    expect(expectRoutesDocumented(env.app, ['auth', 'admin-seller-applications', 'team'])).toEqual(
      expect.arrayContaining([
        'post /api/v1/admin/seller-applications/{id}/approve',
        'get /api/v1/team/members',
      ]),
    );
  });
});

describe('safeReturnTo', () => {
  it.each([
    ['/profile', '/profile'],
    ['/a/b?x=1#y', '/a/b?x=1#y'],
    ['/../etc', '/etc'],
    ['https://evil.example', '/'],
    ['//evil.example', '/'],
    ['/\\evil.example', '/'],
    ['/.//evil.example/x', '/'],
    ['/./\\evil.example/x', '/'],
    ['/a/..//evil.example', '/'],
    ['/%2e//evil.example', '/'],
    ['javascript:alert(1)', '/'],
    ['/ok\r\nSet-Cookie: x', '/'],
    [undefined, '/'],
    [['/a'], '/'],
  ])('when returnTo is %p, then %p', (input, expected) => {
    expect(safeReturnTo(input)).toBe(expected);
  });
});
