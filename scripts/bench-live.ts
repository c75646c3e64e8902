/**
 * `npm run bench:live [-- --clients 10000 --client-processes 5 --campaigns 4 --rate 200 --seconds 10 --write]`:
 * live counters for thousands of browsers, measured end to end.
 *
 *  1. A fresh `ticketing_bench_live` database (BENCH_DATABASE_URL to choose another), its own
 *     RabbitMQ vhost, Redis prefix and storage folder, all removed at the end. `--campaigns`
 *     campaigns on sale, one paid ticket type each (so bookings stay PENDING: booking.reserved).
 *  2. Two web processes (`src/server.ts`, Socket.io with the Redis adapter), the relay and the
 *     realtime worker (`workers/relay`, `workers/realtime`), as `npm start` runs them.
 *  3. `--clients` Socket.io clients (socket.io-client, websocket) in `--client-processes` child
 *     processes (scripts/bench-live-clients.ts), spread evenly over both web processes and the
 *     campaigns' rooms; each gets the join snapshot.
 *  4. A reservation burst: `--rate` bookings per second for `--seconds`, one ticket each, round
 *     robin over the campaigns, through the bookings service in this process (what
 *     POST /api/v1/bookings calls; the time taken is when it returns 201, after the commit).
 *     For every (client, booking) pair: the time from that 201 to the first counter message at
 *     the client that includes it (`reserved` ≥ the booking's rank in its campaign). Reported:
 *     p50/p99, the fan-out spread (first → last client of each broadcast), messages per second
 *     delivered, the web processes' RSS, and every client's last numbers against the database.
 *  5. A reconnect storm: every client disconnects and reconnects at the same moment, re-joins
 *     and must get the final numbers in its snapshot; errors and the time it took are printed.
 *  `--write` puts the figures, with nproc and the load, into docs/benchmarks.md.
 *  Each web process holds clients / 2 sockets and each client process clients / processes: the
 *  script checks the open-file limit (`ulimit -n`) first and says what it needs.
 *  For profiles: BENCH_WEB_NODE_ARGS, BENCH_WORKER_NODE_ARGS (the realtime worker and the relay)
 *  and BENCH_CLIENT_NODE_ARGS go to node itself in the web, worker and client processes (e.g. `--cpu-prof --cpu-prof-dir=var/prof`); with
 *  `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=var/heap` among the web's, each web process
 *  writes a heap snapshot after all clients left, and its heap is measured again after the full
 *  garbage collection the snapshot makes (what is garbage not yet collected vs what is held).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createModules } from '../src/modules/container';
import { loadConfig } from '../src/shared/config';
import { createLogger } from '../src/shared/logger';
import { migrateDatabase } from '../src/shared/migrate';
import { createPlatform, type Platform } from '../src/shared/platform';
import { campaignBody, sellerActor } from '../test/support/factories';
import { spawnWebProcess, type WebProcess } from '../test/support/web-process';
import { spawnWorkerProcess, type WorkerProcess } from '../test/support/worker-process';
import { writeBenchmarkSection } from './bench-docs';
import {
  busyShare,
  cpuMs,
  createVhost,
  dropDatabase,
  loadAvg,
  machineTicks,
  removeBenchResources,
} from './bench-resources';
import type { ClientCommand } from './bench-live-clients';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

const CLIENTS = arg('clients', 10_000);
const CLIENT_PROCESSES = arg('client-processes', 5);
const CAMPAIGNS = arg('campaigns', 4);
const RATE = arg('rate', 200);
const SECONDS = arg('seconds', 10);
const WEBS = 2;
const WRITE = process.argv.includes('--write');
const nodeArgs = (name: string) => (process.env[name] ?? '').split(/\s+/).filter(Boolean);
const WEB_NODE_ARGS = nodeArgs('BENCH_WEB_NODE_ARGS');
const CLIENT_NODE_ARGS = nodeArgs('BENCH_CLIENT_NODE_ARGS');
const WORKER_NODE_ARGS = nodeArgs('BENCH_WORKER_NODE_ARGS');
const HEAP_SIGNAL = WEB_NODE_ARGS.map((a) => /^--heapsnapshot-signal=(\w+)$/.exec(a)?.[1]).find(Boolean);
const DATABASE_URL =
  process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/ticketing_bench_live';
const DATABASE_NAME = new URL(DATABASE_URL).pathname.slice(1);
const VHOST = `ticketing-bench-live-${process.pid}`;
const REDIS_PREFIX = `bench:live:${process.pid}:`;
const log = (m: string) => console.log(`[bench] ${m}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** This process's soft open-file limit (children inherit it). */
function openFileLimit(): number {
  const line = fs
    .readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'));
  const soft = line?.split(/\s{2,}/)[1];
  return soft === 'unlimited' ? Infinity : Number(soft);
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** A web process's V8 heap in use (MB), from its /metrics: what RSS would return to if the allocator gave pages back. */
async function heapUsedMb(url: string): Promise<number> {
  // A fresh connection: a pooled one may have just hit the server's keep-alive time-out.
  const text = await fetch(`${url}/metrics`, { headers: { connection: 'close' } }).then((r) => r.text());
  const m = /^nodejs_heap_size_used_bytes(?:\{[^}]*\})? ([0-9.e+]+)$/m.exec(text);
  return m ? Number(m[1]) / 1024 / 1024 : NaN;
}

