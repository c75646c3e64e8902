/**
 * `npm run bench:tickets [-- --bookings 300 --seconds 5 --total 10000 --threads 1 --write]`: how fast the
 * tickets worker issues tickets through the queue, next to a plain loop rendering the same PDF,
 * in the same run.
 *
 *  1. A fresh `ticketing_bench_tickets` database (BENCH_DATABASE_URL to choose another), its own
 *     RabbitMQ vhost (made and removed with rabbitmqctl), Redis prefix and storage folder; all
 *     four are removed at the end, whatever happens (the database dropped, the prefix's keys
 *     deleted). An ACTIVE campaign with a free ticket type.
 *  2. Plain loop (before, between and after the queue rounds; each ratio's baseline is the mean
 *     of the loops next to it): for `--seconds`, sign a payload and render a one-ticket PDF with
 *     the worker's own campaign context, in one thread of this process.
 *  3. Queue: one copy, then two copies, each with `--threads` render threads per copy
 *     (TICKETS_RENDER_THREADS, default 1) and again rendering in the main thread (0). N real
 *     bookings of one ticket confirmed through the bookings service (each booking.confirmed in
 *     the outbox); the worker process(es) (workers/tickets/main.ts, as `npm start` runs it) start
 *     and subscribe; the clock starts when the relay begins publishing and stops when every job
 *     has committed (inbox row), PDF stored. The workers' CPU time (/proc, all threads) per
 *     ticket and the machine's busy share are printed too: unlike tickets/s they hardly move
 *     with other work on the machine.
 *  4. End to end: `--total` tickets in bookings of mixed sizes (1 to 8 people, SINGLE and
 *     SEPARATE), two worker copies; from the relay's first publish to the last job's commit.
 *     Checked in SQL: every ticket once, serials 1..n gapless per campaign, every file there.
 *  `--write` puts the figures, with nproc and the load, into docs/benchmarks.md.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createModules } from '../src/modules/container';
import {
  qrDimensions,
  renderTicketsPdf,
  generateSigningKeyPair,
  signTicketPayload,
  type TicketPdfContext,
} from '../src/modules/tickets';
import { loadConfig } from '../src/shared/config';
import { createLogger } from '../src/shared/logger';
import { migrateDatabase } from '../src/shared/migrate';
import { OutboxRelay } from '../src/shared/messaging/relay';
import { declareTopology } from '../src/shared/messaging/topology';
import { createPlatform, type Platform } from '../src/shared/platform';
import { LocalStorage } from '../src/shared/storage';
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
  threadCpuMs,
} from './bench-resources';
import { campaignBody, sellerActor } from '../test/support/factories';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

const BOOKINGS = arg('bookings', 300);
const SECONDS = arg('seconds', 5);
const TOTAL = arg('total', 10_000);
const WRITE = process.argv.includes('--write');
/** Render threads per worker copy in the default rounds (the platform's default). */
const RENDER_THREADS = arg('threads', 1);
const pct = (x: number) => `${Math.round(x * 100)} %`;
const DATABASE_URL =
  process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/ticketing_bench_tickets';
const DATABASE_NAME = new URL(DATABASE_URL).pathname.slice(1);
const VHOST = `ticketing-bench-${process.pid}`;
const REDIS_PREFIX = `bench:tickets:${process.pid}:`;
const QUEUE = 'tickets.issue';
// e.g. BENCH_WORKER_NODE_ARGS="--cpu-prof --cpu-prof-dir=var/prof" profiles every worker copy.
const WORKER_NODE_ARGS = process.env.BENCH_WORKER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
const log = (m: string) => console.log(`[bench] ${m}`);

interface Sale {
  campaignId: string;
  ticketTypeId: string;
}

