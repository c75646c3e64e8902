/**
 * `npm run bench:reserve`: how fast POST /api/v1/bookings reserves on ONE hot ticket type, next
 * to the raw database doing the same conditional UPDATE + INSERT, in the same run.
 *
 * What it does:
 *  1. Uses a running platform (BENCH_URL, with DATABASE_URL pointing at its database), or starts
 *     one: a fresh database of its own (`ticketing_bench_<pid>`, dropped at the end, so two runs
 *     never share one), a Redis prefix of its own (its keys deleted at the end), a local OpenID
 *     provider and BENCH_WEB_PROCESSES real web processes (`node --import tsx src/server.ts`;
 *     one autocannon per process).
 *  2. Makes an ACTIVE campaign with two ticket types of large capacity (one for the API, one for
 *     the raw baseline) and signs BENCH_USERS users in through the real sign-in redirects.
 *  3. For each of 16, 64 and 256 connections, in BENCH_ROUNDS rounds (so that a change in the
 *     machine's background load hits both sides alike): drives POST /api/v1/bookings with
 *     autocannon for BENCH_DURATION_S seconds (each connection is one signed-in user; every
 *     request has a new Idempotency-Key), then the raw baseline for as long: node-postgres, the
 *     same number of concurrent clients over a pool as large as the web tier's, each looping
 *     BEGIN; the conditional UPDATE; INSERT booking + item; COMMIT. Then checks in SQL that
 *     nothing was oversold and that the counters equal the bookings.
 *     In the same rounds, the framework ceiling for as long (scripts/bench-ceiling-app.ts: a
 *     minimal Express 5 app with the same session store answering a JSON POST with a session
 *     lookup, one process, the same number of connections).
 *  4. Prints reservations/s, p50/p95/p99, error counts, our/raw and our/ceiling per level, and the
 *     web process's CPU per reservation next to the ceiling's per request; with `--write`
 *     (`npm run bench:reserve -- --write`) rewrites its own section of docs/benchmarks.md.
 *
 * With BENCH_URL, start the platform with the limits raised (RATE_LIMIT_MAX, BOOKING_RATE_LIMIT_MAX,
 * SIGN_IN_RATE_LIMIT_MAX), or sign-ins and bookings are refused with 429.
 *
 * Load goes to 127.0.0.1 only and is bounded in time. Environment knobs: BENCH_URL,
 * DATABASE_URL, REDIS_URL, BENCH_KEEP_DATABASE (keep the run's database), BENCH_USERS (400), BENCH_DURATION_S (10, per round), BENCH_ROUNDS (2),
 * BENCH_CONNECTIONS (16,64,256), BENCH_WEB_PROCESSES (1), BENCH_DB_POOL (the web processes'
 * DATABASE_POOL_SIZE, at most 20 and what PostgreSQL's max_connections leaves free: see
 * scripts/bench-pg.ts), BENCH_RAW_POOL (web processes × pool), BENCH_WEB_NODE_ARGS (node
 * flags for the web processes, e.g. "--cpu-prof --cpu-prof-dir=var/prof").
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { execFileSync } from 'node:child_process';
import autocannon from 'autocannon';
import pg from 'pg';
import { GOOGLE_CALLBACK_PATH } from '../src/modules/auth';
import { createModules } from '../src/modules/container';
import { loadConfig } from '../src/shared/config';
import { createPrisma } from '../src/shared/db';
import { createPlatform } from '../src/shared/platform';
import { createRedis } from '../src/shared/redis';
import { migrateDatabase } from '../src/shared/migrate';
import { createOidcProvider, type OidcProvider } from '../tools/oidc-provider/provider';
import { newReference } from '../src/modules/bookings';
import { inventoryViolations } from '../test/support/inventory-invariant';
import { spawnWebProcess, type WebProcess } from '../test/support/web-process';
import { writeBenchmarkSection } from './bench-docs';
import { rawTransactions, sizePools } from './bench-pg';
import { campaignBody, sellerActor } from '../test/support/factories';

const env = process.env;
const int = (v: string | undefined, d: number) => (v ? Number.parseInt(v, 10) : d);
const settings = {
  url: env.BENCH_URL,
  databaseUrl: env.DATABASE_URL ?? `postgresql://postgres@127.0.0.1:5432/ticketing_bench_${process.pid}`,
  redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  users: int(env.BENCH_USERS, 400),
  durationS: int(env.BENCH_DURATION_S, 10),
  connections: (env.BENCH_CONNECTIONS ?? '16,64,256').split(',').map((s) => Number.parseInt(s, 10)),
  webProcesses: int(env.BENCH_WEB_PROCESSES, 1),
  /** Set by startPlatform from PostgreSQL's free connections (BENCH_DB_POOL at most). */
  dbPool: 0,
  rounds: int(env.BENCH_ROUNDS, 2),
};
/** The raw baseline's pool: set with dbPool (BENCH_RAW_POOL, else as large as the web tier's). */
let rawPool = 0;
const CLIENT = { id: 'bench-client', secret: 'bench-client-secret-0123456789abcdef' };

