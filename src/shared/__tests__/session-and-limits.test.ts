import { Router } from 'express';
import request from 'supertest';
import { createTestPlatform, startApp, type RunningApp } from '../../../test/support/platform';
import { trustProxy } from '../../app';
import { webModules } from '../../modules/registry';
import { flash, SESSION_COOKIE, takeFlash } from '../http/session';
import type { Platform } from '../platform';

describe('sessions, client addresses and per-user rate limits', () => {
  let platform: Platform;
  let app: RunningApp;

  beforeAll(async () => {
    platform = await createTestPlatform({
      TRUST_PROXY: '1',
      RATE_LIMIT_MAX: '3',
      SESSION_ABSOLUTE_HOURS: '1',
    });
    webModules.push(() => {
      const api = Router();
      api.get('/', (req, res) => {
        res.json({ ip: req.ip, user: req.actor?.userId ?? null });
      });
      const pages = Router();
      pages.post('/probe/remember', (req, res) => {
        flash(req, 'info', 'remembered');
        res.json({ ok: true });
      });
      pages.get('/probe/peek', (req, res) => {
        res.json({ flash: takeFlash(req) });
      });
      return {
        name: 'probe',
        // Stands in for the auth module's middleware, which puts the signed-in user on req.actor.
        middleware: [
          (req, _res, next) => {
            const userId = req.get('x-test-user');
            if (userId)
              req.actor = {
                userId,
                email: `${userId}@example.com`,
                name: userId,
                roles: ['CUSTOMER'],
                memberships: [],
              };
            next();
          },
        ],
        api: [{ name: 'probe', prefix: '/api/v1/whoami', router: api, paths: {} }],
        pages,
      };
    });
    app = await startApp(platform);
  });
  afterAll(async () => {
    webModules.pop();
    await app.close();
    await platform.close();
  });

  it('when TRUST_PROXY is a hop count or a boolean, then Express gets a number or a boolean', () => {
    expect(trustProxy('1')).toBe(1);
    expect(trustProxy('true')).toBe(true);
    expect(trustProxy('false')).toBe(false);
    expect(trustProxy('loopback, 10.0.0.0/8')).toBe('loopback, 10.0.0.0/8');
  });

  it('when one proxy hop is trusted, then the client address is the one the proxy saw', async () => {
    const res = await request(app.url).get('/api/v1/whoami').set('X-Forwarded-For', '203.0.113.9');
    expect(res.status).toBe(200);
    expect(res.body.ip).toBe('203.0.113.9');
  });

  it('when several signed-in users share one IP, then each has their own rate-limit bucket', async () => {
    const call = (user?: string) => {
      const r = request(app.url).get('/api/v1/whoami').set('X-Forwarded-For', '198.51.100.7');
      return (user ? r.set('x-test-user', user) : r).then((res) => res.status);
    };
    const alice = [await call('alice'), await call('alice'), await call('alice'), await call('alice')];
    expect(alice).toEqual([200, 200, 200, 429]);
    expect(await call('bob')).toBe(200);
    expect(await call()).toBe(200);
  });

  function sessionId(cookies: string[] | undefined): string {
    const raw = cookies?.find((c) => c.startsWith(`${SESSION_COOKIE}=`));
    if (!raw) throw new Error('no session cookie');
    const value = decodeURIComponent(raw.split(';')[0]!.split('=')[1]!);
    return value.slice(2, value.lastIndexOf('.'));
  }

  it('when a session is first saved, then it records its creation time; past the absolute lifetime it is replaced', async () => {
    const agent = request.agent(app.url);
    const saved = await agent.post('/probe/remember');
    expect(saved.status).toBe(200);
    const key = `${platform.config.REDIS_PREFIX}sess:${sessionId(saved.headers['set-cookie'] as unknown as string[])}`;
    const stored = JSON.parse((await platform.redis.get(key))!) as { createdAt: number; flash: unknown[] };
    expect(Math.abs(stored.createdAt - Date.now())).toBeLessThan(5_000);
    expect(stored.flash).toHaveLength(1);

    // Within the lifetime the session carries on.
    expect((await agent.get('/probe/peek')).body.flash).toEqual([{ type: 'info', message: 'remembered' }]);
    await agent.post('/probe/remember');

    // Make it older than SESSION_ABSOLUTE_HOURS (1 h): the next request starts afresh.
    const now = JSON.parse((await platform.redis.get(key))!) as Record<string, unknown>;
    await platform.redis.set(key, JSON.stringify({ ...now, createdAt: Date.now() - 3_600_000 - 1_000 }));
    const expired = await agent.get('/probe/peek');
    expect(expired.body.flash).toEqual([]);
  });
});
