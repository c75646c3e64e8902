/**
 * `npm run bench:seats`: seat holds per second and their latency through POST /api/v1/bookings
 * (named seats, `items: [{ ticketTypeId, seatIds: [one seat] }]`), next to the SAME raw
 * PostgreSQL baseline as `npm run bench:reserve` (node-postgres looping BEGIN; the conditional
 * counter UPDATE; INSERT booking + item; COMMIT), in the same run, alternating in rounds.
 *
 * Set-up as bench:reserve (its startPlatform: a fresh database of its own, dropped at the end;
 * BENCH_WEB_PROCESSES web processes; users signed in through the real OpenID redirects), then a
 * seated campaign on a venue of BENCH_SEAT_SECTIONS sections of 100 rows × 100 seats. Every
 * request names the next free seat (no two requests ask for the same one: this measures the
 * hold path, not refusals), so a level needs about rps × BENCH_DURATION_S × BENCH_ROUNDS seats.
 * After each level the inventory and seat invariant is checked in SQL (a failure exits 1).
 *
 * Knobs: those of bench:reserve (BENCH_USERS, BENCH_DURATION_S, BENCH_ROUNDS, BENCH_WEB_PROCESSES,
 * BENCH_DB_POOL, BENCH_RAW_POOL), BENCH_SEAT_CONNECTIONS (16,64), BENCH_SEAT_SECTIONS (4).
 * `--write` rewrites the seats section of docs/benchmarks.md.
 */
import crypto from 'node:crypto';
import os from 'node:os';
import { execFileSync } from 'node:child_process';
import autocannon from 'autocannon';
import { createModules } from '../src/modules/container';
import { loadConfig } from '../src/shared/config';
import { createPlatform } from '../src/shared/platform';
import { inventoryViolations, seatViolations } from '../test/support/inventory-invariant';
import { campaignBody, sellerActor } from '../test/support/factories';
import { writeBenchmarkSection } from './bench-docs';
import { driveRaw, percentiles, signInUsers, startPlatform, withCpu } from './bench-reserve';

const env = process.env;
const int = (v: string | undefined, d: number) => (v ? Number.parseInt(v, 10) : d);
const settings = {
  databaseUrl: env.DATABASE_URL ?? `postgresql://postgres@127.0.0.1:5432/ticketing_bench_${process.pid}`,
  redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  users: int(env.BENCH_USERS, 200),
  durationS: int(env.BENCH_DURATION_S, 10),
  rounds: int(env.BENCH_ROUNDS, 2),
  connections: (env.BENCH_SEAT_CONNECTIONS ?? '16,64').split(',').map((s) => Number.parseInt(s, 10)),
  sections: int(env.BENCH_SEAT_SECTIONS, 4),
};
const log = (msg: string) => console.log(`[bench:seats] ${msg}`);

type User = Awaited<ReturnType<typeof signInUsers>>[number];

async function driveSeats(
  urls: string[],
  users: User[],
  campaignId: string,
  ticketTypeId: string,
  nextSeat: () => string,
  connections: number,
  durationS: number,
) {
  let nextUser = 0;
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const perProcess = urls.map(
    (_, i) => Math.floor(connections / urls.length) + (i < connections % urls.length ? 1 : 0),
  );
  const runs = await Promise.all(
    urls.map(
      (url, i) =>
        new Promise<autocannon.Result>((resolve, reject) => {
          const instance = autocannon(
            {
              url,
              connections: perProcess[i]!,
              duration: durationS,
              timeout: 10,
              requests: [
                {
                  method: 'POST',
                  path: '/api/v1/bookings',
                  setupRequest: (req, context) => {
                    const ctx = context as { user?: User };
                    ctx.user ??= users[nextUser++ % users.length]!;
                    return {
                      ...req,
                      headers: {
                        'content-type': 'application/json',
                        cookie: ctx.user.cookie,
                        'x-csrf-token': ctx.user.csrfToken,
                        'idempotency-key': crypto.randomUUID(),
                      },
                      body: JSON.stringify({
                        campaignId,
                        items: [{ ticketTypeId, seatIds: [nextSeat()] }],
                        issuance: 'SINGLE',
                      }),
                    };
                  },
                },
              ],
            },
            (err, result) => (err ? reject(err) : resolve(result)),
          );
          instance.on('response', (_c, statusCode, _b, responseTime) => {
            latencies.push(responseTime);
            statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
          });
        }),
    ),
  );
  return { latencies, statuses, errors: runs.reduce((n, r) => n + r.errors + r.timeouts, 0) };
}