interface User {
  cookie: string;
  csrfToken: string;
}

interface LevelResult {
  connections: number;
  ours: {
    rps: number;
    p50: number;
    p95: number;
    p99: number;
    created: number;
    soldOut: number;
    otherNon2xx: number;
    errors: number;
    timeouts: number;
    statuses: Record<string, number>;
  };
  raw: { tps: number; p50: number; p95: number; p99: number; errors: number };
  /** The framework ceiling: 2xx answers/s of the minimal app, its latency and CPU per request (µs). */
  ceiling: { rps: number; p50: number; p99: number; non2xx: number; errors: number; cpuUsPerRequest: number };
  /** The web process(es)' CPU time per 201 (µs). */
  cpuUsPerReservation: number;
  oversold: boolean;
  countersMatch: boolean;
  heldAfterCutoff: number;
  /** The machine's 1-minute load average when the level started (other work on the box shows here). */
  loadAverage: number;
  /** CPU during the phases: machine % of all cores; processes % of one core. */
  cpu: { machine: number; loadGen: number; web: number[]; rawMachine: number; rawLoadGen: number };
}

const log = (msg: string) => console.log(`[bench] ${msg}`);

/** CPU use while `fn` runs: the whole machine (% of all cores) and each given process (% of one core). */
export async function withCpu<T>(
  pids: number[],
  fn: () => Promise<T>,
): Promise<{ result: T; machine: number; procs: number[] }> {
  const machine = () => {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    return { idle: f[3]! + f[4]!, total: f.reduce((a, b) => a + b, 0) };
  };
  const proc = (pid: number) => {
    try {
      const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return Number(f[11]) + Number(f[12]);
    } catch {
      return 0;
    }
  };
  const hz = 100;
  const m0 = machine();
  const p0 = pids.map(proc);
  const t0 = Date.now();
  const result = await fn();
  const seconds = (Date.now() - t0) / 1000;
  const m1 = machine();
  return {
    result,
    machine: Math.round((1 - (m1.idle - m0.idle) / (m1.total - m0.total)) * 100),
    procs: pids.map((pid, i) => Math.round(((proc(pid) - p0[i]!) / hz / seconds) * 100)),
  };
}

