import request from 'supertest';
import { createTestPlatform, startApp, type RunningApp } from '../../../test/support/platform';
import type { Platform } from '../platform';

describe('security headers and the metrics token', () => {
  let platform: Platform;
  let app: RunningApp;

  beforeAll(async () => {
    platform = await createTestPlatform(
      { METRICS_TOKEN: 'a-metrics-token-for-this-test' },
      'security-headers',
    );
    app = await startApp(platform);
  });
  afterAll(async () => {
    await app.close();
    await platform.close();
  });

  it('when METRICS_TOKEN is set, then /metrics answers only the bearer of that token', async () => {
    const none = await request(app.url).get('/metrics');
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('METRICS_TOKEN_REQUIRED');
    expect(none.text).not.toContain('http_request');
    const wrong = await request(app.url)
      .get('/metrics')
      .set('Authorization', 'Bearer a-metrics-token-for-this-tesT');
    expect(wrong.status).toBe(401);
    const right = await request(app.url)
      .get('/metrics')
      .set('Authorization', 'Bearer a-metrics-token-for-this-test');
    expect(right.status).toBe(200);
    expect(right.text).toContain('# TYPE');
  });

  it('when any page is served, then its CSP lets forms post only to this site', async () => {
    const res = await request(app.url).get('/');
    expect(res.headers['content-security-policy']).toContain("form-action 'self'");
  });

  it('when the API or a personal page answers, then it is no-store; a public campaign list is not', async () => {
    for (const path of [
      '/api/v1/bookings',
      '/api/v1/tickets',
      '/api/v1/auth/profile',
      '/profile',
      '/bookings',
    ]) {
      const res = await request(app.url).get(path);
      expect([path, res.headers['cache-control']]).toEqual([path, 'no-store']);
    }
    const list = await request(app.url).get('/campaigns');
    expect(list.status).toBe(200);
    expect(list.headers['cache-control']).toBeUndefined();
  });
});
