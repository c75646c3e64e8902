import type { Request } from 'express';
import request from 'supertest';
import { createTestPlatform, startApp, type RunningApp } from '../../../../test/support/platform';
import type { Platform } from '../../../shared/platform';
import { scanLimitKey } from '../validation.routes';

/** The scan route's rate-limit bucket, and express-rate-limit's own checks of its key generators. */
describe('scan rate limit', () => {
  let platform: Platform;
  let app: RunningApp;
  const logged: string[] = [];
  const spies: jest.SpyInstance[] = [];

  beforeAll(async () => {
    for (const level of ['error', 'warn'] as const)
      spies.push(
        jest.spyOn(console, level).mockImplementation((...args: unknown[]) => {
          logged.push(
            args
              .map((a) =>
                a instanceof Error
                  ? `${a.name} ${a.message} ${String((a as { code?: string }).code)}`
                  : String(a),
              )
              .join(' '),
          );
        }),
      );
    platform = await createTestPlatform();
    app = await startApp(platform);
  });
  afterAll(async () => {
    for (const s of spies) s.mockRestore();
    await app?.close();
    await platform?.close();
  });

  it('when the app builds its limiters and a scan is answered, then express-rate-limit reports no ERR_ERL check', async () => {
    const res = await request(app.url)
      .post('/api/v1/validation/scan')
      .set('Authorization', `Device ${'x'.repeat(43)}`)
      .send({})
      .expect(401);
    expect(res.body.error.code).toBe('DEVICE_UNKNOWN');
    expect(logged.filter((l) => /ERR_ERL|ValidationError/.test(l))).toEqual([]);
  });

  it('when scans are keyed, then a device or a person is its own bucket and an address without a scanner is keyed by its IPv6 /56', () => {
    const req = (r: Partial<Request>) => r as Request;
    const device = { id: 'd1', campaignId: 'c', gateId: null } as never;
    expect(scanLimitKey(req({ scanner: { kind: 'device', device, via: 'header' } }))).toBe('d:d1');
    const actor = { userId: 'u1', email: 'u@example.test', name: 'U', roles: [], memberships: [] };
    expect(scanLimitKey(req({ scanner: { kind: 'user', actor } }))).toBe('u:u1');
    const a = scanLimitKey(req({ ip: '2001:db8:abcd:1200::1' }));
    const b = scanLimitKey(req({ ip: '2001:db8:abcd:12ff:ffff::9' }));
    expect(a).toBe(b);
    expect(a).not.toBe(scanLimitKey(req({ ip: '2001:db8:abcd:1300::1' })));
    expect(scanLimitKey(req({ ip: '203.0.113.7' }))).toBe('ip:203.0.113.7');
  });
});