async function main(): Promise<void> {
  log(
    `machine: ${os.cpus().length} cores (nproc ${execFileSync('nproc').toString().trim()}), ${os.cpus()[0]?.model ?? ''}, Node ${process.version}`,
  );
  const stops: Array<() => Promise<void>> = [];
  try {
    const { urls, pids } = settings.url
      ? { urls: [settings.url], pids: [] as number[] }
      : await startPlatform(stops);
    const prisma = createPrisma(settings.databaseUrl, 4);
    stops.push(() => prisma.$disconnect());

    // The sale: made through the campaigns service (its rules: publication makes the signing
    // key), not the measured path.
    const platform = await createPlatform(
      loadConfig({
        ...env,
        DATABASE_URL: settings.databaseUrl,
        REDIS_URL: settings.redisUrl,
        DATABASE_POOL_SIZE: '2',
      }),
      { service: 'bench-setup' },
    );
    stops.push(() => platform.close());
    const { campaigns } = createModules(platform);
    const seller = sellerActor({ email: 'bench-seller@example.test', name: 'Bench seller' });
    const draft = await campaigns.createCampaign(
      seller,
      campaignBody(new Date(), {
        title: `Bench ${new Date().toISOString()}`,
        maxTicketsPerCustomer: 1_000_000,
      }),
    );
    const hot = await campaigns.createTicketType(seller, draft.id, {
      name: 'Hot',
      priceMinor: 500_000,
      capacity: 10_000_000,
      maxPerOrder: 10,
    });
    const rawType = await campaigns.createTicketType(seller, draft.id, {
      name: 'Raw baseline',
      priceMinor: 500_000,
      capacity: 10_000_000,
      maxPerOrder: 10,
    });
    const campaign = await campaigns.publishCampaign(seller, draft.id);
    log(`campaign ${campaign.id}, hot type ${hot.id}`);

    const users = await signInUsers(urls[0]!, settings.users);
    log(`${users.length} users signed in`);
    const ceiling = await startCeiling(stops);
    const ceilingUsers = await ceilingSessions(ceiling.url, settings.users);
    log(`framework ceiling ${ceiling.url} (${ceilingUsers.length} sessions)`);

    // Warm-up: JIT, pools, prepared statements.
    await driveApi(urls, users, campaign.id, hot.id, 16, 3);
    await driveCeiling(ceiling.url, ceilingUsers, campaign.id, hot.id, 16, 3);

    const results: LevelResult[] = [];
    for (const connections of settings.connections) {
      // Alternate ours and raw in rounds, so that a change in the machine's background load hits both alike.
      const before = await counterOf(prisma, hot.id);
      const apiRuns: ApiSamples[] = [];
      const rawRuns: RawSamples[] = [];
      const cpuOurs: Array<Awaited<ReturnType<typeof withCpu>>> = [];
      const cpuRaw: Array<Awaited<ReturnType<typeof withCpu>>> = [];
      const ceilingRuns: ApiSamples[] = [];
      let webCpuMs = 0;
      let ceilingCpuMs = 0;
      const load = os.loadavg()[0]!;
      for (let round = 0; round < settings.rounds; round++) {
        const webCpuBefore = processCpuMs(pids);
        const o = await withCpu([process.pid, ...pids], () =>
          driveApi(urls, users, campaign.id, hot.id, connections, settings.durationS),
        );
        webCpuMs += processCpuMs(pids) - webCpuBefore;
        apiRuns.push(o.result);
        cpuOurs.push(o);
        const ceilingCpuBefore = processCpuMs([ceiling.pid]);
        ceilingRuns.push(
          await driveCeiling(ceiling.url, ceilingUsers, campaign.id, hot.id, connections, settings.durationS),
        );
        ceilingCpuMs += processCpuMs([ceiling.pid]) - ceilingCpuBefore;
        // Requests in flight when autocannon stopped may still commit: let them land.
        await new Promise((r) => setTimeout(r, 1000));
        const w = await withCpu([process.pid], () =>
          driveRaw(settings.databaseUrl, campaign, rawType.id, connections, settings.durationS),
        );
        rawRuns.push(w.result);
        cpuRaw.push(w);
      }
      const ours = summariseApi(apiRuns);
      const raw = summariseRaw(rawRuns);
      const top = summariseCeiling(ceilingRuns, ceilingCpuMs);
      const after = await counterOf(prisma, hot.id);
      const violations = await inventoryViolations(prisma, [campaign.id]);
      const avg = (xs: number[]) => Math.round(xs.reduce((a, b) => a + b, 0) / xs.length);
      const r: LevelResult = {
        connections,
        ours,
        raw,
        ceiling: top,
        cpuUsPerReservation: ours.created ? Math.round((webCpuMs * 1000) / ours.created) : 0,
        oversold: after.sold + after.reserved > after.capacity,
        // Every 201 holds its ticket; a few more may be held by requests cut off at the end of the run.
        countersMatch: violations.length === 0 && after.reserved - before.reserved >= ours.created,
        heldAfterCutoff: after.reserved - before.reserved - ours.created,
        cpu: {
          machine: avg(cpuOurs.map((c) => c.machine)),
          loadGen: avg(cpuOurs.map((c) => c.procs[0]!)),
          web: pids.map((_, i) => avg(cpuOurs.map((c) => c.procs[i + 1]!))),
          rawMachine: avg(cpuRaw.map((c) => c.machine)),
          rawLoadGen: avg(cpuRaw.map((c) => c.procs[0]!)),
        },
        loadAverage: load,
      };
      results.push(r);
      log(
        `${connections} conns: ours ${ours.rps.toFixed(0)}/s p50 ${ours.p50} p95 ${ours.p95} p99 ${ours.p99} ms (201: ${ours.created}, 409: ${ours.soldOut}, other: ${ours.otherNon2xx}, errors: ${ours.errors}) | ` +
          `raw ${raw.tps.toFixed(0)}/s p99 ${raw.p99} ms | ratio ${(ours.rps / raw.tps).toFixed(2)} | ` +
          `ceiling ${top.rps.toFixed(0)}/s p99 ${top.p99} ms (non-2xx ${top.non2xx}, errors ${top.errors}) | ours/ceiling ${(ours.rps / top.rps).toFixed(2)} | ` +
          `web CPU ${r.cpuUsPerReservation} µs/reservation, ceiling ${top.cpuUsPerRequest} µs/request | oversold: ${r.oversold ? 'YES' : 'no'}, counters ${r.countersMatch ? 'exact' : 'MISMATCH'}` +
          ` | load ${r.loadAverage.toFixed(1)} | CPU ours: machine ${r.cpu.machine}%, web ${r.cpu.web.join('+')}%, autocannon ${r.cpu.loadGen}%; raw: machine ${r.cpu.rawMachine}%, client ${r.cpu.rawLoadGen}%`,
      );
    }
    report(results);
    if (process.argv.includes('--write')) writeDocs(section(results, users.length));
    if (results.some((r) => r.oversold || !r.countersMatch)) process.exitCode = 1;
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
}

export async function startPlatform(
  stops: Array<() => Promise<void>>,
): Promise<{ urls: string[]; pids: number[] }> {
  const dbName = new URL(settings.databaseUrl).pathname.slice(1);
  const dropDatabase = async () => {
    const admin = new pg.Client({ connectionString: new URL('/postgres', settings.databaseUrl).toString() });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(dbName)} WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  };
  const pools = await sizePools(settings.databaseUrl, {
    webProcesses: settings.webProcesses,
    wanted: env.BENCH_DB_POOL ? int(env.BENCH_DB_POOL, 20) : 20,
    // This script's own clients: the set-up platform (2), the invariant checks (4), the admin client (1).
    setUp: 8,
  });
  settings.dbPool = pools.dbPool;
  rawPool = int(env.BENCH_RAW_POOL, pools.rawPool);
  log(
    `PostgreSQL: ${pools.budget.free} of ${pools.budget.max} connections free → pool ${settings.dbPool} per web process, raw pool ${rawPool}`,
  );
  await dropDatabase();
  await migrateDatabase(settings.databaseUrl);
  // Registered first, so it runs last: after the web processes and our own client have let go.
  if (!env.BENCH_KEEP_DATABASE) stops.push(dropDatabase);
  log(`fresh database ${dbName}${env.BENCH_KEEP_DATABASE ? ' (kept afterwards)' : ' (dropped afterwards)'}`);

  // Sessions, CSRF secrets, rate-limit counters and view counters of this run: deleted at the end.
  const redisPrefix = `bench:${process.pid}:`;
  stops.push(async () => {
    const redis = await createRedis(settings.redisUrl, 'bench-cleanup');
    try {
      let deleted = 0;
      for await (const keys of redis.scanIterator({ MATCH: `${redisPrefix}*`, COUNT: 1000 })) {
        if (keys.length) deleted += await redis.del(keys);
      }
      log(`deleted ${deleted} Redis keys under ${redisPrefix}`);
    } finally {
      redis.destroy();
    }
  });

  const provider: OidcProvider = createOidcProvider({
    clients: [{ clientId: CLIENT.id, clientSecret: CLIENT.secret, redirectUris: [] }],
  });
  await provider.listen(0, '127.0.0.1');
  stops.push(() => provider.close());

  const webEnv = {
    DATABASE_URL: settings.databaseUrl,
    DATABASE_POOL_SIZE: String(settings.dbPool),
    REDIS_URL: settings.redisUrl,
    REDIS_PREFIX: redisPrefix,
    NODE_ENV: 'development',
    GOOGLE_CLIENT_ID: CLIENT.id,
    GOOGLE_CLIENT_SECRET: CLIENT.secret,
    GOOGLE_AUTHORIZATION_URL: `${provider.url}/authorize`,
    GOOGLE_TOKEN_URL: `${provider.url}/token`,
    GOOGLE_USERINFO_URL: `${provider.url}/userinfo`,
    // The benchmark measures reservations, not the limiters.
    RATE_LIMIT_MAX: '100000000',
    BOOKING_RATE_LIMIT_MAX: '100000000',
    SIGN_IN_RATE_LIMIT_MAX: '100000000',
  };
  const webs: WebProcess[] = [];
  for (let i = 0; i < settings.webProcesses; i++) {
    // BENCH_WEB_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=var/prof", profiles the web processes.
    const w = await spawnWebProcess(
      webEnv,
      60_000,
      env.BENCH_WEB_NODE_ARGS?.split(' ').filter(Boolean) ?? [],
    );
    webs.push(w);
    stops.push(() => w.stop());
    provider.registerRedirectUri(CLIENT.id, `${w.url}${GOOGLE_CALLBACK_PATH}`);
  }
  log(`${webs.length} web process(es): ${webs.map((w) => w.url).join(', ')} (pool ${settings.dbPool} each)`);
  return { urls: webs.map((w) => w.url), pids: webs.map((w) => w.pid) };
}