interface Round {
  copies: number;
  /** TICKETS_RENDER_THREADS of each copy (0: rendering in the main thread). */
  threads: number;
  /** Share of the whole machine's CPU time that was busy during the round (all processes). */
  machineBusy: number;
  bookings: number;
  tickets: number;
  seconds: number;
  ticketsPerSecond: number;
  /** The worker processes' user + system CPU over the round, per ticket. */
  cpuMsPerTicket: number;
  /** Of which the main threads' (the queue, the database, the files). */
  mainCpuMsPerTicket: number;
  /** Of which the render threads' (with render threads: each copy's busiest thread besides the main one). */
  renderCpuMsPerTicket: number | null;
  /** PostgreSQL's part: the CPU of this database's server processes (the workers' and this script's connections). */
  pgCpuMsPerTicket: number;
  load: string;
}

/**
 * The CPU of each worker's threads between two readings: its main thread (its id is the process
 * id), its render thread (with `threads` 1: the busiest other thread; V8's GC helpers, the
 * compiler and libuv's pool make the rest), and all of them.
 */
function splitCpu(pid: number, before: Map<number, number>, after: Map<number, number>, threads: number) {
  const delta = [...after].map(([tid, ms]) => [tid, ms - (before.get(tid) ?? 0)] as const);
  const main = delta.find(([tid]) => tid === pid)?.[1] ?? 0;
  const others = delta.filter(([tid]) => tid !== pid).map(([, ms]) => ms);
  const render = threads > 0 ? Math.max(0, ...others) : 0;
  return { main, render, total: main + others.reduce((a, b) => a + b, 0) };
}

/** CPU so far of the PostgreSQL server processes serving `database` (their /proc, by pid). */
async function postgresCpuMs(platform: Platform, database: string): Promise<Map<number, number>> {
  const rows = await platform.prisma.$queryRaw<Array<{ pid: number }>>`
    SELECT pid FROM pg_stat_activity WHERE datname = ${database}`;
  const out = new Map<number, number>();
  for (const { pid } of rows) {
    try {
      out.set(pid, cpuMs(pid));
    } catch {
      // the connection ended meanwhile
    }
  }
  return out;
}

const cpuDelta = (before: Map<number, number>, after: Map<number, number>) =>
  [...after].reduce((sum, [pid, ms]) => sum + ms - (before.get(pid) ?? 0), 0);

/*
 * The worker processes running now, and this script's own platform: on a signal both are
 * stopped BEFORE the run's resources are removed. A worker (or the platform's shared counters)
 * still running after the clean-up would write its metric keys again under the prefix, and keep
 * connections to the dropped database open.
 */
const liveWorkers = new Set<WorkerProcess>();
const live = (w: WorkerProcess) => (liveWorkers.add(w), w);
let openPlatform: Platform | undefined;
/** Set by the signal handler, which cleans up itself: the failures it causes in main() then clean nothing. */
let signalled = false;

async function createSale(platform: Platform): Promise<Sale> {
  const { campaigns } = createModules(platform);
  const seller = sellerActor({ email: 'bench-seller@example.test', name: 'Bench seller' });
  const draft = await campaigns.createCampaign(
    seller,
    campaignBody(new Date(), {
      title: 'Lagos Jazz Night 2026',
      venueName: 'Eko Hotel, Victoria Island',
      venueAddress: '1 Adetokunbo Ademola St',
      maxTicketsPerCustomer: 10,
    }),
  );
  const type = await campaigns.createTicketType(seller, draft.id, {
    name: 'VIP Table',
    priceMinor: 0,
    capacity: 1_000_000,
    maxPerOrder: 10,
    attributes: { benefits: ['Welcome drink', 'Front row'] },
  });
  await campaigns.publishCampaign(seller, draft.id);
  return { campaignId: draft.id, ticketTypeId: type.id };
}

/** Tickets a booking of `quantity` people gets: SINGLE one ticket for all, SEPARATE one each. */
interface Shape {
  quantity: number;
  issuance: 'SINGLE' | 'SEPARATE';
}
const ticketsOf = (s: Shape) => (s.issuance === 'SINGLE' ? 1 : s.quantity);
const single: Shape = { quantity: 1, issuance: 'SINGLE' };

