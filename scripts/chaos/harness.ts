import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GOOGLE_CALLBACK_PATH } from '../../src/modules/auth';
import { WEBHOOK_PATH } from '../../src/modules/payments';
import { loadConfig } from '../../src/shared/config';
import { createLogger } from '../../src/shared/logger';
import { migrateDatabase } from '../../src/shared/migrate';
import { createPlatform, type Platform } from '../../src/shared/platform';
import { Supervisor, type ChildSpec } from '../../src/shared/supervisor';
import { createFlutterwaveSimulator, type FlutterwaveSimulator } from '../../tools/flutterwave-sim/simulator';
import type { OidcProvider } from '../../tools/oidc-provider/provider';
import { TicketsQueues } from '../../workers/tickets/handler';
import { authOverrides, makeSeller, signIn, startOidcProvider } from '../../test/support/auth';
import { startLocalSmtp, type LocalSmtp } from '../../test/support/smtp-server';
import { TcpProxy } from '../../test/support/tcp-proxy';
import { createSale, type Sale } from '../../test/support/sale';
import { runChecks, type Check } from './checks';
import { GaveUpError, HttpClient, newTally, type Session, type Tally } from './client';
import { Load, type LoadFigures } from './load';
import {
  AMQP_BASE,
  PG_BASE,
  REDIS_BASE,
  chaosNames,
  createResources,
  freePort,
  listQueues,
  removeResources,
  type ChaosNames,
} from './resources';

/** Every process of the platform, as `npm start` runs them (scripts/start.ts). */
export const PLATFORM_PROCESSES = [
  'web',
  'relay',
  'scheduler',
  'realtime',
  'tickets',
  'email',
  'payments',
  'finance',
  'payouts',
] as const;
export type ProcessName = (typeof PLATFORM_PROCESSES)[number];
export type Dependency = 'rabbitmq' | 'redis' | 'postgresql';

/** The first probe interval of a dependency cut, while the proxy drops the open sockets. */
const CUT_GRACE_MS = 250;

export interface ChaosOptions {
  /** Signed-in buyers the load uses. */
  buyers: number;
  /** Concurrent virtual users (each loops over mixed operations). */
  concurrency: number;
  /** Load before the first fault, and between faults. */
  warmupMs: number;
  settleMs: number;
  /** Processes SIGKILLed in turn (restarted by the supervisor). */
  kills: ProcessName[];
  /** Dependencies made unreachable in turn, each for outageMs. */
  outages: Dependency[];
  outageMs: number;
  /** After a fault ends, the web must answer again within this (a failed check otherwise). */
  recoveryLimitMs: number;
  /** After the load stops, how long the platform may take to finish every flow. */
  drainTimeoutMs: number;
  /** The consumers' first retry delay (CONSUMER_RETRY_BASE_MS): ×4 per attempt, 5 attempts. */
  consumerRetryBaseMs: number;
  /** Messages put on a consumer queue that must end in its DLQ (and nowhere else). */
  poisonMessages: number;
  log: (line: string) => void;
  /** Keep the database, vhost and Redis keys (and the process log) for a look afterwards. */
  keep?: boolean;
}

export const FULL_RUN: Omit<ChaosOptions, 'log'> = {
  buyers: 16,
  concurrency: 8,
  warmupMs: 15_000,
  settleMs: 10_000,
  kills: ['tickets', 'email', 'payments', 'relay', 'scheduler', 'realtime', 'finance', 'payouts', 'web'],
  outages: ['rabbitmq', 'redis', 'postgresql'],
  outageMs: 20_000,
  recoveryLimitMs: 30_000,
  drainTimeoutMs: 240_000,
  consumerRetryBaseMs: 1000,
  poisonMessages: 1,
};