/** The browser's sign-in: app → provider /authorize (login_hint approves at once) → app callback. */
async function signIn(url: string, email: string): Promise<User> {
  const jar = new Map<string, string>();
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const absorb = (res: Response) => {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const i = pair!.indexOf('=');
      jar.set(pair!.slice(0, i).trim(), pair!.slice(i + 1).trim());
    }
  };
  const next = (res: Response) => {
    const location = res.headers.get('location');
    if (res.status < 300 || res.status >= 400 || !location)
      throw new Error(`sign-in of ${email}: expected a redirect, got ${res.status}`);
    return new URL(location, res.url).toString();
  };
  const start = await fetch(`${url}/api/v1/auth/google?login_hint=${encodeURIComponent(email)}`, {
    redirect: 'manual',
  });
  absorb(start);
  const authorize = await fetch(next(start), { redirect: 'manual' });
  const callback = await fetch(next(authorize), { redirect: 'manual', headers: { cookie: cookie() } });
  absorb(callback);
  const csrf = await fetch(`${url}/api/v1/auth/csrf`, { headers: { cookie: cookie() } });
  if (!csrf.ok) throw new Error(`csrf for ${email}: ${csrf.status}`);
  return { cookie: cookie(), csrfToken: ((await csrf.json()) as { csrfToken: string }).csrfToken };
}