/** Confirmed free bookings through the bookings service, 16 at a time (each its own buyer). */
async function placeBookings(platform: Platform, sale: Sale, shapes: Shape[]): Promise<void> {
  const { bookings } = createModules(platform);
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < shapes.length) {
        const i = next++;
        const shape = shapes[i]!;
        const buyer = {
          userId: crypto.randomUUID(),
          email: `buyer${i}@example.test`,
          name: `Buyer ${i}`,
          roles: ['CUSTOMER' as const],
          memberships: [],
        };
        const r = await bookings.reserveBooking(buyer, crypto.randomUUID(), {
          campaignId: sale.campaignId,
          items: [{ ticketTypeId: sale.ticketTypeId, quantity: shape.quantity }],
          issuance: shape.issuance,
        });
        if ((r.body as { status?: string }).status !== 'CONFIRMED')
          throw new Error(`booking ${i} was not confirmed: ${JSON.stringify(r.body)}`);
      }
    }),
  );
}

async function committedJobs(platform: Platform): Promise<number> {
  return platform.prisma.inboxMessage.count({ where: { consumer: QUEUE } });
}

const WARM_UP_BOOKINGS = 30;

/**
 * Runs `copies` worker processes; warms them up with a few bookings of their own campaign (a
 * long-running worker has its code compiled and its fonts parsed); then places `shapes` (their
 * booking.confirmed events wait in the outbox), publishes them and times until every one of
 * those jobs has committed. The workers subscribe before anything is published, so every copy
 * takes part from the first message.
 */
async function round(
  platform: Platform,
  baseEnv: Record<string, string>,
  copies: number,
  threads: number,
  sale: Sale,
  shapes: Shape[],
): Promise<Round> {
  const env = { ...baseEnv, TICKETS_RENDER_THREADS: String(threads) };
  const workers: WorkerProcess[] = [];
  const relay = new OutboxRelay({
    prisma: platform.prisma,
    broker: platform.broker,
    databaseUrl: platform.config.DATABASE_URL,
    logger: platform.logger,
    counters: platform.counters,
    batchSize: 500,
    pollMs: 1000,
  });
  const settled = async (jobs: number) => {
    while ((await committedJobs(platform)) < jobs) await new Promise((r) => setTimeout(r, 25));
  };
  try {
    for (let i = 0; i < copies; i++)
      workers.push(live(await spawnWorkerProcess('tickets', env, 60_000, WORKER_NODE_ARGS)));
    const warm = await createSale(platform);
    const warmFrom = await committedJobs(platform);
    await placeBookings(
      platform,
      warm,
      Array.from({ length: WARM_UP_BOOKINGS * copies }, () => single),
    );
    await relay.drain();
    await settled(warmFrom + WARM_UP_BOOKINGS * copies);
    await placeBookings(platform, sale, shapes);
    const before = await committedJobs(platform);
    const load = loadAvg();
    const threads0 = workers.map((w) => threadCpuMs(w.pid));
    const pg0 = await postgresCpuMs(platform, DATABASE_NAME);
    const machine0 = machineTicks();
    const start = performance.now();
    await relay.drain();
    await settled(before + shapes.length);
    const seconds = (performance.now() - start) / 1000;
    const split = workers.map((w, i) => splitCpu(w.pid, threads0[i]!, threadCpuMs(w.pid), threads));
    const machineBusy = busyShare(machine0, machineTicks());
    const pgCpu = cpuDelta(pg0, await postgresCpuMs(platform, DATABASE_NAME));
    const sum = (k: 'main' | 'render' | 'total') => split.reduce((a, x) => a + x[k], 0);
    const tickets = shapes.reduce((sum, s) => sum + ticketsOf(s), 0);
    return {
      copies,
      threads,
      machineBusy,
      bookings: shapes.length,
      tickets,
      seconds,
      ticketsPerSecond: tickets / seconds,
      cpuMsPerTicket: sum('total') / tickets,
      mainCpuMsPerTicket: sum('main') / tickets,
      renderCpuMsPerTicket: threads > 0 ? sum('render') / tickets : null,
      pgCpuMsPerTicket: pgCpu / tickets,
      load,
    };
  } finally {
    await Promise.all(workers.map((w) => w.stop().finally(() => liveWorkers.delete(w))));
  }
}

