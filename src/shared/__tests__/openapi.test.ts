import { Router, type Express } from 'express';
import request from 'supertest';
import { createTestPlatform, startApp, type RunningApp } from '../../../test/support/platform';
import { listRoutes, type ApiModule } from '../http/openapi';
import type { Platform } from '../platform';

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, { summary?: string; responses?: object }>>;
};

/** Routes that exist on a router but not in the document, as `METHOD /path`. */
function undocumented(routes: Array<{ method: string; path: string }>, doc: Doc): string[] {
  return routes
    .filter((r) => !doc.paths[r.path]?.[r.method])
    .map((r) => `${r.method.toUpperCase()} ${r.path}`);
}

/**
 * The OpenAPI document is generated from what modules declare next to their routers; this
 * checks it against the routes Express really has, for every mounted module, so a module
 * added later is covered without touching this test.
 */
describe('GET /api/docs (OpenAPI)', () => {
  let platform: Platform;
  let app: RunningApp;
  let doc: Doc;

  beforeAll(async () => {
    platform = await createTestPlatform();
    app = await startApp(platform);
    const res = await request(app.url).get('/api/docs');
    expect(res.status).toBe(200);
    doc = res.body as Doc;
  });
  afterAll(async () => {
    await app.close();
    await platform.close();
  });

  const appRoutes = () => listRoutes('', (app.app as Express & { router: Router }).router);

  it('when served, then it is an OpenAPI 3.1 document with an Error schema', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc).toHaveProperty('components.schemas.Error');
    expect(Object.keys(doc.paths).length).toBeGreaterThan(0);
  });

  it('when a module registers a route on its router, then the document describes it', () => {
    expect(app.modules.length).toBeGreaterThan(0);
    const missing = app.modules.flatMap((m: ApiModule) =>
      undocumented(listRoutes(m.prefix, m.router), doc).map((r) => `${r} (module ${m.name})`),
    );
    expect(missing).toEqual([]);
  });

  it('when any route under /api exists in the app, then the document describes it', () => {
    const api = appRoutes().filter((r) => r.path.startsWith('/api'));
    expect(api.length).toBeGreaterThan(0);
    expect(undocumented(api, doc)).toEqual([]);
  });

  it('when the document describes an operation, then the route exists and has a summary and responses', () => {
    const real = new Set(appRoutes().map((r) => `${r.method} ${r.path}`));
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        expect({ route: `${method} ${path}`, exists: real.has(`${method} ${path}`) }).toEqual({
          route: `${method} ${path}`,
          exists: true,
        });
        expect(op.summary).toEqual(expect.any(String));
        expect(Object.keys(op.responses ?? {}).length).toBeGreaterThan(0);
      }
    }
  });

  it('when a router nests another router or has undocumented routes, then listRoutes finds them for the check', () => {
    const inner = Router();
    inner.get('/:ticketId', (_req, res) => res.end());
    inner.post('/', (_req, res) => res.end());
    const router = Router();
    router.get('/', (_req, res) => res.end());
    router.use('/campaigns/:campaignId/tickets', inner);
    router.patch(['/a', '/b'], (_req, res) => res.end());

    const routes = listRoutes('/api/v1/things', router);

    expect(routes).toEqual([
      { method: 'get', path: '/api/v1/things' },
      { method: 'get', path: '/api/v1/things/campaigns/{campaignId}/tickets/{ticketId}' },
      { method: 'post', path: '/api/v1/things/campaigns/{campaignId}/tickets' },
      { method: 'patch', path: '/api/v1/things/a' },
      { method: 'patch', path: '/api/v1/things/b' },
    ]);
    const partial: Doc = {
      openapi: '3.1.0',
      paths: { '/api/v1/things': { get: { summary: 'x', responses: {} } } },
    };
    expect(undocumented(routes, partial)).toEqual([
      'GET /api/v1/things/campaigns/{campaignId}/tickets/{ticketId}',
      'POST /api/v1/things/campaigns/{campaignId}/tickets',
      'PATCH /api/v1/things/a',
      'PATCH /api/v1/things/b',
    ]);
  });

  it('when the readable page is requested, then it lists the operations', async () => {
    const res = await request(app.url).get('/api/docs/ui').set('Accept', 'text/html');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/html/);
    expect(res.text).toContain('GET /ready');
    expect(res.text).toContain('GET /api/docs');
  });
});