interface Level {
  connections: number;
  holdsPerS: number;
  p50: number;
  p95: number;
  p99: number;
  statuses: Record<string, number>;
  errors: number;
  rawTps: number;
  rawP99: number;
  load: number;
  cpuMachine: number;
  invariant: boolean;
}

async function main(): Promise<void> {
  log(
    `machine: nproc ${execFileSync('nproc').toString().trim()}, ${os.cpus()[0]?.model ?? ''}, Node ${process.version}`,
  );
  const uptimeBefore = execFileSync('uptime').toString().trim();
  log(`uptime: ${uptimeBefore}`);
  const stops: Array<() => Promise<void>> = [];
  try {
    const { urls, pids } = await startPlatform(stops);
    const platform = await createPlatform(
      loadConfig({
        ...env,
        DATABASE_URL: settings.databaseUrl,
        REDIS_URL: settings.redisUrl,
        DATABASE_POOL_SIZE: '2',
      }),
      { service: 'bench-seats-setup' },
    );
    stops.push(() => platform.close());
    const { campaigns, venues } = createModules(platform);
    const seller = sellerActor({ email: 'bench-seats@example.test', name: 'Bench seller' });
    const venue = await venues.createVenue(seller, {
      name: 'Bench Stadium',
      zones: [{ code: 'ALL', name: 'All seats', color: '#1f77b4' }],
    });
    for (let n = 0; n < settings.sections; n++)
      await venues.addSection(seller, venue.id, {
        name: `Stand ${n + 1}`,
        rows: { from: '1', to: '100' },
        seats: { from: 1, to: 100 },
        zone: 'ALL',
      });
    const draft = await campaigns.createCampaign(seller, {
      ...campaignBody(new Date(), {
        title: `Seats bench ${new Date().toISOString()}`,
        maxTicketsPerCustomer: 1000,
      }),
      venueId: venue.id,
    });
    const seated = await campaigns.createTicketType(seller, draft.id, {
      name: 'Seat',
      priceMinor: 500_000,
      capacity: 0,
      maxPerOrder: 10,
      seatZone: 'ALL',
    });
    const rawType = await campaigns.createTicketType(seller, draft.id, {
      name: 'Raw baseline',
      priceMinor: 500_000,
      capacity: 10_000_000,
      maxPerOrder: 10,
    });
    const campaign = await campaigns.publishCampaign(seller, draft.id);
    const seatIds = (
      await platform.prisma.$queryRaw<Array<{ id: string }>>`
        SELECT id::text FROM campaign_seats WHERE campaign_id = ${campaign.id}::uuid ORDER BY section_rank, row_index, col_index`
    ).map((r) => r.id);
    let cursor = 0;
    const nextSeat = () => {
      if (cursor >= seatIds.length)
        throw new Error('bench:seats ran out of seats: raise BENCH_SEAT_SECTIONS');
      return seatIds[cursor++]!;
    };
    log(`campaign ${campaign.id}: ${seatIds.length} seats`);
    const users = await signInUsers(urls[0]!, settings.users);
    log(`${users.length} users signed in`);
    await driveSeats(urls, users, campaign.id, seated.id, nextSeat, 8, 2); // warm-up

    const levels: Level[] = [];
    for (const connections of settings.connections) {
      const load = os.loadavg()[0]!;
      const ours: Array<Awaited<ReturnType<typeof driveSeats>>> = [];
      const raws: Array<Awaited<ReturnType<typeof driveRaw>>> = [];
      const cpu: number[] = [];
      for (let round = 0; round < settings.rounds; round++) {
        const o = await withCpu([process.pid, ...pids], () =>
          driveSeats(urls, users, campaign.id, seated.id, nextSeat, connections, settings.durationS),
        );
        ours.push(o.result);
        cpu.push(o.machine);
        await new Promise((r) => setTimeout(r, 1000)); // requests cut off by the end may still commit
        raws.push(
          await driveRaw(settings.databaseUrl, campaign, rawType.id, connections, settings.durationS),
        );
      }
      const statuses: Record<string, number> = {};
      for (const r of ours)
        for (const [k, v] of Object.entries(r.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
      const seconds = settings.durationS * settings.rounds;
      const lat = percentiles(ours.flatMap((r) => r.latencies));
      const rawLat = raws.flatMap((r) => r.latencies);
      const invariant =
        (await inventoryViolations(platform.prisma, [campaign.id])).length === 0 &&
        (await seatViolations(platform.prisma, [campaign.id])).length === 0;
      const level: Level = {
        connections,
        holdsPerS: (statuses['201'] ?? 0) / seconds,
        ...lat,
        statuses,
        errors: ours.reduce((n, r) => n + r.errors, 0),
        rawTps: rawLat.length / seconds,
        rawP99: percentiles(rawLat).p99,
        load,
        cpuMachine: Math.round(cpu.reduce((a, b) => a + b, 0) / cpu.length),
        invariant,
      };
      levels.push(level);
      log(
        `${connections} conns: ${level.holdsPerS.toFixed(0)} holds/s p50 ${level.p50} p95 ${level.p95} p99 ${level.p99} ms ` +
          `${JSON.stringify(statuses)} errors ${level.errors} | raw ${level.rawTps.toFixed(0)}/s p99 ${level.rawP99} ms | ` +
          `ours/raw ${(level.holdsPerS / level.rawTps).toFixed(2)} | invariant ${invariant ? 'holds' : 'BROKEN'} | load ${load.toFixed(1)}`,
      );
    }
    log(`uptime: ${execFileSync('uptime').toString().trim()}`);
    if (process.argv.includes('--write')) {
      const file = writeBenchmarkSection(
        'seats',
        [
          '## Seat holds: POST /api/v1/bookings with seatIds vs raw PostgreSQL (`npm run bench:seats`)',
          '',
          `Measured ${new Date().toISOString().slice(0, 10)} on nproc ${execFileSync('nproc').toString().trim()}, Node ${process.version}, ` +
            `${seatIds.length} seats, ${users.length} users, ${settings.rounds} rounds of ${settings.durationS} s per level, alternating with the raw baseline ` +
            '(the same as bench:reserve: BEGIN; conditional counter UPDATE; INSERT booking + item; COMMIT). Each request holds one named seat.',
          '',
          '| connections | holds/s | p50 / p95 / p99 (ms) | statuses | raw tx/s | raw p99 (ms) | ours/raw | invariant | load avg |',
          '|---:|---:|---|---|---:|---:|---:|---|---:|',
          ...levels.map(
            (l) =>
              `| ${l.connections} | ${l.holdsPerS.toFixed(0)} | ${l.p50} / ${l.p95} / ${l.p99} | ${JSON.stringify(l.statuses)} | ` +
              `${l.rawTps.toFixed(0)} | ${l.rawP99} | **${(l.holdsPerS / l.rawTps).toFixed(2)}** | ${l.invariant ? 'holds' : 'BROKEN'} | ${l.load.toFixed(1)} |`,
          ),
          '',
          `uptime before: \`${uptimeBefore}\`; after: \`${execFileSync('uptime').toString().trim()}\`. "load avg" is the 1-minute load when ` +
            'the level started: on a shared machine both sides are slowed alike, the ratio is what to compare. A hold costs one ' +
            'more statement than a counted reservation (the guarded seat UPDATE and the booking_seats INSERT) and the seat read ' +
            'of the batch; the raw baseline has neither.',
        ].join('\n'),
      );
      log(`wrote the seats section of ${file}`);
    }
    if (levels.some((l) => !l.invariant)) process.exitCode = 1;
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
}

main().catch((err) => {
  console.error(`bench:seats failed: ${(err as Error).stack ?? err}`);
  process.exit(1);
});