/** Every ticket once, serials 1..n without gaps or repeats, every booking's file filed and stored. */
async function checkIssued(platform: Platform, storageDir: string, sale: Sale, tickets: number) {
  const [row] = await platform.prisma.$queryRaw<
    Array<{ n: number; min: number; max: number; distinct_serials: number; unfiled: number; files: string[] }>
  >`
    SELECT count(*)::int AS n, min(serial) AS min, max(serial) AS max,
      count(DISTINCT serial)::int AS distinct_serials,
      count(*) FILTER (WHERE file_key IS NULL)::int AS unfiled,
      array_agg(DISTINCT file_key) AS files
    FROM tickets WHERE campaign_id = ${sale.campaignId}::uuid`;
  if (!row || row.n !== tickets || row.min !== 1 || row.max !== tickets || row.distinct_serials !== tickets)
    throw new Error(`serials are not 1..${tickets} once each: ${JSON.stringify(row)}`);
  if (row.unfiled !== 0) throw new Error(`${row.unfiled} tickets have no file`);
  const storage = new LocalStorage(storageDir);
  let bytes = 0;
  for (const key of row.files) {
    const pdf = await storage.get(key);
    if (!pdf) throw new Error(`missing PDF ${key}`);
    bytes += pdf.length;
  }
  return { files: row.files.length, avgPdfBytes: bytes / row.files.length };
}

/** Sign + render a one-ticket PDF with the worker's own context, as fast as one process can. */
async function plainLoop(
  ctx: TicketPdfContext,
  sample: Sale & { validFrom: Date; validUntil: Date },
  perPdf: number,
) {
  const key = generateSigningKeyPair();
  const ticket = (serial: number) => {
    const id = crypto.randomUUID();
    return {
      id,
      bookingId: crypto.randomUUID(),
      ticketTypeId: sample.ticketTypeId,
      serial,
      holderName: 'Buyer 1',
      admits: 1,
      maxScans: 1,
      validFrom: sample.validFrom,
      validUntil: sample.validUntil,
      createdAt: new Date(),
      qrPayload: signTicketPayload(
        {
          ticketId: id,
          campaignId: sample.campaignId,
          ticketTypeId: sample.ticketTypeId,
          maxScans: 1,
          validFrom: sample.validFrom,
          validUntil: sample.validUntil,
          keyId: 1,
        },
        key.privateKey,
      ),
    };
  };
  await renderTicketsPdf([ticket(1)], ctx); // warm-up: fonts are parsed once per process
  let count = 0;
  let size = 0;
  const load = loadAvg();
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  while (performance.now() - start < SECONDS * 1000) {
    size = (
      await renderTicketsPdf(
        Array.from({ length: perPdf }, (_, i) => ticket(i + 1)),
        ctx,
      )
    ).length;
    count++;
  }
  const elapsed = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return {
    cpuMsPerTicket: (cpu.user + cpu.system) / 1000 / (count * perPdf),
    ticketsPerSecond: (count * perPdf) / elapsed,
    msEach: (elapsed * 1000) / count,
    size,
    load,
  };
}

/** 1 to 8 people per booking, SINGLE and SEPARATE mixed, until `total` tickets. */
function mixedShapes(total: number): Shape[] {
  const cycle: Shape[] = [
    { quantity: 1, issuance: 'SINGLE' },
    { quantity: 2, issuance: 'SEPARATE' },
    { quantity: 4, issuance: 'SEPARATE' },
    { quantity: 3, issuance: 'SINGLE' },
    { quantity: 1, issuance: 'SINGLE' },
    { quantity: 6, issuance: 'SEPARATE' },
    { quantity: 2, issuance: 'SINGLE' },
    { quantity: 8, issuance: 'SEPARATE' },
    { quantity: 1, issuance: 'SINGLE' },
    { quantity: 3, issuance: 'SEPARATE' },
  ];
  const shapes: Shape[] = [];
  let tickets = 0;
  for (let i = 0; tickets < total; i++) {
    let shape = cycle[i % cycle.length]!;
    if (tickets + ticketsOf(shape) > total) shape = { quantity: total - tickets, issuance: 'SEPARATE' };
    shapes.push(shape);
    tickets += ticketsOf(shape);
  }
  return shapes;
}

