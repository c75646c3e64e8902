import crypto from 'node:crypto';
import { GOOGLE_CALLBACK_PATH } from '../../src/modules/auth';
import { getCounters } from '../../src/modules/campaigns';
import { fixedClock } from '../../src/shared/clock';
import type { Platform } from '../../src/shared/platform';
import { authOverrides, signIn, startOidcProvider, type TestSession } from '../support/auth';
import { expectInventoryInvariant } from '../support/inventory-invariant';
import { createTestPlatform, resetDatabase } from '../support/platform';
import { createSale } from '../support/sale';
import { spawnWebProcess, type WebProcess } from '../support/web-process';
import type { OidcProvider } from '../../tools/oidc-provider/provider';

/*
 * The reservation path under real concurrency: two separate web processes (what a load
 * balancer would spread buyers over), one PostgreSQL. Nothing in a process's memory can help
 * here: only the conditional UPDATE in the database decides who gets the last tickets.
 */
describe('reservations across two web processes', () => {
  let platform: Platform;
  let provider: OidcProvider;
  const webs: WebProcess[] = [];

  beforeAll(async () => {
    platform = await createTestPlatform();
    await resetDatabase(platform);
    provider = await startOidcProvider();
    const env = { ...authOverrides(provider), LOG_LEVEL: 'info' };
    const [a, b] = await Promise.all([spawnWebProcess(env), spawnWebProcess(env)]);
    webs.push(a!, b!);
    for (const w of webs) provider.registerRedirectUri('test-client', `${w.url}${GOOGLE_CALLBACK_PATH}`);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(webs.map((w) => w.stop()));
    await provider.close();
    await platform.close();
  });

  it('when 500 reservations from 200 signed-in users hit a capacity-100 type at once, then exactly 100 are held, every other one is SOLD_OUT and none fails', async () => {
    const s = await createSale(
      { ...platform, clock: fixedClock(new Date()) },
      { campaign: { maxTicketsPerCustomer: 10 }, types: [{ capacity: 100, name: 'Last call' }] },
    );
    const ticketTypeId = s.types[0]!.id;

    // 200 users, signed in through the real OpenID redirects on alternating processes.
    const users: TestSession[] = [];
    const run = crypto.randomBytes(3).toString('hex');
    for (let batch = 0; batch < 200; batch += 20) {
      users.push(
        ...(await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            signIn({ url: webs[(batch + i) % 2]!.url, provider }, `buyer-${run}-${batch + i}@example.test`),
          ),
        )),
      );
    }
    expect(new Set(users.map((u) => u.userId)).size).toBe(200);

    const body = JSON.stringify({
      campaignId: s.campaign.id,
      items: [{ ticketTypeId, quantity: 1 }],
      issuance: 'SINGLE',
    });
    const responses = await Promise.all(
      Array.from({ length: 500 }, async (_, n) => {
        const user = users[n % users.length]!;
        // A session works on either process (sessions live in Redis).
        const res = await fetch(`${webs[n % 2]!.url}/api/v1/bookings`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            cookie: user.cookie,
            'x-csrf-token': user.csrfToken,
            'idempotency-key': crypto.randomUUID(),
          },
          body,
        });
        return {
          status: res.status,
          body: (await res.json()) as {
            id?: string;
            status?: string;
            error?: { code: string; details: Array<{ available?: number }> };
          },
        };
      }),
    );

    const byStatus = responses.reduce<Record<number, number>>(
      (acc, r) => ({ ...acc, [r.status]: (acc[r.status] ?? 0) + 1 }),
      {},
    );
    expect(byStatus).toEqual({ 201: 100, 409: 400 });
    for (const r of responses.filter((x) => x.status === 409)) {
      expect(r.body.error).toMatchObject({
        code: 'SOLD_OUT',
        details: [expect.objectContaining({ ticketTypeId, available: 0 })],
      });
    }
    const held = responses.filter((r) => r.status === 201);
    expect(new Set(held.map((r) => r.body.id)).size).toBe(100);
    expect(held.every((r) => r.body.status === 'PENDING')).toBe(true);

    const [counter] = await getCounters(platform.prisma, s.campaign.id);
    expect(counter).toMatchObject({ capacity: 100, reserved: 100, sold: 0, available: 0 });
    expect(await platform.prisma.booking.count({ where: { campaignId: s.campaign.id } })).toBe(100);
    await expectInventoryInvariant(platform.prisma);
    // Neither process logged an unexpected error.
    for (const w of webs) expect(w.output()).not.toMatch(/unhandled error/);
  }, 180_000);
});
