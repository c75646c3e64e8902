import { listRoutes } from '../../../shared/http/openapi';
import { safeReturnTo } from '../auth.return-to';
import { startAuthApp, type AuthTestEnv } from '../../../../test/support/auth';

describe('auth API documentation', () => {
  let env: AuthTestEnv;
  beforeAll(async () => {
    env = await startAuthApp();
  });
  afterAll(async () => {
    await env.close();
  });

  it('when the app is built, then every route of the auth module is in the OpenAPI document, and nothing documented is missing', () => {
    const mine = env.app.modules.filter((m) =>
      ['auth', 'admin-seller-applications', 'team'].includes(m.name),
    );
    expect(mine).toHaveLength(3);
    for (const m of mine) {
      const routes = listRoutes(m.prefix, m.router)
        .map((r) => `${r.method} ${r.path}`)
        .sort();
      const documented = Object.entries(m.paths)
        .flatMap(([p, ops]) => Object.keys(ops).map((method) => `${method} ${p}`))
        .sort();
      expect(routes).toEqual(documented);
      for (const d of documented) {
        const [method, p] = d.split(' ');
        expect(env.app.openapi.paths[p!]?.[method!]).toBeDefined();
      }
    }
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
    ['javascript:alert(1)', '/'],
    ['/ok\r\nSet-Cookie: x', '/'],
    [undefined, '/'],
    [['/a'], '/'],
  ])('when returnTo is %p, then %p', (input, expected) => {
    expect(safeReturnTo(input)).toBe(expected);
  });
});