export async function signInUsers(url: string, n: number): Promise<User[]> {
  const users: User[] = [];
  const run = `${Date.now().toString(36)}`;
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let i = next++; i < n; i = next++) users.push(await signIn(url, `bench-${run}-${i}@example.test`));
    }),
  );
  return users;
}

/** autocannon on POST /api/v1/bookings; each connection is one user, each request a new Idempotency-Key. */
function driveApi(
  urls: string[],
  users: User[],
  campaignId: string,
  ticketTypeId: string,
  connections: number,
  durationS: number,
): Promise<ApiSamples> {
  return drivePost(
    urls,
    users,
    '/api/v1/bookings',
    reserveBodyOf(campaignId, ticketTypeId),
    connections,
    durationS,
    (u) => ({
      'x-csrf-token': u.csrfToken,
      'idempotency-key': crypto.randomUUID(),
    }),
  );
}

const reserveBodyOf = (campaignId: string, ticketTypeId: string) =>
  JSON.stringify({ campaignId, items: [{ ticketTypeId, quantity: 1 }], issuance: 'SINGLE' });

/** The framework ceiling under the same load: the same body and cookie-carrying connections. */
function driveCeiling(
  url: string,
  users: User[],
  campaignId: string,
  ticketTypeId: string,
  connections: number,
  durationS: number,
): Promise<ApiSamples> {
  return drivePost(
    [url],
    users,
    '/echo',
    reserveBodyOf(campaignId, ticketTypeId),
    connections,
    durationS,
    () => ({}),
  );
}

/** autocannon POSTs of `body` to `path`, connections spread over the urls; each connection is one user. */
async function drivePost(
  urls: string[],
  users: User[],
  path: string,
  body: string,
  connections: number,
  durationS: number,
  headersOf: (user: User) => Record<string, string>,
): Promise<ApiSamples> {
  let nextUser = 0;
  const perProcess = urls.map(
    (url, i) => Math.floor(connections / urls.length) + (i < connections % urls.length ? 1 : 0),
  );
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
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
                  path,
                  setupRequest: (req, context) => {
                    const ctx = context as { user?: User };
                    ctx.user ??= users[nextUser++ % users.length]!;
                    return {
                      ...req,
                      headers: {
                        'content-type': 'application/json',
                        cookie: ctx.user.cookie,
                        ...headersOf(ctx.user),
                      },
                      body,
                    };
                  },
                },
              ],
            },
            (err, result) => (err ? reject(err) : resolve(result)),
          );
          // Every response's latency, so that percentiles are exact across processes.
          instance.on('response', (_client, statusCode, _bytes, responseTime) => {
            latencies.push(responseTime);
            statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
          });
        }),
    ),
  );
  return {
    latencies,
    statuses,
    errors: runs.reduce((n, r) => n + r.errors, 0),
    timeouts: runs.reduce((n, r) => n + r.timeouts, 0),
    seconds: durationS,
  };
}