async function main(): Promise<void> {
  const nproc = execFileSync('nproc').toString().trim();
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  log(`machine: nproc ${nproc}, ${cpu}, Node ${process.version}, load ${loadAvg()}`);
  const storageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-tickets-'));
  const resources = { databaseUrl: DATABASE_URL, vhost: VHOST, redisPrefix: REDIS_PREFIX, dir: storageDir };
  createVhost(VHOST);
  // Ctrl-C or a kill still removes what the run made (the `finally` below does not run then).
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      signalled = true;
      console.error(
        `[bench] ${signal}: stopping the workers, removing the run's database, vhost, Redis keys and files`,
      );
      Promise.allSettled([...liveWorkers].map((w) => w.stop(5_000)))
        .then(() => openPlatform?.close())
        .then(() => removeBenchResources(resources))
        .then((removed) => console.error(`[bench] ${removed}`))
        .catch((e: Error) => console.error(e.message))
        .finally(() => process.exit(130));
    });
  }
  const env = {
    NODE_ENV: 'development',
    DATABASE_URL,
    AMQP_URL: `amqp://guest:guest@127.0.0.1:5672/${encodeURIComponent(VHOST)}`,
    REDIS_PREFIX,
    STORAGE_DIR: storageDir,
    LOG_LEVEL: 'info',
    MIGRATE_ON_START: 'false',
  };
  let platform: Platform | undefined;
  try {
    await dropDatabase(DATABASE_URL);
    await migrateDatabase(DATABASE_URL);
    log(`fresh database ${DATABASE_NAME}, vhost ${VHOST}, Redis prefix ${REDIS_PREFIX}`);
    const config = loadConfig({ ...process.env, ...env, LOG_LEVEL: 'warn' });
    platform = openPlatform = await createPlatform(config, {
      service: 'bench',
      logger: createLogger({ level: 'warn', service: 'bench' }),
    });
    // The queue the worker consumes, declared as its consumer declares it, so that every event the
    // relay publishes before a worker subscribes waits there.
    await platform.broker.connection.exchangeDeclare({
      exchange: platform.broker.exchange,
      type: 'topic',
      durable: true,
    });
    // A quorum queue with the consumer's own arguments (a plain declare would make a classic queue
    // that the worker would first have to migrate, inside the timed part).
    await declareTopology(platform.broker, [{ name: QUEUE, events: ['booking.confirmed'] }]);

    const singles: Shape[] = Array.from({ length: BOOKINGS }, () => single);
    const sales: Array<{ sale: Sale; tickets: number }> = [];
    const timed = async (copies: number, threads: number, shapes: Shape[], label: string) => {
      const sale = await createSale(platform!);
      const r = await round(platform!, env, copies, threads, sale, shapes);
      sales.push({ sale, tickets: r.tickets });
      log(
        `${label}: ${r.bookings} bookings, ${r.tickets} tickets in ${r.seconds.toFixed(2)} s = ${r.ticketsPerSecond.toFixed(1)} tickets/s, worker CPU ${r.cpuMsPerTicket.toFixed(2)} ms per ticket (main thread ${r.mainCpuMsPerTicket.toFixed(2)}, render thread ${r.renderCpuMsPerTicket?.toFixed(2) ?? '–'}), PostgreSQL ${r.pgCpuMsPerTicket.toFixed(2)} ms per ticket, machine CPU busy ${pct(r.machineBusy)} (load ${r.load})`,
      );
      return r;
    };

    // The plain loop's context: the worker's own (pdfContextFor), for a campaign like the rounds'.
    const flows = createModules(platform).tickets;
    const loopSale = await createSale(platform);
    const printed = await flows.pdfContextFor(platform.prisma, loopSale.campaignId, [loopSale.ticketTypeId]);
    if (!printed) throw new Error('the benchmark campaign has no PDF context');
    const ctx: TicketPdfContext = { ...printed, bookingReference: 'K7QX-2M9P' };
    const sample = {
      ...loopSale,
      validFrom: new Date(printed.campaign.startsAt.getTime() - 12 * 3_600_000),
      validUntil: new Date((printed.campaign.endsAt ?? printed.campaign.startsAt).getTime() + 12 * 3_600_000),
    };
    const loops: Array<Awaited<ReturnType<typeof plainLoop>>> = [];
    const loopNow = async (label: string) => {
      const l = await plainLoop(ctx, sample, 1);
      loops.push(l);
      log(
        `plain loop (${label}): ${l.ticketsPerSecond.toFixed(1)} tickets/s, ${l.msEach.toFixed(1)} ms per PDF, CPU ${l.cpuMsPerTicket.toFixed(2)} ms per ticket (load ${l.load})`,
      );
      return l;
    };

    // Alternating, so that the baseline of each ratio is measured next to what it is compared with.
    const loopA = await loopNow('1');
    const one = await timed(1, RENDER_THREADS, singles, `queue, 1 copy, ${RENDER_THREADS} render thread(s)`);
    const oneInline = await timed(1, 0, singles, 'queue, 1 copy, rendering in its main thread');
    const loopB = await loopNow('2');
    const two = await timed(
      2,
      RENDER_THREADS,
      singles,
      `queue, 2 copies, ${RENDER_THREADS} render thread(s) each`,
    );
    const twoInline = await timed(2, 0, singles, 'queue, 2 copies, rendering in their main threads');
    const loopC = await loopNow('3');
    const e2e = await timed(2, RENDER_THREADS, mixedShapes(TOTAL), `end to end, 2 copies, mixed sizes`);
    const loopD = await loopNow('4');
    const loop4 = await plainLoop(ctx, sample, 4);
    log(`plain loop, 4 tickets per PDF: ${loop4.ticketsPerSecond.toFixed(1)} tickets/s (load ${loop4.load})`);

    const checks = [];
    for (const s of sales) checks.push(await checkIssued(platform, storageDir, s.sale, s.tickets));
    log(
      `checked: every ticket once, serials 1..n gapless per campaign, ${checks.reduce((a, c) => a + c.files, 0)} PDFs stored and filed`,
    );

    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    // The baseline of the one-copy rounds: the loops run just before and just after them.
    const loop = mean([loopA.ticketsPerSecond, loopB.ticketsPerSecond]);
    const loopCpu = mean(loops.map((l) => l.cpuMsPerTicket));
    const ratio = one.ticketsPerSecond / loop;
    const ratioInline = oneInline.ticketsPerSecond / loop;
    const scale = two.ticketsPerSecond / one.ticketsPerSecond;
    const scaleInline = twoInline.ticketsPerSecond / oneInline.ticketsPerSecond;
    const verdict = (v: number, target: number) =>
      `${v.toFixed(2)} (target ≥ ${target}: ${v >= target ? 'met' : 'not met'})`;
    const qr = qrDimensions(crypto.randomBytes(125));
    const lines = [
      `one copy (${RENDER_THREADS} render thread) / plain loop (mean of the loops before and after): ${verdict(ratio, 0.9)}; rendering in its main thread: ${ratioInline.toFixed(2)}`,
      `CPU per ticket: plain loop ${loopCpu.toFixed(2)} ms; one copy ${one.cpuMsPerTicket.toFixed(2)} ms (${RENDER_THREADS} render thread), ${oneInline.cpuMsPerTicket.toFixed(2)} ms (main thread): plain / worker ${(loopCpu / one.cpuMsPerTicket).toFixed(2)} and ${(loopCpu / oneInline.cpuMsPerTicket).toFixed(2)}`,
      `two copies / one copy: ${verdict(scale, 1.6)} with ${RENDER_THREADS} render thread each; ${scaleInline.toFixed(2)} rendering in their main threads`,
      `end to end: ${e2e.tickets} tickets (${e2e.bookings} bookings of 1–8 people, SINGLE and SEPARATE) in ${e2e.seconds.toFixed(1)} s = ${e2e.ticketsPerSecond.toFixed(1)} tickets/s (load ${e2e.load})`,
      `uptime at the end: ${execFileSync('uptime').toString().trim()}`,
    ];
    for (const l of lines) log(l);

    if (WRITE) {
      const row = (label: string, r: Round) =>
        `| ${label} | ${r.bookings} | ${r.tickets} | ${r.seconds.toFixed(2)} | ${r.ticketsPerSecond.toFixed(1)} | ${r.cpuMsPerTicket.toFixed(2)} | ${r.mainCpuMsPerTicket.toFixed(2)} | ${r.renderCpuMsPerTicket?.toFixed(2) ?? '–'} | ${r.pgCpuMsPerTicket.toFixed(2)} | ${pct(r.machineBusy)} | ${r.load} |`;
      const loopRow = (label: string, l: (typeof loops)[number]) =>
        `| ${label} | ${l.ticketsPerSecond.toFixed(1)} | ${l.msEach.toFixed(1)} | ${l.cpuMsPerTicket.toFixed(2)} | ${l.load} |`;
      log(
        `wrote the tickets section of ${writeBenchmarkSection(
          'tickets',
          `## Tickets: issuance through the queue vs a plain render loop (\`npm run bench:tickets\`)

Measured ${new Date().toISOString().slice(0, 10)} on nproc ${nproc} (${cpu}), Node ${process.version}; PostgreSQL, RabbitMQ, Redis, the worker(s) and this script on the same machine (load averages 1 / 5 / 15 min in the tables; "machine busy" is the share of all cores' time that was not idle during the round, every process included).
Each round: confirmed bookings wait in the outbox, the worker process(es) (\`workers/tickets/main.ts\`, consumer concurrency 6, TICKETS_RENDER_THREADS as stated) subscribe, then the relay publishes and the clock runs until the last job has committed (tickets, stored PDF, tickets.issued). The plain loop signs a payload and renders the same one-ticket PDF (the worker's campaign context) in one thread of this process for ${SECONDS} s; it runs before, between and after the rounds, so each ratio's baseline is measured next to it.

| round | bookings | tickets | seconds | tickets/s | worker CPU ms per ticket | of which main thread | of which render thread | PostgreSQL CPU ms per ticket | machine busy | load avg |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|
${row(`one copy, ${RENDER_THREADS} render thread`, one)}
${row('one copy, rendering in its main thread (TICKETS_RENDER_THREADS=0)', oneInline)}
${row(`two copies, ${RENDER_THREADS} render thread each`, two)}
${row('two copies, rendering in their main threads', twoInline)}
${row(`end to end, two copies, mixed sizes (1–8 people, SINGLE and SEPARATE)`, e2e)}

| plain loop (one thread) | tickets/s | ms per PDF | CPU ms per ticket | load avg |
|---|---:|---:|---:|---|
${loopRow('before the one-copy rounds', loopA)}
${loopRow('after them', loopB)}
${loopRow('after the two-copy rounds', loopC)}
${loopRow('after the end-to-end round', loopD)}
${loopRow('4 tickets per PDF', loop4)}

One copy / plain loop: **${verdict(ratio, 0.9)}** (rendering in the main thread: ${ratioInline.toFixed(2)}). Two copies / one copy: **${verdict(scale, 1.6)}** (rendering in the main threads: ${scaleInline.toFixed(2)}). CPU per ticket, plain loop / worker: ${(loopCpu / one.cpuMsPerTicket).toFixed(2)} with a render thread, ${(loopCpu / oneInline.cpuMsPerTicket).toFixed(2)} without. ${e2e.tickets} tickets end to end: **${e2e.seconds.toFixed(1)} s, ${e2e.ticketsPerSecond.toFixed(1)} tickets/s**. Average PDF ${(checks[0]!.avgPdfBytes / 1024).toFixed(1)} KiB; QR version ${qr.version} (${qr.modules}×${qr.modules} modules), level M. After the rounds the script checks in SQL that every campaign's serials are 1..n once each and every ticket is filed with its PDF stored. \`uptime\` at the end: \`${execFileSync('uptime').toString().trim()}\`.

How a job runs (workers/tickets/handler.ts, tickets.workflows.ts \`prepareIssue\` / \`fileIssuedOnPool\`). Step 1, before the inbox transaction: in the common case (the booking CONFIRMED without tickets, the campaign's key decrypted and its seller's name cached in the process) a transaction on node-postgres, on the pool under Prisma: BEGIN with the booking's issuance lock in one round trip, ONE read (the booking with its lines and seats, the campaign with its ticket types, the buyer, whether tickets exist and the ACTIVE key id: one snapshot after the lock, each part's SQL from its own module), the payloads signed, ONE write (the campaign's serial counter and the multi-row INSERT of the tickets, numbered from it), COMMIT: four round trips where the Prisma path took twelve. Anything else (a redelivery, a refund, the first job of a campaign) takes the general Prisma path, which handles every case. Then the PDF is rendered holding no connection and no lock, in the process's render thread (src/modules/tickets/tickets.render-pool.ts, worker_threads), while the main thread reads the next messages, runs their transactions and stores the finished files. Step 2: BEGIN; ONE statement (the consumer's inbox row, the guarded transition \`file_key NULL → key\` on VALID tickets only if the row went in, the tickets.issued outbox row only if the transition happened); the PDF stored (fsync); COMMIT: three round trips where the Prisma inbox transaction took five. A duplicate finds its inbox row and writes nothing; a booking filed already or revoked meanwhile rolls back and runs the general inbox transaction, which tells them apart. Exactly once still holds: the issuance lock and the unique booking position keep the tickets single, serials are allocated in the statement that inserts them (gapless), a crash after step 1 leaves unfiled tickets that the redelivery files (test/tickets/tickets-worker-crash.test.ts kills a worker mid-render), and a refund between the steps revokes the tickets and the transition then files nothing. PDF rendering keeps each word's shaping per font for the process (a third of a page's time before; nearly every word repeats from page to page).

Reading the figures. CPU per ticket moves much less with other work on the machine than tickets/s does (it still grows on a crowded machine: shared caches and hyper-threads), and under heavy load the scheduler gives a worker with two busy threads about twice the share of the one-thread loop, which flatters the one-copy ratio: compare CPU per ticket first. The plain loop is one thread rendering the same PDF; a worker with one render thread renders on one core and does everything else (its main thread: PostgreSQL and RabbitMQ round trips, logging, storing files) on the other, which it shares with PostgreSQL, RabbitMQ, this script and anyone else's work. It can reach the loop only when the render thread is never starved: main thread + PostgreSQL + RabbitMQ per ticket must fit in the other core while the render thread takes one ticket's render time. Two copies on a two-core machine have no third core to go to: with render threads one copy already has both cores' worth of threads, so the two-copy figure shows what the machine has spare, not how copies scale (with more cores each copy adds its render thread's core; the main-thread rounds show copies that each use one core). The sum of the CPU columns per ticket (worker + PostgreSQL, plus RabbitMQ's share, not measured here) against 2 cores × 1000 ms is the ceiling of this machine in tickets/s.
`,
        )}`,
      );
    }
  } finally {
    if (!signalled) {
      await platform?.close();
      log(await removeBenchResources(resources));
    }
  }
}

main().catch((err) => {
  if (signalled) return;
  console.error(err);
  process.exitCode = 1;
});
