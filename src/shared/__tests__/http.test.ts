import request from 'supertest';
import { createTestPlatform, startApp, type RunningApp } from '../../../test/support/platform';
import { webModules } from '../../modules/registry';
import { defineApi } from '../http/api';
import { int, text, uuid, z } from '../http/schema';
import type { Platform } from '../platform';

describe('HTTP conventions', () => {
  let platform: Platform;
  let app: RunningApp;

  beforeAll(async () => {
    platform = await createTestPlatform({
      BODY_LIMIT: '1kb',
      RATE_LIMIT_MAX: '5',
      RATE_LIMIT_WINDOW_MS: '60000',
    });
    // A module route validating its input the way every module route does.
    webModules.push(() => {
      const api = defineApi({ name: 'validation-probe', prefix: '/api/v1/probe', tags: ['probe'] });
      api.post(
        '/:campaignId',
        {
          summary: 'Probe',
          params: z.object({ campaignId: uuid() }),
          body: z.object({ quantity: int(1, 10), email: text({ max: 254 }).pipe(z.email()) }),
          responses: { 201: 'Echo' },
        },
        ({ params, body }, _req, res) => {
          res.status(201).json({ received: { ...params, ...body } });
        },
      );
      return { name: 'validation-probe', api: [api.module()] };
    });
    app = await startApp(platform);
  });
  afterAll(async () => {
    webModules.pop();
    await app.close();
    await platform.close();
  });

  it('when the JSON body is malformed, then 400 MALFORMED_JSON', async () => {
    const res = await request(app.url)
      .post('/api/v1/anything')
      .set('Content-Type', 'application/json')
      .send('{"a":');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code: 'MALFORMED_JSON', message: expect.any(String), details: [] } });
  });

  it('when the body is over the limit, then 413 PAYLOAD_TOO_LARGE', async () => {
    const res = await request(app.url)
      .post('/api/v1/anything')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ big: 'x'.repeat(2048) }));
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('when an API route does not exist, then 404 ROUTE_NOT_FOUND as JSON', async () => {
    const res = await request(app.url).get('/api/v1/no-such-thing').set('X-Forwarded-For', '10.0.0.1');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/json/);
    expect(res.body.error.code).toBe('ROUTE_NOT_FOUND');
  });

  it('when a page does not exist, then a 404 HTML page in words, with a way back and no internal code', async () => {
    const res = await request(app.url).get('/no-such-page').set('Accept', 'text/html');
    expect(res.status).toBe(404);
    expect(res.text).toContain('Page not found');
    expect(res.text).toContain('Back to the home page');
    expect(res.text).not.toContain('PAGE_NOT_FOUND');
  });

  it('when a request comes in, then it gets a request id and security headers', async () => {
    const res = await request(app.url).get('/health');
    expect(res.status).toBe(200);
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    const echoed = await request(app.url).get('/health').set('X-Request-Id', 'abc-123');
    expect(echoed.headers['x-request-id']).toBe('abc-123');
  });

  it('when a client goes over the API rate limit, then 429 RATE_LIMITED with Retry-After', async () => {
    const statuses: number[] = [];
    let last: request.Response | undefined;
    for (let i = 0; i < 7; i++) {
      last = await request(app.url).get('/api/docs');
      statuses.push(last.status);
    }
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses[6]).toBe(429);
    expect(last!.body.error.code).toBe('RATE_LIMITED');
    expect(Number(last!.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('when input fails validation, then 400 VALIDATION_FAILED with one detail per bad field', async () => {
    const res = await request(app.url)
      .post('/api/v1/probe/not-a-uuid')
      .set('X-Forwarded-For', '10.0.0.2')
      .send({ quantity: 0, email: 'nope', extra: 'ignored' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(
      res.body.error.details.map((d: { field: string; location: string }) => [d.field, d.location]).sort(),
    ).toEqual([
      ['campaignId', 'params'],
      ['email', 'body'],
      ['quantity', 'body'],
    ]);
  });

  it('when input is valid, then the handler sees only the declared, sanitised fields', async () => {
    const id = '6f1c7c43-3a8e-4f4e-9d5e-3b0d2f3f8a11';
    const res = await request(app.url)
      .post(`/api/v1/probe/${id}`)
      .set('X-Forwarded-For', '10.0.0.3')
      .send({ quantity: 3, email: 'a@example.com', role: 'SUPER_ADMIN' });
    expect(res.status).toBe(201);
    expect(res.body.received).toEqual({ campaignId: id, quantity: 3, email: 'a@example.com' });
  });

  it('when requests are served, then /metrics has the request histogram by route and status', async () => {
    await request(app.url).get('/health');
    await request(app.url).get('/api/v1/no-such-route').set('X-Forwarded-For', '10.0.0.4');
    const res = await request(app.url).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toMatch(
      /^http_request_duration_seconds_count\{method="GET",route="\/health",status="200"\} [1-9]/m,
    );
    expect(res.text).toMatch(
      /^http_request_duration_seconds_bucket\{le="0.1",method="GET",route="\/health",status="200"\} /m,
    );
    expect(res.text).toMatch(
      /^http_request_duration_seconds_count\{method="GET",route="unmatched",status="404"\} [1-9]/m,
    );
  });
});