/** The ceiling app (scripts/bench-ceiling-app.ts) as its own process, on this run's Redis prefix. */
async function startCeiling(stops: Array<() => Promise<void>>): Promise<WebProcess> {
  const w = await spawnWebProcess(
    { REDIS_URL: settings.redisUrl, REDIS_PREFIX: `bench:${process.pid}:`, NODE_ENV: 'development' },
    60_000,
    [],
    'scripts/bench-ceiling-app.ts',
  );
  stops.push(() => w.stop());
  return w;
}

/** Sessions stored by the ceiling app, one per user (its stand-in for the sign-in). */
async function ceilingSessions(url: string, n: number): Promise<User[]> {
  const users: User[] = [];
  for (let i = 0; i < n; i += 20)
    users.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(20, n - i) }, async () => {
          const res = await fetch(`${url}/session`, { method: 'POST' });
          if (!res.ok) throw new Error(`ceiling session: ${res.status}`);
          const cookie = res.headers.getSetCookie()[0]!.split(';')[0]!;
          return { cookie, csrfToken: '' };
        }),
      )),
    );
  return users;
}

/** CPU time (user + system, ms) the processes have used so far, from /proc/<pid>/stat. */
function processCpuMs(pids: number[]): number {
  return pids.reduce((sum, pid) => {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return sum + ((Number(f[11]) + Number(f[12])) * 1000) / CLOCK_TICKS_PER_S;
    } catch {
      return sum;
    }
  }, 0);
}
const CLOCK_TICKS_PER_S = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

function summariseCeiling(runs: ApiSamples[], cpuMs: number): LevelResult['ceiling'] {
  const ok = runs.reduce((n, r) => n + (r.statuses['201'] ?? 0), 0);
  const total = runs.reduce((n, r) => n + Object.values(r.statuses).reduce((a, b) => a + b, 0), 0);
  const { p50, p99 } = percentiles(runs.flatMap((r) => r.latencies));
  return {
    rps: ok / runs.reduce((n, r) => n + r.seconds, 0),
    p50,
    p99,
    non2xx: total - ok,
    errors: runs.reduce((n, r) => n + r.errors + r.timeouts, 0),
    cpuUsPerRequest: ok ? Math.round((cpuMs * 1000) / ok) : 0,
  };
}

interface ApiSamples {
  latencies: number[];
  statuses: Record<string, number>;
  errors: number;
  timeouts: number;
  seconds: number;
}
interface RawSamples {
  latencies: number[];
  errors: number;
  seconds: number;
}