export interface FaultFigure {
  fault: string;
  kind: 'kill' | 'outage';
  /** When it started, ms since the load began. */
  atMs: number;
  /** Outage length, or the time the killed process took to come back (its "started" log line). */
  downMs: number;
  /** From the end of the fault until the web answered a signed-in request 2xx again. */
  webRecoveryMs: number | null;
  /** From the end of the fault until a new purchase made then had its tickets in the buyer's mailbox. */
  endToEndMs: number | null;
  /** The probe's answers while the fault lasted (status → count; 0 = no answer). */
  probeDuring: Record<string, number>;
  /** When each unanswered probe (no answer in 10 s) was sent, ms after the fault began. */
  probeUnansweredAtMs: number[];
}

export interface ChaosReport {
  ok: boolean;
  names: ChaosNames;
  durationMs: number;
  loadMs: number;
  cores: number;
  loadAverage: [number, number, number];
  loadAverageAtEnd: [number, number, number];
  load: LoadFigures;
  tally: Tally;
  probe: { sent: number; byStatus: Record<string, number> };
  faults: FaultFigure[];
  checks: Check[];
  drainMs: number | null;
  logFile: string | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What a process logs once it is up (the supervisor restarts it after a SIGKILL). */
function startedPattern(name: ProcessName): RegExp {
  if (name === 'web') return /web listening on/;
  if (name === 'relay') return /outbox relay started/;
  return new RegExp(`${name} worker started`);
}

/**
 * The whole platform under one supervisor, every process's PostgreSQL, Redis and RabbitMQ
 * connections through in-process TCP proxies (cut to make a service unreachable; the shared
 * real services are never stopped), a mixed load from signed-in buyers through the real web
 * tier and the Flutterwave simulator, faults in turn, then the checks (checks.ts).
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log;
  const began = Date.now();
  const loadAverage = os.loadavg() as [number, number, number];
  const names = chaosNames();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `tm-chaos-${names.id}-`));
  const logFile = path.join(tmp, 'platform.log');
  const logStream = fs.createWriteStream(logFile);
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (err) {
        log(`cleanup step failed: ${(err as Error).message}`);
      }
    }
  };

  try {
    log(
      `chaos ${names.id}: database ${names.database}, vhost ${names.vhost}, redis prefix ${names.redisPrefix}`,
    );
    await createResources(names);
    if (!options.keep) cleanups.push(() => removeResources(names));
    await migrateDatabase(`${PG_BASE}/${names.database}`);

    // The proxies every platform process connects through.
    const proxies: Record<Dependency, TcpProxy> = {
      postgresql: await new TcpProxy('127.0.0.1', 5432).start(),
      redis: await new TcpProxy('127.0.0.1', 6379).start(),
      rabbitmq: await new TcpProxy('127.0.0.1', 5672).start(),
    };
    cleanups.push(() => Promise.all(Object.values(proxies).map((p) => p.close())));

    const provider: OidcProvider = await startOidcProvider();
    cleanups.push(() => provider.close());
    const smtp: LocalSmtp = await startLocalSmtp();
    cleanups.push(() => smtp.close());
    const flw = {
      FLUTTERWAVE_SECRET_KEY: `FLWSECK_TEST-chaos-${names.id}-X`,
      FLUTTERWAVE_SECRET_HASH: `chaos-webhook-hash-${names.id}`,
    };
    // Flutterwave retries a webhook a few times; past that, the buyer's redirect and the
    // payments worker's reconciliation must still find the payment.
    const sim: FlutterwaveSimulator = createFlutterwaveSimulator({
      secretKey: flw.FLUTTERWAVE_SECRET_KEY,
      secretHash: flw.FLUTTERWAVE_SECRET_HASH,
      webhookAttempts: 3,
      webhookRetryDelayMs: 1000,
      webhookTimeoutMs: 10_000,
    });
    await sim.start();
    cleanups.push(() => sim.close());

    const webPort = await freePort();
    const webUrl = `http://127.0.0.1:${webPort}`;
    sim.setWebhookUrl(`${webUrl}${WEBHOOK_PATH}`);
    const amqpPath = `/${encodeURIComponent(names.vhost)}`;
    const platformEnv: Record<string, string> = {
      ...authOverrides(provider),
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      PORT: String(webPort),
      HOST: '127.0.0.1',
      PUBLIC_URL: webUrl,
      MIGRATE_ON_START: 'false',
      DATABASE_URL: proxies.postgresql.url(`${PG_BASE}/${names.database}`),
      DATABASE_POOL_SIZE: '5',
      REDIS_URL: proxies.redis.url(`${REDIS_BASE}/0`),
      REDIS_PREFIX: names.redisPrefix,
      // Every Redis answer crosses this harness's own proxy, on a machine whose load average runs
      // at 10-25: it can stall past 1 s with Redis healthy, and each stall would cut the clients'
      // connections (a burst of 503s): at 1 s and at 2 s the setup's sign-in got 503 at load 28. 5 s keeps
      // the watchdog for real silences and answers within 7.5 s, under the run's 10 s bound.
      REDIS_COMMAND_TIMEOUT_MS: '5000',
      AMQP_URL: proxies.rabbitmq.url(`${AMQP_BASE}${amqpPath}`),
      FLUTTERWAVE_BASE_URL: sim.url,
      ...flw,
      FLUTTERWAVE_TIMEOUT_MS: '10000',
      PAYMENT_VERIFY_COOLDOWN_SECONDS: '0',
      PAYMENT_RECONCILE_AFTER_MINUTES: '1',
      PAYMENT_RECONCILE_EVERY_MS: '5000',
      REFUND_REDRIVE_AFTER_MINUTES: '1',
      PAYMENT_RATE_LIMIT_MAX: '1000000',
      BOOKING_RATE_LIMIT_MAX: '1000000',
      TICKETS_RESEND_RATE_LIMIT_MAX: '1000000',
      SMTP_URL: smtp.url,
      MAIL_FROM: 'Tikiti <no-reply@chaos.test>',
      STORAGE_DIR: path.join(tmp, 'storage'),
      MAIL_OUTBOX_DIR: path.join(tmp, 'mail-outbox'),
      OUTBOX_POLL_MS: '250',
      CONSUMER_RETRY_BASE_MS: String(options.consumerRetryBaseMs),
      SCHEDULER_TICK_MS: '2000',
      SHUTDOWN_TIMEOUT_MS: '5000',
    };
    // Only what the platform needs from the harness's own environment (a Jest run carries its
    // test database's settings, which must not leak into the platform).
    const baseEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, TZ: process.env.TZ };

    const lineListeners = new Set<(line: string) => void>();
    const root = path.resolve(__dirname, '../..');
    const children: ChildSpec[] = PLATFORM_PROCESSES.map((name) => ({
      name,
      script: name === 'web' ? 'src/server.ts' : `workers/${name}/main.ts`,
    }));
    const supervisor = new Supervisor(children, {
      root,
      env: { ...baseEnv, ...platformEnv },
      mode: 'tsx',
      minBackoffMs: 250,
      maxBackoffMs: 2000,
      stopTimeoutMs: 10_000,
      log: (line) => {
        if (!logStream.writableEnded) logStream.write(`${new Date().toISOString()} ${line}\n`);
        for (const l of lineListeners) l(line);
      },
    });
    const waitForLine = (pattern: RegExp, prefix: string, timeoutMs: number) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          lineListeners.delete(listener);
          reject(new Error(`no "${pattern.source}" from ${prefix} in ${timeoutMs} ms (see ${logFile})`));
        }, timeoutMs);
        const listener = (line: string) => {
          if (line.startsWith(`[${prefix}]`) && pattern.test(line)) {
            clearTimeout(timer);
            lineListeners.delete(listener);
            resolve();
          }
        };
        lineListeners.add(listener);
      });
    const started = Promise.all(PLATFORM_PROCESSES.map((n) => waitForLine(startedPattern(n), n, 180_000)));
    supervisor.start();
    cleanups.push(() => supervisor.stop());
    await started;
    log(`platform up: ${PLATFORM_PROCESSES.length} processes, web at ${webUrl}`);
    provider.registerRedirectUri('test-client', `${webUrl}${GOOGLE_CALLBACK_PATH}`);

    // The harness's own view of the platform (setup, poison and checks): direct connections.
    const observer: Platform = await createPlatform(
      loadConfig({
        NODE_ENV: 'test',
        DATABASE_URL: `${PG_BASE}/${names.database}`,
        REDIS_URL: `${REDIS_BASE}/0`,
        REDIS_PREFIX: names.redisPrefix,
        AMQP_URL: `${AMQP_BASE}${amqpPath}`,
        MIGRATE_ON_START: 'false',
        LOG_LEVEL: 'error',
      }),
      { service: 'chaos', logger: createLogger({ level: 'error', service: 'chaos' }) },
    );
    cleanups.push(() => observer.close());

    // Every consumer queue exists (the relay declares them) before anything is published.
    await waitForQueues(names.vhost, [TicketsQueues.issue.name], 60_000);

    const seller = await makeSeller({ url: webUrl, provider }, `seller-${names.id}@chaos.test`);
    const sale: Sale = await createSale(observer, {
      seller: {
        userId: seller.userId,
        email: seller.email,
        name: 'Chaos Seller',
        roles: ['CUSTOMER', 'SELLER'],
        memberships: [],
      },
      campaign: { refundDeadlineHours: 48, maxTicketsPerCustomer: 1000 },
      // A large type for the steady load and a small one that sells out (409s) during the run.
      types: [
        { name: 'Regular', priceMinor: 500_000, capacity: 100_000 },
        { name: 'VIP', priceMinor: 1_500_000, capacity: 25 },
      ],
    });
    const buyers: Session[] = [];
    for (let i = 0; i < options.buyers + 2; i++) {
      buyers.push(
        await signIn({ url: webUrl, provider }, `buyer-${i}-${names.id}@chaos.test`, { name: `Buyer ${i}` }),
      );
    }
    const probeSession = buyers.pop()!;
    const canarySession = buyers.pop()!;
    log(`campaign ${sale.campaign.id} on sale; ${buyers.length} buyers signed in`);

    const poisonIds: string[] = [];
    if (options.poisonMessages > 0) {
      const publisher = observer.broker.connection.createPublisher({ confirm: true });
      for (let i = 0; i < options.poisonMessages; i++) {
        const id = crypto.randomUUID();
        poisonIds.push(id);
        await publisher.send(
          { exchange: '', routingKey: TicketsQueues.issue.name, messageId: id },
          '{poison',
        );
      }
      await publisher.close();
    }

    // The probe: a signed-in request (session in Redis, actor from PostgreSQL) every 250 ms.
    const tally = newTally();
    const client = new HttpClient(webUrl, tally, { requestTimeoutMs: 15_000, operationDeadlineMs: 120_000 });
    const probeTally = newTally();
    const probeClient = new HttpClient(webUrl, probeTally, {
      requestTimeoutMs: 10_000,
      operationDeadlineMs: 0,
    });
    const probes: Array<{ at: number; status: number }> = [];
    let probing = true;
    const prober = (async () => {
      while (probing) {
        const at = Date.now();
        const a = await probeClient.once(probeSession, 'GET', '/api/v1/auth/profile');
        probes.push({ at, status: a?.status ?? 0 });
        await sleep(250);
      }
    })();

    const load = new Load({ client, sim, sale, buyers, concurrency: options.concurrency, log });
    const loadStarted = Date.now();
    load.start();
    await sleep(options.warmupMs);

    const canary = async (): Promise<number | null> => {
      const from = Date.now();
      try {
        const done = await load.purchase(canarySession, { quantity: 1, typeIndex: 0, issuance: 'SINGLE' });
        if (!done) return null;
        const ref = done.reference;
        const deadline = Date.now() + 180_000;
        while (Date.now() < deadline) {
          if (smtp.messages.some((m) => m.raw.includes(ref))) return Date.now() - from;
          await sleep(200);
        }
        return null;
      } catch (err) {
        if (!(err instanceof GaveUpError)) log(`canary failed: ${(err as Error).message}`);
        return null;
      }
    };
    const webBackAfter = async (since: number, limitMs: number): Promise<number | null> => {
      const deadline = Date.now() + Math.max(limitMs, 60_000);
      while (Date.now() < deadline) {
        const ok = probes.find((p) => p.at >= since && p.status >= 200 && p.status < 300);
        if (ok) return Math.max(0, ok.at - since);
        await sleep(100);
      }
      return null;
    };
    const unanswered = (from: number, to: number) =>
      probes.filter((p) => p.at >= from && p.at <= to && p.status === 0).map((p) => p.at - from);
    const probeCounts = (from: number, to: number) => {
      const counts: Record<string, number> = {};
      for (const p of probes) if (p.at >= from && p.at <= to) counts[p.status] = (counts[p.status] ?? 0) + 1;
      return counts;
    };

    const faults: FaultFigure[] = [];
    for (const name of options.kills) {
      const pid = supervisor.pid(name);
      if (!pid) throw new Error(`no pid for ${name}`);
      const back = waitForLine(startedPattern(name), name, 180_000);
      const at = Date.now();
      process.kill(pid, 'SIGKILL');
      await back;
      const end = Date.now();
      const webRecoveryMs = await webBackAfter(end, options.recoveryLimitMs);
      const endToEndMs = await canary();
      faults.push({
        fault: `SIGKILL ${name}`,
        kind: 'kill',
        atMs: at - loadStarted,
        downMs: end - at,
        webRecoveryMs,
        endToEndMs,
        probeDuring: probeCounts(at, end),
        probeUnansweredAtMs: unanswered(at, end),
      });
      log(
        `SIGKILL ${name} (pid ${pid}): back in ${end - at} ms; web ${webRecoveryMs ?? '-'} ms, end to end ${endToEndMs ?? '-'} ms`,
      );
      await sleep(options.settleMs);
    }
    for (const dep of options.outages) {
      const at = Date.now();
      await proxies[dep].cut();
      await sleep(options.outageMs);
      await proxies[dep].restore();
      const end = Date.now();
      const webRecoveryMs = await webBackAfter(end, options.recoveryLimitMs);
      const endToEndMs = await canary();
      faults.push({
        fault: `${dep} unreachable`,
        kind: 'outage',
        atMs: at - loadStarted,
        downMs: end - at,
        webRecoveryMs,
        endToEndMs,
        probeDuring: probeCounts(at, end),
        probeUnansweredAtMs: unanswered(at, end),
      });
      log(
        `${dep} unreachable for ${end - at} ms: web back ${webRecoveryMs ?? '-'} ms after, end to end ${endToEndMs ?? '-'} ms`,
      );
      await sleep(options.settleMs);
    }

    await load.stop();
    const loadMs = Date.now() - loadStarted;
    probing = false;
    await prober;
    log(`load stopped after ${Math.round(loadMs / 1000)} s; waiting for the platform to finish every flow`);

    const drainStarted = Date.now();
    const checkContext = {
      db: observer.prisma,
      sim,
      smtp,
      vhost: names.vhost,
      poisonIds,
      poisonQueue: TicketsQueues.issue.name,
      load: load.figures(),
      purchases: load.purchases,
      campaignIds: [sale.campaign.id],
    };
    let checks = await runChecks(checkContext);
    let drainMs: number | null = null;
    while (Date.now() - drainStarted < options.drainTimeoutMs) {
      if (checks.every((c) => c.ok)) {
        drainMs = Date.now() - drainStarted;
        break;
      }
      await sleep(2000);
      checks = await runChecks(checkContext);
    }
    if (drainMs === null && checks.every((c) => c.ok)) drainMs = Date.now() - drainStarted;

    // The web tier's answers, judged over the whole run (load, probe and canaries).
    const allServerErrors = [...tally.serverErrors, ...probeTally.serverErrors];
    checks.push({
      name: 'web never answered a 5xx other than 503',
      ok: allServerErrors.length === 0,
      detail: allServerErrors.length
        ? `${allServerErrors.length}: ${JSON.stringify(allServerErrors.slice(0, 5))}`
        : `${tally.sent + probeTally.sent} requests`,
    });
    checks.push({
      name: '503 answers carry Retry-After',
      ok: tally.unavailableWithoutRetryAfter + probeTally.unavailableWithoutRetryAfter === 0,
      detail: `${tally.unavailable + probeTally.unavailable} answers 503`,
    });
    for (const f of faults.filter((x) => x.kind === 'outage' && !x.fault.startsWith('rabbitmq'))) {
      const five03 = f.probeDuring['503'] ?? 0;
      // A probe sent while the proxy was still dropping the open sockets (the first probe interval
      // of the cut) can be lost with its connection: it is counted as lost, not as a wrong answer.
      // Any later probe must be answered 503.
      const lostAtCut = f.probeUnansweredAtMs.filter((ms) => ms < CUT_GRACE_MS).length;
      const other = Object.entries(f.probeDuring).filter(
        ([s, n]) => s !== '503' && !s.startsWith('2') && !(s === '0' && n <= lostAtCut),
      );
      checks.push({
        name: `${f.fault}: the web answered 503 while it lasted`,
        ok: five03 > 0 && other.length === 0,
        detail: `${JSON.stringify(f.probeDuring)}${
          f.probeUnansweredAtMs.length
            ? `; unanswered probes sent at +${f.probeUnansweredAtMs.join(', +')} ms`
            : ''
        }`,
      });
    }
    for (const f of faults) {
      checks.push({
        name: `${f.fault}: recovered (web within ${options.recoveryLimitMs / 1000} s, a new purchase end to end)`,
        ok: f.webRecoveryMs !== null && f.webRecoveryMs <= options.recoveryLimitMs && f.endToEndMs !== null,
        detail: `web ${f.webRecoveryMs ?? 'never'} ms, end to end ${f.endToEndMs ?? 'never'} ms`,
      });
    }
    checks.push({
      name: 'no operation abandoned',
      ok: tally.gaveUp.length === 0,
      detail: tally.gaveUp.length ? JSON.stringify(tally.gaveUp.slice(0, 5)) : 'none',
    });

    const probeByStatus: Record<string, number> = {};
    for (const p of probes) probeByStatus[p.status] = (probeByStatus[p.status] ?? 0) + 1;
    const report: ChaosReport = {
      ok: checks.every((c) => c.ok),
      names,
      durationMs: Date.now() - began,
      loadMs,
      cores: os.cpus().length,
      loadAverage,
      loadAverageAtEnd: os.loadavg() as [number, number, number],
      load: load.figures(),
      tally,
      probe: { sent: probes.length, byStatus: probeByStatus },
      faults,
      checks,
      drainMs,
      logFile: options.keep || !checks.every((c) => c.ok) ? logFile : null,
    };
    if (report.logFile) {
      const kept = path.resolve(root, 'var', `chaos-${names.id}.log`);
      fs.mkdirSync(path.dirname(kept), { recursive: true });
      await new Promise<void>((resolve) => logStream.end(resolve));
      fs.copyFileSync(logFile, kept);
      report.logFile = kept;
    }
    return report;
  } finally {
    await cleanup();
    logStream.end();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

async function waitForQueues(vhost: string, queues: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const have = new Set(listQueues(vhost).map((q) => q.name));
    if (queues.every((q) => have.has(q))) return;
    if (Date.now() > deadline) throw new Error(`queues ${queues.join(', ')} not declared in ${timeoutMs} ms`);
    await sleep(500);
  }
}
