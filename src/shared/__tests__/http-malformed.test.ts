import zlib from 'node:zlib';
import request from 'supertest';
import { createTestPlatform, startApp, type RunningApp } from '../../../test/support/platform';
import type { Platform } from '../platform';

/**
 * Requests that body-parser or the router already refuse with a 4xx keep that status, as JSON
 * with a code of ours, and are not logged as our failures.
 */
describe('when a request cannot be parsed', () => {
  let platform: Platform;
  let app: RunningApp;

  beforeAll(async () => {
    platform = await createTestPlatform({}, 'http-malformed');
    app = await startApp(platform);
  });
  afterAll(async () => {
    await app.close();
    await platform.close();
  });

  it('when a JSON body claims a gzip encoding it does not have, then 400 MALFORMED_BODY', async () => {
    const res = await request(app.url)
      .post('/api/v1/bookings')
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'gzip')
      .send('{"campaignId":"x"}');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code: 'MALFORMED_BODY', message: expect.any(String), details: [] } });
  });

  it('when a gzip body is real, then it is read (and the route answers on its own terms)', async () => {
    // fetch, not supertest: superagent would JSON-encode a Buffer sent with a JSON type.
    const res = await fetch(`${app.url}/api/v1/bookings`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
      body: zlib.gzipSync('{"campaignId":"x"}'),
    });
    expect(res.status).toBe(401);
  });

  it('when a form has more than 1,000 fields, then 413 TOO_MANY_PARAMETERS', async () => {
    const body = Array.from({ length: 1200 }, (_, i) => `f${i}=1`).join('&');
    const res = await request(app.url)
      .post('/api/v1/bookings')
      .set('Content-Type', 'application/x-www-form-urlencoded')
      .send(body);
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('TOO_MANY_PARAMETERS');
  });

  it('when the body has a character set we do not read, then 415 UNSUPPORTED_ENCODING', async () => {
    const res = await request(app.url)
      .post('/api/v1/bookings')
      .set('Content-Type', 'application/json; charset=latin9')
      .send('{}');
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe('UNSUPPORTED_ENCODING');
  });

  it('when a path has a broken percent-escape, then 400 MALFORMED_URL (API) or the 400 page (pages)', async () => {
    const api = await request(app.url).get('/api/v1/bookings/%E0%A4%A');
    expect(api.status).toBe(400);
    expect(api.body.error.code).toBe('MALFORMED_URL');
    const page = await request(app.url).get('/campaigns/%E0%A4%A').set('Accept', 'text/html');
    expect(page.status).toBe(400);
    expect(page.headers['content-type']).toMatch(/html/);
  });
});