function summariseApi(runs: ApiSamples[]): LevelResult['ours'] {
  const statuses: Record<string, number> = {};
  for (const r of runs) for (const [k, v] of Object.entries(r.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
  const created = statuses['201'] ?? 0;
  const soldOut = statuses['409'] ?? 0;
  const total = Object.values(statuses).reduce((a, b) => a + b, 0);
  const seconds = runs.reduce((n, r) => n + r.seconds, 0);
  return {
    rps: created / seconds,
    ...percentiles(runs.flatMap((r) => r.latencies)),
    created,
    soldOut,
    otherNon2xx: total - created - soldOut,
    errors: runs.reduce((n, r) => n + r.errors, 0),
    timeouts: runs.reduce((n, r) => n + r.timeouts, 0),
    statuses,
  };
}

function summariseRaw(runs: RawSamples[]): LevelResult['raw'] {
  const latencies = runs.flatMap((r) => r.latencies);
  return {
    tps: latencies.length / runs.reduce((n, r) => n + r.seconds, 0),
    ...percentiles(latencies),
    errors: runs.reduce((n, r) => n + r.errors, 0),
  };
}

export function percentiles(latencies: number[]) {
  const sorted = [...latencies].sort((a, b) => a - b);
  const pct = (p: number) =>
    Math.round((sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0) * 10) / 10;
  return { p50: pct(50), p95: pct(95), p99: pct(99) };
}

/**
 * The raw baseline: `connections` concurrent clients over a node-postgres pool as large as the
 * web tier's, each looping BEGIN; the same conditional UPDATE; INSERT booking + item; COMMIT.
 */
export async function driveRaw(
  databaseUrl: string,
  campaign: { id: string; sellerId: string },
  ticketTypeId: string,
  connections: number,
  durationS: number,
): Promise<RawSamples> {
  const user = crypto.randomUUID();
  const { latencies, errors } = await rawTransactions(
    databaseUrl,
    rawPool,
    connections,
    durationS,
    async (client) => {
      const up = await client.query(
        'UPDATE ticket_types SET reserved = reserved + 1, has_bookings = true WHERE id = $1 AND sold + reserved + 1 <= capacity',
        [ticketTypeId],
      );
      if (up.rowCount !== 1) throw new Error('sold out');
      const now = new Date();
      await client.query(
        `WITH b AS (
         INSERT INTO bookings (id, reference, user_id, campaign_id, seller_id, status, issuance, currency, total_minor, expires_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, 'PENDING', 'SINGLE', 'NGN', 500000, $6, $7, $7) RETURNING id)
       INSERT INTO booking_items (id, booking_id, ticket_type_id, ticket_type_name, unit_price_minor, quantity, entries_per_ticket, line_total_minor)
       SELECT $8, b.id, $9, 'Raw baseline', 500000, 1, 1, 500000 FROM b`,
        [
          crypto.randomUUID(),
          newReference(),
          user,
          campaign.id,
          campaign.sellerId,
          new Date(now.getTime() + 15 * 60_000),
          now,
          crypto.randomUUID(),
          ticketTypeId,
        ],
      );
    },
  );
  return { latencies, errors, seconds: durationS };
}

async function counterOf(prisma: ReturnType<typeof createPrisma>, id: string) {
  const rows = await prisma.$queryRaw<
    Array<{ capacity: number; sold: number; reserved: number }>
  >`SELECT capacity, sold, reserved FROM ticket_types WHERE id = ${id}::uuid`;
  return rows[0]!;
}

const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);

function report(results: LevelResult[]): void {
  console.log(
    '\nconns | ours res/s | p50 | p95 | p99 (ms) | 201 | 409 | other | errors | raw tx/s | raw p99 | ceiling req/s | ceiling p99 | our/raw | our/ceiling | web CPU µs/res | ceiling CPU µs/req | oversold | counters | load | CPU machine/web',
  );
  for (const r of results) {
    console.log(
      [
        r.connections,
        r.ours.rps.toFixed(0),
        r.ours.p50,
        r.ours.p95,
        r.ours.p99,
        r.ours.created,
        r.ours.soldOut,
        r.ours.otherNon2xx,
        r.ours.errors + r.ours.timeouts,
        r.raw.tps.toFixed(0),
        r.raw.p99,
        r.ceiling.rps.toFixed(0),
        r.ceiling.p99,
        ratio(r.ours.rps, r.raw.tps).toFixed(2),
        ratio(r.ours.rps, r.ceiling.rps).toFixed(2),
        r.cpuUsPerReservation,
        r.ceiling.cpuUsPerRequest,
        r.oversold ? 'YES' : 'no',
        r.countersMatch ? 'exact' : 'MISMATCH',
        r.loadAverage.toFixed(1),
        `${r.cpu.machine}%/${r.cpu.web.join('+')}%`,
      ].join(' | '),
    );
  }
  const v = verdict(results);
  if (v) console.log(`\n${v}`);
}

/** The issue's targets at 64 connections, met or not, in words. */
function verdict(results: LevelResult[]): string {
  const r = results.find((x) => x.connections === 64);
  if (!r) return '';
  const checks: Array<[string, boolean]> = [
    [
      `our/raw ${ratio(r.ours.rps, r.raw.tps).toFixed(2)} (target ≥ 1.5)`,
      ratio(r.ours.rps, r.raw.tps) >= 1.5,
    ],
    [
      `our/ceiling ${ratio(r.ours.rps, r.ceiling.rps).toFixed(2)} (target ≥ 0.5)`,
      ratio(r.ours.rps, r.ceiling.rps) >= 0.5,
    ],
    [`p99 ${r.ours.p99} ms (target < 100 ms)`, r.ours.p99 < 100],
    [`oversold ${r.oversold ? 'YES' : 'no'} (target no)`, !r.oversold && r.countersMatch],
    [
      `errors ${r.ours.errors + r.ours.timeouts + r.ours.otherNon2xx} (target 0)`,
      r.ours.errors + r.ours.timeouts + r.ours.otherNon2xx === 0,
    ],
  ];
  return (
    `At 64 connections: ${checks.map(([t, ok]) => `${t}: ${ok ? 'met' : 'not met'}`).join('; ')}. ` +
    `Web CPU ${r.cpuUsPerReservation} µs per reservation against the ceiling's ${r.ceiling.cpuUsPerRequest} µs per request (load ${r.loadAverage.toFixed(1)}).`
  );
}

/** The docs/benchmarks.md section of this run (figures, set-up, the target, how to read it). */
function section(results: LevelResult[], users: number): string {
  const rows = results.map(
    (r) =>
      `| ${r.connections} | ${r.ours.rps.toFixed(0)} | ${r.ours.p50} / ${r.ours.p95} / ${r.ours.p99} | ${r.ours.created} / ${r.ours.soldOut} / ${r.ours.otherNon2xx} / ${r.ours.errors + r.ours.timeouts} | ` +
      `${r.raw.tps.toFixed(0)} | ${r.raw.p99} | ${r.ceiling.rps.toFixed(0)} | ${r.ceiling.p99} | **${ratio(r.ours.rps, r.raw.tps).toFixed(2)}** | **${ratio(r.ours.rps, r.ceiling.rps).toFixed(2)}** | ` +
      `${r.cpuUsPerReservation} / ${r.ceiling.cpuUsPerRequest} | ${r.oversold ? 'YES' : 'no'} | ${r.loadAverage.toFixed(1)} | ${r.cpu.machine}% / ${r.cpu.web.join(' + ')}% |`,
  );
  return [
    '## Reservations: POST /api/v1/bookings vs raw PostgreSQL and the framework ceiling (`npm run bench:reserve`)',
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} on nproc ${execFileSync('nproc').toString().trim()} (${os.cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}; ` +
      `PostgreSQL, Redis, the web process(es), the ceiling app, autocannon and the raw client all on the same machine.`,
    `${settings.url ? 'A running platform' : `${settings.webProcesses} web process(es) (\`node --import tsx src/server.ts\`, DATABASE_POOL_SIZE ${settings.dbPool}, sized from PostgreSQL's free connections)`}, ` +
      `${users} users signed in through the real OpenID redirects, one hot ticket type (capacity 10,000,000). Each connection is one user; every ` +
      `request is \`POST /api/v1/bookings\` for 1 ticket with a new Idempotency-Key, through sessions, CSRF, the actor load and the rate limits. ` +
      `Per level, ${settings.rounds} rounds of ${settings.durationS} s ours, ${settings.durationS} s the ceiling, then ${settings.durationS} s raw, alternating. Raw: node-postgres, as many ` +
      `concurrent clients as connections over a pool of ${rawPool}, each looping BEGIN; the same conditional UPDATE; INSERT booking + item (one statement); COMMIT. ` +
      'Ceiling: scripts/bench-ceiling-app.ts, one process: Express 5, express.json and the same session store (src/shared/http/session.ts on the same Redis) ' +
      'answering the same JSON POST with a session lookup, and nothing else.',
    '',
    '| connections | ours (reservations/s) | p50 / p95 / p99 (ms) | 201 / 409 / other / errors | raw (tx/s) | raw p99 (ms) | ceiling (req/s) | ceiling p99 (ms) | our/raw | our/ceiling | CPU µs: web per reservation / ceiling per request | oversold | load avg | CPU machine / web |',
    '|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---|---|---:|---|',
    ...rows,
    '',
    verdict(results),
    '',
    "After every level the script checks in SQL that `sold + reserved <= capacity` and that `reserved` equals the PENDING bookings' items " +
      '(test/support/inventory-invariant.ts); a run that fails it exits non-zero. "load avg" is the machine\'s 1-minute load when the level ' +
      'started: this machine is shared, and figures taken while other work runs on it are lower and noisier for all three sides. ' +
      "CPU per reservation is the web process's user + system time (/proc/<pid>/stat) over the rounds divided by the 201s: it moves far less with the load than the rates do.",
  ].join('\n');
}

function writeDocs(text: string): void {
  log(`wrote the reservations section of ${writeBenchmarkSection('reserve', text)}`);
}

// bench:seats imports the platform start-up and the raw baseline from here: run only as a script.
if (require.main === module)
  main().catch((err) => {
    console.error(`bench failed: ${(err as Error).stack ?? err}`);
    process.exit(1);
  });