interface ClientProcess {
  child: ChildProcess;
  request<T>(msg: ClientCommand, answer: string): Promise<T>;
}

function startClientProcess(): Promise<ClientProcess> {
  const child = spawn(
    process.execPath,
    [...CLIENT_NODE_ARGS, '--import', 'tsx', path.join(__dirname, 'bench-live-clients.ts')],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const request = <T>(msg: ClientCommand, answer: string) =>
    new Promise<T>((resolve, reject) => {
      const onMessage = (m: { cmd: string }) => {
        if (m.cmd !== answer) return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(m as T);
      };
      const onExit = (code: number | null) => reject(new Error(`client process exited (${code})`));
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send(msg);
    });
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve({ child, request }));
    child.once('exit', (code) => reject(new Error(`client process exited (${code}) before it was ready`)));
  });
}

function percentile(histogram: Map<number, number>, total: number, p: number): number {
  const keys = [...histogram.keys()].sort((a, b) => a - b);
  let seen = 0;
  for (const k of keys) {
    seen += histogram.get(k)!;
    if (seen >= total * p) return k;
  }
  return keys[keys.length - 1] ?? NaN;
}

function sorted(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? NaN;
}

async function main(): Promise<void> {
  const nproc = execFileSync('nproc').toString().trim();
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const perWeb = Math.ceil(CLIENTS / WEBS);
  const perClientProcess = Math.ceil(CLIENTS / CLIENT_PROCESSES);
  const needed = Math.max(perWeb, perClientProcess) + 256;
  const limit = openFileLimit();
  log(`machine: nproc ${nproc}, ${cpu}, Node ${process.version}, load ${loadAvg()}, ulimit -n ${limit}`);
  if (limit < needed) {
    throw new Error(
      `the open-file limit (ulimit -n) is ${limit}; ${CLIENTS} clients need ${needed} per process ` +
        `(${perWeb} sockets per web process, ${perClientProcess} per client process, plus files and ` +
        `database, Redis and RabbitMQ connections): run \`ulimit -n ${Math.max(needed, 20000)}\` first`,
    );
  }

  const storageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-live-'));
  const stops: Array<() => Promise<void>> = [];
  let platform: Platform | undefined;
  const resources = { databaseUrl: DATABASE_URL, vhost: VHOST, redisPrefix: REDIS_PREFIX, dir: storageDir };
  createVhost(VHOST);
  // Ctrl-C or a kill still removes what the run made (the `finally` below does not run then).
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`[bench] ${signal}: removing the run's database, vhost, Redis keys and files`);
      removeBenchResources(resources)
        .catch((e: Error) => console.error(e.message))
        .finally(() => process.exit(130));
    });
  }
  const env: Record<string, string> = {
    NODE_ENV: 'development',
    DATABASE_URL,
    AMQP_URL: `amqp://guest:guest@127.0.0.1:5672/${encodeURIComponent(VHOST)}`,
    REDIS_PREFIX,
    STORAGE_DIR: storageDir,
    LOG_LEVEL: 'warn',
    MIGRATE_ON_START: 'false',
    SEED_DEMO: 'false',
  };
  try {
    await dropDatabase(DATABASE_URL);
    await migrateDatabase(DATABASE_URL);
    const config = loadConfig({ ...process.env, ...env });
    platform = await createPlatform(config, {
      service: 'bench',
      logger: createLogger({ level: 'warn', service: 'bench' }),
    });
    log(
      `fresh database ${DATABASE_NAME}, vhost ${VHOST}, Redis prefix ${REDIS_PREFIX}; fold LIVE_COUNTERS_INTERVAL_MS ${config.LIVE_COUNTERS_INTERVAL_MS}, LIVE_SEND_BUDGET ${config.LIVE_SEND_BUDGET} messages/s per web process`,
    );

    const { campaigns, bookings } = createModules(platform);
    const seller = sellerActor({ email: 'bench-live-seller@example.test', name: 'Bench seller' });
    const sales: Array<{ campaignId: string; ticketTypeId: string }> = [];
    for (let i = 0; i < CAMPAIGNS; i++) {
      const draft = await campaigns.createCampaign(
        seller,
        campaignBody(new Date(), { title: `Live bench ${i + 1}`, maxTicketsPerCustomer: 10 }),
      );
      const type = await campaigns.createTicketType(seller, draft.id, {
        name: 'Regular',
        priceMinor: 5000,
        capacity: 10_000_000,
        maxPerOrder: 10,
      });
      await campaigns.publishCampaign(seller, draft.id);
      sales.push({ campaignId: draft.id, ticketTypeId: type.id });
    }

    const webs: WebProcess[] = [];
    for (let i = 0; i < WEBS; i++) {
      const w = await spawnWebProcess({ ...env, LOG_LEVEL: 'info' }, 60_000, WEB_NODE_ARGS);
      webs.push(w);
      stops.push(() => w.stop());
    }
    const realtime: WorkerProcess = await spawnWorkerProcess(
      'realtime',
      { ...env, LOG_LEVEL: 'info' },
      60_000,
      WORKER_NODE_ARGS,
    );
    stops.push(() => realtime.stop());
    // The relay in its own process, as `npm start` runs it (this one is busy with the burst).
    const relay = spawn(process.execPath, [...WORKER_NODE_ARGS, '--import', 'tsx', 'workers/relay/main.ts'], {
      cwd: path.resolve(__dirname, '..'),
      env: { ...process.env, ...env, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    stops.push(async () => {
      if (relay.exitCode !== null) return;
      const exited = new Promise((r) => relay.once('exit', r));
      relay.kill('SIGTERM');
      await exited;
    });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      relay.stdout!.on('data', (c: Buffer) => {
        if (out.length < 10_000) out += c.toString();
        if (out.includes('outbox relay started')) resolve();
      });
      relay.once('exit', (code) => reject(new Error(`relay exited (${code}):\n${out}`)));
    });
    log(`web processes ${webs.map((w) => w.url).join(', ')}; realtime worker and relay running`);
    const rss = {
      before: webs.map((w) => rssMb(w.pid)),
      connected: [] as number[],
      peak: [0, 0],
      after: [] as number[],
    };
    const heapBefore = await Promise.all(webs.map((w) => heapUsedMb(w.url)));
    const samplePeak = setInterval(() => {
      webs.forEach((w, i) => (rss.peak[i] = Math.max(rss.peak[i]!, rssMb(w.pid))));
    }, 200);
    stops.push(async () => clearInterval(samplePeak));

    const procs = await Promise.all(Array.from({ length: CLIENT_PROCESSES }, () => startClientProcess()));
    stops.push(async () => {
      for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    });
    const connectLoad = loadAvg();
    const connected = await Promise.all(
      procs.map((p, i) =>
        p.request<{ clients: number; failed: number; ms: number }>(
          {
            cmd: 'connect',
            urls: webs.map((w) => w.url),
            campaigns: sales.map((s) => s.campaignId),
            count: Math.min(perClientProcess, CLIENTS - i * perClientProcess),
            offset: i * perClientProcess,
          },
          'connected',
        ),
      ),
    );
    const joined = connected.reduce((a, c) => a + c.clients, 0);
    const failedConnects = connected.reduce((a, c) => a + c.failed, 0);
    rss.connected = webs.map((w) => rssMb(w.pid));
    const heapJoined = await Promise.all(webs.map((w) => heapUsedMb(w.url)));
    log(
      `${joined} clients connected and joined (${failedConnects} failed) in ${(Math.max(...connected.map((c) => c.ms)) / 1000).toFixed(1)} s (load ${connectLoad}); web RSS ${rss.before.map((r) => r.toFixed(0)).join(' / ')} → ${rss.connected.map((r) => r.toFixed(0)).join(' / ')} MB`,
    );

    // When each broadcast leaves the realtime worker: its publish on the room's Redis channel
    // (the Socket.io emitter's), to split the latency into worker side and fan-out side.
    const published: Record<string, number[]> = Object.fromEntries(sales.map((s) => [s.campaignId, []]));
    const tap = platform.redis.duplicate();
    tap.on('error', () => undefined);
    await tap.connect();
    stops.push(() => tap.close().then(() => undefined));
    await tap.pSubscribe(`${REDIS_PREFIX}socket.io#/#campaign:*`, (_message, channel) => {
      const id = /campaign:([0-9a-f-]{36})#/.exec(channel)?.[1];
      if (id) published[id]?.push(Date.now());
    });

    // The burst: RATE bookings per second for SECONDS, round robin over the campaigns.
    const burstLoad = loadAvg();
    // CPU of every process of ours over the burst and its delivery (until every client has the
    // final numbers): per message delivered, it hardly moves with other work on the machine.
    const cpuOf = () => ({
      web: webs.reduce((a, w) => a + cpuMs(w.pid), 0),
      realtime: cpuMs(realtime.pid),
      relay: cpuMs(relay.pid!),
      clients: procs.reduce((a, p) => a + cpuMs(p.child.pid!), 0),
      machine: machineTicks(),
    });
    const cpuBefore = cpuOf();
    const times: Record<string, number[]> = Object.fromEntries(sales.map((s) => [s.campaignId, []]));
    let failedBookings = 0;
    const total = Math.round(RATE * SECONDS);
    const inFlight = new Set<Promise<void>>();
    const from = Date.now();
    for (let i = 0; i < total; i++) {
      const due = from + (i * 1000) / RATE;
      if (due > Date.now()) await sleep(due - Date.now());
      const sale = sales[i % sales.length]!;
      const buyer = {
        userId: crypto.randomUUID(),
        email: `live${i}@example.test`,
        name: `Buyer ${i}`,
        roles: ['CUSTOMER' as const],
        memberships: [],
      };
      const p = bookings
        .reserveBooking(buyer, crypto.randomUUID(), {
          campaignId: sale.campaignId,
          items: [{ ticketTypeId: sale.ticketTypeId, quantity: 1 }],
          issuance: 'SINGLE',
        })
        .then((r) => {
          if (r.status === 201) times[sale.campaignId]!.push(Date.now());
          else failedBookings++;
        })
        .catch(() => void failedBookings++)
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await Promise.all(inFlight);
    const burstEnd = Date.now();
    const booked = Object.values(times).reduce((a, t) => a + t.length, 0);
    log(
      `burst: ${booked} bookings (201) in ${((burstEnd - from) / 1000).toFixed(1)} s, ${failedBookings} failed (load ${burstLoad})`,
    );

    // Quiet: let the last fold go out, then compare every client's last numbers with PostgreSQL.
    await sleep(3000);
    const finals: Record<string, number> = {};
    for (const s of sales) {
      const [c] = await platform.prisma.$queryRaw<Array<{ reserved: number }>>`
        SELECT reserved FROM ticket_types WHERE id = ${s.ticketTypeId}::uuid`;
      finals[s.campaignId] = c!.reserved;
      if (c!.reserved !== times[s.campaignId]!.length)
        throw new Error(
          `campaign ${s.campaignId}: reserved ${c!.reserved}, bookings ${times[s.campaignId]!.length}`,
        );
    }
    // Every client's last numbers must become the final ones; under load the last broadcasts
    // may still be on their way, so wait for them (up to a minute) before counting who missed.
    const waitedFrom = Date.now();
    for (;;) {
      const answers = await Promise.all(
        procs.map((p) => p.request<{ current: number }>({ cmd: 'finals', finals }, 'finals')),
      );
      if (answers.reduce((a, x) => a + x.current, 0) >= joined || Date.now() - waitedFrom > 60_000) break;
      await sleep(500);
    }
    const finalsAfterMs = Date.now() - burstEnd;
    const cpuAfter = cpuOf();
    const measured = await Promise.all(
      procs.map((p) =>
        p.request<{
          histogram: Record<string, number>;
          spread: Record<string, [number, number]>;
          messages: number;
          inWindow: number;
          missedFinal: number;
          missedSome: number;
          clients: number;
        }>({ cmd: 'measure', bookings: times, finals, from, until: Date.now() }, 'measured'),
      ),
    );
    const histogram = new Map<number, number>();
    const spreadAll = new Map<string, [number, number]>();
    for (const m of measured) {
      for (const [k, v] of Object.entries(m.histogram))
        histogram.set(Number(k), (histogram.get(Number(k)) ?? 0) + v);
      for (const [k, [a, b]] of Object.entries(m.spread)) {
        const s = spreadAll.get(k);
        spreadAll.set(k, s ? [Math.min(s[0], a), Math.max(s[1], b)] : [a, b]);
      }
    }
    // Broadcast n of a campaign (by rising `reserved`) is its n-th publish: each broadcast carries
    // the campaign's one ticket type, and only when its numbers changed.
    const publishToFirst: number[] = [];
    const publishToLast: number[] = [];
    const commitToPublish: number[] = [];
    let unmatched = 0;
    for (const s of sales) {
      const casts = [...spreadAll.entries()]
        .filter(([k]) => k.startsWith(`${s.campaignId}|`))
        .map(([k, v]) => ({ value: Number(k.split('|')[1]), first: v[0], last: v[1] }))
        .sort((a, b) => a.value - b.value);
      const pubs = published[s.campaignId]!.filter((t) => t >= from);
      if (pubs.length !== casts.length) unmatched += Math.abs(pubs.length - casts.length);
      casts.forEach((c, i) => {
        const t = pubs[i];
        if (t === undefined) return;
        publishToFirst.push(c.first - t);
        publishToLast.push(c.last - t);
      });
      let j = 0;
      times[s.campaignId]!.forEach((t201, k) => {
        while (j < casts.length && casts[j]!.value < k + 1) j++;
        const t = pubs[j];
        if (t !== undefined) commitToPublish.push(Math.max(0, t - t201));
      });
    }
    const pairs = [...histogram.values()].reduce((a, b) => a + b, 0);
    const delivered0 = measured.reduce((a, m) => a + m.inWindow, 0);
    const booked0 = Object.values(times).reduce((a, t) => a + t.length, 0);
    const cpuUse = {
      webUsPerMessage: ((cpuAfter.web - cpuBefore.web) * 1000) / Math.max(1, delivered0),
      clientsUsPerMessage: ((cpuAfter.clients - cpuBefore.clients) * 1000) / Math.max(1, delivered0),
      realtimeMsPerBooking: (cpuAfter.realtime - cpuBefore.realtime) / Math.max(1, booked0),
      relayMsPerBooking: (cpuAfter.relay - cpuBefore.relay) / Math.max(1, booked0),
      machineBusy: busyShare(cpuBefore.machine, cpuAfter.machine),
    };
    log(
      `CPU over the burst and its delivery: web ${cpuUse.webUsPerMessage.toFixed(1)} µs per message delivered, clients ${cpuUse.clientsUsPerMessage.toFixed(1)} µs per message, realtime worker ${cpuUse.realtimeMsPerBooking.toFixed(2)} ms and relay ${cpuUse.relayMsPerBooking.toFixed(2)} ms per booking; machine busy ${(cpuUse.machineBusy * 100).toFixed(0)} %`,
    );
    const spreads = [...spreadAll.values()].map(([a, b]) => b - a);
    const delivered = measured.reduce((a, m) => a + m.inWindow, 0);
    const lastArrival = Math.max(...[...spreadAll.values()].map(([, b]) => b));
    const deliverySeconds = (lastArrival - from) / 1000;
    const result = {
      p50: percentile(histogram, pairs, 0.5),
      p99: percentile(histogram, pairs, 0.99),
      max: Math.max(...histogram.keys()),
      pairs,
      broadcasts: spreadAll.size,
      spreadP50: sorted(spreads, 0.5),
      spreadP99: sorted(spreads, 0.99),
      spreadMax: Math.max(...spreads),
      messagesPerSecond: delivered / deliverySeconds,
      missedFinal: measured.reduce((a, m) => a + m.missedFinal, 0),
      missedSome: measured.reduce((a, m) => a + m.missedSome, 0),
    };
    log(
      `201 → counter at the client, over ${pairs} (client, booking) pairs: p50 ${result.p50} ms, p99 ${result.p99} ms, max ${result.max} ms`,
    );
    log(
      `fan-out spread (first → last client) over ${result.broadcasts} broadcasts: p50 ${result.spreadP50} ms, p99 ${result.spreadP99} ms, max ${result.spreadMax} ms; ${delivered} messages delivered = ${result.messagesPerSecond.toFixed(0)} messages/s`,
    );
    const split = {
      toPublishP50: sorted(commitToPublish, 0.5),
      toPublishP99: sorted(commitToPublish, 0.99),
      firstP50: sorted(publishToFirst, 0.5),
      firstP99: sorted(publishToFirst, 0.99),
      lastP50: sorted(publishToLast, 0.5),
      lastP99: sorted(publishToLast, 0.99),
    };
    log(
      `split: 201 → broadcast published by the worker p50 ${split.toPublishP50} ms, p99 ${split.toPublishP99} ms; published → first client p50 ${split.firstP50} / p99 ${split.firstP99} ms, → last client p50 ${split.lastP50} / p99 ${split.lastP99} ms${unmatched ? ` (${unmatched} broadcasts unmatched)` : ''}`,
    );
    log(
      `clients whose last numbers differ from the database ${(finalsAfterMs / 1000).toFixed(1)} s after the burst: ${result.missedFinal} of ${joined}`,
    );

    // The reconnect storm.
    const stormLoad = loadAvg();
    const stormed = await Promise.all(
      procs.map((p) =>
        p.request<{
          ms: number;
          failed: number;
          retries: number;
          reasons: Record<string, number>;
          stale: number;
          clients: number;
        }>({ cmd: 'storm', finals, timeoutMs: 120_000 }, 'stormed'),
      ),
    );
    const storm = {
      seconds: Math.max(...stormed.map((s) => s.ms)) / 1000,
      errors: stormed.reduce((a, s) => a + s.failed, 0),
      retries: stormed.reduce((a, s) => a + s.retries, 0),
      reasons: [
        ...stormed
          .flatMap((s) => Object.entries(s.reasons))
          .reduce((m, [k, v]) => m.set(k, (m.get(k) ?? 0) + v), new Map<string, number>()),
      ]
        .map(([k, v]) => `${k} ×${v}`)
        .join(', '),
      stale: stormed.reduce((a, s) => a + s.stale, 0),
      clients: stormed.reduce((a, s) => a + s.clients, 0),
    };
    log(
      `reconnect storm: ${storm.clients} clients reconnected and re-joined in ${storm.seconds.toFixed(1)} s; ${storm.errors} not back within 120 s, ${storm.stale} without the final numbers in their snapshot; ${storm.retries} failed attempts retried by the clients${storm.retries ? ` (${storm.reasons})` : ''} (load ${stormLoad})`,
    );
    const peak = [...rss.peak];
    await Promise.all(procs.map((p) => p.request({ cmd: 'close' }, 'never').catch(() => undefined)));
    await sleep(5000);
    rss.after = webs.map((w) => rssMb(w.pid));
    const heapAfter = await Promise.all(webs.map((w) => heapUsedMb(w.url)));
    log(
      `web RSS (MB, per process): before clients ${rss.before.map((r) => r.toFixed(0)).join(' / ')}, ${joined} joined ${rss.connected.map((r) => r.toFixed(0)).join(' / ')}, peak ${peak.map((r) => r.toFixed(0)).join(' / ')}, 5 s after all left ${rss.after.map((r) => r.toFixed(0)).join(' / ')}; V8 heap used before ${heapBefore.map((r) => r.toFixed(0)).join(' / ')}, joined ${heapJoined.map((r) => r.toFixed(0)).join(' / ')}, after ${heapAfter.map((r) => r.toFixed(0)).join(' / ')}`,
    );
    if (HEAP_SIGNAL) {
      // The snapshot blocks the process while it collects and writes; /metrics answers after it.
      for (const w of webs) process.kill(w.pid, HEAP_SIGNAL as NodeJS.Signals);
      await sleep(1000);
      const heapCollected = await Promise.all(webs.map((w) => heapUsedMb(w.url)));
      log(
        `heap snapshots written (${WEB_NODE_ARGS.join(' ')}); V8 heap used after their full collection ${heapCollected.map((r) => r.toFixed(0)).join(' / ')} MB, RSS ${webs.map((w) => rssMb(w.pid).toFixed(0)).join(' / ')} MB`,
      );
    }
    log(`uptime: ${execFileSync('uptime').toString().trim()}`);
    const verdict = [
      `p99 ${result.p99} ms (target < 250 ms: ${result.p99 < 250 ? 'met' : 'not met'})`,
      `${result.missedFinal} clients missed the final counter (target 0: ${result.missedFinal === 0 ? 'met' : 'not met'})`,
      `reconnect storm ${storm.errors} clients not back, ${storm.stale} stale (target 0: ${storm.errors + storm.stale === 0 ? 'met' : 'not met'}), ${storm.retries} retried attempts`,
    ];
    log(verdict.join('; '));

    if (WRITE) {
      const mb = (a: number[]) => a.map((r) => r.toFixed(0)).join(' / ');
      log(
        `wrote the live section of ${writeBenchmarkSection(
          'live',
          `## Live counters: ${joined} Socket.io clients on ${WEBS} web processes (\`npm run bench:live\`)

Measured ${new Date().toISOString().slice(0, 10)} on nproc ${nproc} (${cpu}), Node ${process.version}; PostgreSQL, RabbitMQ, Redis, ${WEBS} web processes, the relay, the realtime worker (fold LIVE_COUNTERS_INTERVAL_MS ${config.LIVE_COUNTERS_INTERVAL_MS}, send budget LIVE_SEND_BUDGET ${config.LIVE_SEND_BUDGET} messages/s per web process), ${CLIENT_PROCESSES} client processes and the script on the same machine, shared with other work. Open-file limit ${limit} (needed ≥ ${needed} per process).
${joined} clients (socket.io-client, websocket) spread over both web processes and ${CAMPAIGNS} campaign rooms; burst of ${booked} reservations (${RATE}/s for ${SECONDS} s, one ticket each, through the bookings service in the script: the time taken is when it returns 201 after its commit). Latency = the first counter message at a client whose \`reserved\` includes the booking, minus the booking's 201, over every (client, booking) pair.

| | figure | load avg |
|---|---|---|
| clients connected and joined | ${joined} (${failedConnects} failed) | ${connectLoad} |
| 201 → counter at the client | p50 **${result.p50} ms**, p99 **${result.p99} ms**, max ${result.max} ms (${pairs} pairs) | ${burstLoad} |
| of which: 201 → broadcast published by the realtime worker | p50 ${split.toPublishP50} ms, p99 ${split.toPublishP99} ms | |
| of which: published → first / last client | p50 ${split.firstP50} / ${split.lastP50} ms, p99 ${split.firstP99} / ${split.lastP99} ms | |
| fan-out spread, first → last client of a broadcast | p50 ${result.spreadP50} ms, p99 ${result.spreadP99} ms, max ${result.spreadMax} ms (${result.broadcasts} broadcasts) | |
| messages delivered | ${delivered} = ${result.messagesPerSecond.toFixed(0)} messages/s | |
| clients whose last numbers differ from the database (${(finalsAfterMs / 1000).toFixed(1)} s after the burst) | ${result.missedFinal} | |
| reconnect storm (all at once, socket.io-client reconnection on) | ${storm.clients - storm.errors} of ${storm.clients} back and re-joined in ${storm.seconds.toFixed(1)} s; ${storm.errors} not back within 120 s; ${storm.stale} without the final numbers; ${storm.retries} failed attempts retried${storm.retries ? ` (${storm.reasons})` : ''} | ${stormLoad} |
| web RSS per process (MB) | before ${mb(rss.before)}; joined ${mb(rss.connected)}; peak ${mb(peak)}; 5 s after all left ${mb(rss.after)} (V8 heap in use: before ${mb(heapBefore)}, joined ${mb(heapJoined)}, after ${mb(heapAfter)}) | |
| CPU over the burst and its delivery | web ${cpuUse.webUsPerMessage.toFixed(1)} µs per message delivered; clients ${cpuUse.clientsUsPerMessage.toFixed(1)} µs per message; realtime worker ${cpuUse.realtimeMsPerBooking.toFixed(2)} ms, relay ${cpuUse.relayMsPerBooking.toFixed(2)} ms per booking; machine busy ${(cpuUse.machineBusy * 100).toFixed(0)} % | |

${verdict.join('; ')}.

How it works. The realtime worker folds per campaign (workers/realtime/handler.ts \`createFold\`, one fold for sales counters and gate counts): a campaign that has been quiet for the interval gets its refresh at once, under load at most one refresh per interval, each reading absolute numbers after the commits it covers, and only ticket types whose numbers changed are sent. The sales counters' folds also wait their turn in a send budget (\`createSendBudget\`: LIVE_SEND_BUDGET messages/s per web process, a refresh costing one message per browser watching, as the web processes report their rooms' sizes to Redis every second): under it a refresh goes at once, past it the hot campaigns are refreshed in turn, each once per (their audiences summed / the budget) seconds, instead of asking the web processes and browsers for more messages than they can send and read (the fixed 100 ms fold asked for 100,000 messages/s here). The share of the budget used falls while a web process's event loop lags more than 75 ms (\`budgetShare\`, for a machine whose cores other work takes). Each broadcast is one Redis publish; each web process's adapter encodes the packet and its WebSocket frame once per room fan-out, and the frame is written with one \`write\` straight to each WebSocket's TCP socket when engine.io holds nothing unsent for it (src/shared/realtime.ts \`writeBroadcastsDirectly\`; otherwise engine.io's own path, which costs a packet object, a corked writev, a write callback and events per socket). Joins of one campaign are coalesced into one snapshot read (a reconnect storm costs a few reads, not one per browser), and sockets drop their HTTP upgrade request after the handshake.

Reading the figures. Latency = fold wait (0 to the interval, or to the budget's turn, under load) + outbox relay + RabbitMQ + the worker's read + Redis + the web's fan-out + the client process's own event loop; the "of which" rows split it at the worker's Redis publish (timed by this script's own subscription, so also subject to this script's event loop, which runs the burst). The clients run on the same two cores as everything else: ${CLIENT_PROCESSES} processes parsing every message for ${joined} sockets are a load a real audience's browsers would carry themselves. CPU budget: messages/s × (web + client µs per message) must fit in what the bookings leave of 2 cores (the relay, the realtime worker, PostgreSQL and this script take about 0.7 core at 200 bookings/s); a refresh interval I for ${joined} watchers costs ${joined}/I messages/s, so p99 < 250 ms (I ≤ about 150 ms, 67,000 messages/s) needs 67,000 × (web + client µs per message) of CPU for the messages alone: 2.2 cores at the 16 + 16 µs measured on a quiet machine before the direct writes, more than this machine has while its clients share the cores (a real audience's browsers carry their half; the web's half is about 1 core over 2 processes). Web RSS after all left: the V8 heap in use right after they leave is mostly garbage no collection has run for yet (an idle process does not collect); with BENCH_WEB_NODE_ARGS="--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=var/heap" the script measures it again after the snapshot's full collection (69–71 MB on 2026-12-01, below the 88–95 MB before the clients came: no socket's state is kept), and the RSS the allocator does not give back to the system stays. Open files: each web process holds ${perWeb} sockets and each client process ${perClientProcess}; the limit here was ${limit} (the script refuses to start below ${needed}: raise it with \`ulimit -n\`, e.g. 20000, before the run; a default of 1024 fails at about 1,000 sockets per process).
`,
        )}`,
      );
    }
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await platform?.close();
    log(await removeBenchResources(resources));
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
