import { listRoutes } from '../../../shared/http/openapi';
import type { Platform } from '../../../shared/platform';
import { createTestPlatform, startApp, type RunningApp } from '../../../../test/support/platform';

describe('tickets API documentation', () => {
  let platform: Platform;
  let app: RunningApp;
  beforeAll(async () => {
    platform = await createTestPlatform();
    app = await startApp(platform);
  });
  afterAll(async () => {
    await app.close();
    await platform.close();
  });

  it('when the app is built, then every tickets route is in the OpenAPI document, and nothing documented is missing', () => {
    const mine = app.modules.filter((m) => ['tickets', 'tickets-bookings', 'tickets-gate'].includes(m.name));
    expect(mine).toHaveLength(3);
    const all: string[] = [];
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
        expect(app.openapi.paths[p!]?.[method!]).toBeDefined();
      }
      all.push(...routes);
    }
    expect(all.sort()).toEqual([
      'get /api/v1/bookings/{id}/tickets.pdf',
      'get /api/v1/campaigns/{id}/keys',
      'get /api/v1/campaigns/{id}/revocations',
      'get /api/v1/tickets',
      'get /api/v1/tickets/{id}/pdf',
      'post /api/v1/bookings/{id}/resend-tickets',
    ]);
  });
});
