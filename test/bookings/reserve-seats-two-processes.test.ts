import crypto from 'node:crypto';
import { GOOGLE_CALLBACK_PATH } from '../../src/modules/auth';
import { getCounters } from '../../src/modules/campaigns';
import { fixedClock } from '../../src/shared/clock';
import type { Platform } from '../../src/shared/platform';
import { authOverrides, signIn, startOidcProvider, type TestSession } from '../support/auth';
import { expectInventoryInvariant } from '../support/inventory-invariant';
import { createTestPlatform, resetDatabase } from '../support/platform';
import { createSeatedSale } from '../support/sale';
import { spawnWebProcess, type WebProcess } from '../support/web-process';
import type { OidcProvider } from '../../tools/oidc-provider/provider';

/*
 * Seats under real concurrency: two web processes, one PostgreSQL, 200 buyers each naming 1 to 4
 * of the same 10 seats. Only the guarded seat UPDATE (and the campaign's sales lock) decide.
 */
describe('seat reservations across two web processes', () => {
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

  it('when 200 buyers race for the same 10 seats (1 to 4 named seats each), then every seat is sold at most once, every failure is a 409 naming taken seats and none is a 5xx', async () => {
    const s = await createSeatedSale(
      { ...platform, clock: fixedClock(new Date()) },
      { sections: [{ name: 'Front', rows: ['A', 'A'], seats: [1, 10], zone: 'FRONT' }] },
    );
    const ticketTypeId = s.types[0]!.id;
    const seatIds = s.seats.map((x) => x.id);
    expect(seatIds).toHaveLength(10);

    const users: TestSession[] = [];
    const run = crypto.randomBytes(3).toString('hex');
    // Sign-in is not what this test is about: one that fails under the machine's load (seen: a 500
    // from the OpenID callback, see the report of issue 18) is tried once more on the other process.
    const signInOne = (n: number) =>
      signIn({ url: webs[n % 2]!.url, provider }, `seat-${run}-${n}@example.test`).catch(() =>
        signIn({ url: webs[(n + 1) % 2]!.url, provider }, `seat-${run}-${n}@example.test`),
      );
    for (let batch = 0; batch < 200; batch += 20) {
      users.push(...(await Promise.all(Array.from({ length: 20 }, (_, i) => signInOne(batch + i)))));
    }

    // Each buyer names 1–4 distinct seats, drawn at random.
    const wants = users.map(() => {
      const n = 1 + crypto.randomInt(4);
      return [...seatIds].sort(() => crypto.randomInt(3) - 1).slice(0, n);
    });
    const outputBefore = new Map(webs.map((w) => [w, w.output().length]));
    const responses = await Promise.all(
      users.map(async (user, n) => {
        const res = await fetch(`${webs[n % 2]!.url}/api/v1/bookings`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            cookie: user.cookie,
            'x-csrf-token': user.csrfToken,
            'idempotency-key': crypto.randomUUID(),
          },
          body: JSON.stringify({
            campaignId: s.campaign.id,
            items: [{ ticketTypeId, seatIds: wants[n] }],
            issuance: 'SEPARATE',
          }),
        });
        return {
          n,
          status: res.status,
          body: (await res.json()) as {
            id?: string;
            seats?: Array<{ seatId: string }>;
            error?: { code: string; details: Array<{ seatId?: string }> };
          },
        };
      }),
    );

    expect(responses.filter((r) => r.status >= 500)).toEqual([]);
    const won = responses.filter((r) => r.status === 201);
    const lost = responses.filter((r) => r.status !== 201);
    expect(lost.every((r) => r.status === 409 && r.body.error?.code === 'SEATS_TAKEN')).toBe(true);
    const sold = won.flatMap((r) => r.body.seats!.map((x) => x.seatId));
    expect(new Set(sold).size).toBe(sold.length);
    for (const r of won) expect(r.body.seats!.map((x) => x.seatId).sort()).toEqual([...wants[r.n]!].sort());
    // A refusal names seats the buyer asked for that somebody else holds.
    for (const r of lost) {
      const named = r.body.error!.details.map((d) => d.seatId!);
      expect(named.length).toBeGreaterThan(0);
      for (const id of named) {
        expect(wants[r.n]).toContain(id);
        expect(sold).toContain(id);
      }
    }
    // The first buyer always gets its seats; later ones only what is left, so some seats are taken.
    expect(won.length).toBeGreaterThan(0);
    const [counter] = await getCounters(platform.prisma, s.campaign.id);
    expect(counter).toMatchObject({ capacity: 10, reserved: sold.length, sold: 0 });
    await expectInventoryInvariant(platform.prisma);
    // No unexpected error in either process while buyers reserved (sign-in ran before the race).
    for (const w of webs) expect(w.output().slice(outputBefore.get(w) ?? 0)).not.toMatch(/unhandled error/);
  }, 240_000);
});
