/**
 * `npm run bench:scan`: online gate scans per second through POST /api/v1/validation/scan,
 * next to the raw database doing the same conditional UPDATE + INSERT, in the same run.
 *
 * What it does:
 *  1. Makes a fresh database of its own (`ticketing_bench_scan_<pid>`, dropped at the end) and a
 *     Redis prefix of its own (its keys deleted at the end), and starts one real web process
 *     (`node --import tsx src/server.ts`).
 *  2. Publishes a campaign starting within the hour (its tickets are valid now), issues
 *     BENCH_TICKETS tickets through the tickets service (signed QR codes, as the worker makes
 *     them) and enrols BENCH_DEVICES devices through the validation service.
 *  3. For each of 16 and 64 connections: drives the scan route with autocannon for
 *     BENCH_DURATION_S seconds, every request a different ticket and a new scanId, each
 *     connection one device (`Authorization: Device <token>`); then the raw baseline for as long:
 *     node-postgres, the same number of concurrent clients, each looping BEGIN; UPDATE tickets
 *     SET scan_count = scan_count + 1 WHERE id = $1 AND status = 'VALID' AND scan_count <
 *     max_scans; INSERT INTO validation_scans; COMMIT, on tickets of its own. Then checks the
 *     entry invariant in SQL (scan_count = counted entries - exits, never above max_scans).
 *  4. Prints scans/s, p50/p95/p99 and our/raw per level; with `--write`
 *     (`npm run bench:scan -- --write`) rewrites its section of docs/benchmarks.md.
 *
 * Load goes to 127.0.0.1 only and is bounded in time (2 levels × 2 × BENCH_DURATION_S, plus a
 * 5 s warm-up). Knobs: DATABASE_URL, REDIS_URL, BENCH_DURATION_S (5), BENCH_TICKETS (8000),
 * BENCH_DEVICES (16), BENCH_CONNECTIONS (16,64), BENCH_DB_POOL (20), BENCH_KEEP_DATABASE, BENCH_WEB_NODE_ARGS.
 */
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import autocannon from 'autocannon';
import pg from 'pg';
import { createModules } from '../src/modules/container';
import { loadConfig } from '../src/shared/config';
import { migrateDatabase } from '../src/shared/migrate';
import { createPlatform } from '../src/shared/platform';
import { createRedis } from '../src/shared/redis';
import { campaignBody, sellerActor } from '../test/support/factories';
import { scanViolations } from '../test/support/scan-invariant';
import { spawnWebProcess } from '../test/support/web-process';
import { writeBenchmarkSection } from './bench-docs';

const env = process.env;
const int = (v: string | undefined, d: number) => (v ? Number.parseInt(v, 10) : d);
const settings = {
  databaseUrl: env.DATABASE_URL ?? `postgresql://postgres@127.0.0.1:5432/ticketing_bench_scan_${process.pid}`,
  redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  durationS: int(env.BENCH_DURATION_S, 5),
  tickets: int(env.BENCH_TICKETS, 8_000),
  devices: int(env.BENCH_DEVICES, 16),
  connections: (env.BENCH_CONNECTIONS ?? '16,64').split(',').map((s) => Number.parseInt(s, 10)),
  dbPool: int(env.BENCH_DB_POOL, 20),
};
const log = (msg: string) => console.log(`[bench] ${msg}`);

interface Level {
  connections: number;
  ours: {
    sps: number;
    /** CPU time (user + system) of the web process per answered scan, in µs. */
    cpuUsPerScan: number;
    p50: number;
    p95: number;
    p99: number;
    ok: number;
    refused: number;
    non2xx: number;
    errors: number;
  };
  raw: { tps: number; p50: number; p95: number; p99: number; errors: number };
  invariant: boolean;
  loadAverage: number;
}

const CLOCK_TICKS_PER_S = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/**
 * CPU time (user + system, ms) a process has used, from /proc/<pid>/stat: what the web process
 * costs per scan whatever the machine's load (wall-clock figures move with the load).
 */
function processCpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after "(comm) ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
}

function percentiles(latencies: number[]) {
  const sorted = [...latencies].sort((a, b) => a - b);
  const pct = (p: number) =>
    Math.round((sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0) * 10) / 10;
  return { p50: pct(50), p95: pct(95), p99: pct(99) };
}

async function main(): Promise<void> {
  log(
    `machine: nproc ${execFileSync('nproc').toString().trim()}, ${os.cpus()[0]?.model ?? ''}, Node ${process.version}`,
  );
  const stops: Array<() => Promise<void>> = [];
  try {
    const dbName = new URL(settings.databaseUrl).pathname.slice(1);
    const dropDatabase = async () => {
      const admin = new pg.Client({
        connectionString: new URL('/postgres', settings.databaseUrl).toString(),
      });
      await admin.connect();
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(dbName)} WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    };
    await dropDatabase();
    await migrateDatabase(settings.databaseUrl);
    if (!env.BENCH_KEEP_DATABASE) stops.push(dropDatabase);
    const redisPrefix = `bench-scan:${process.pid}:`;
    stops.push(async () => {
      const redis = await createRedis(settings.redisUrl, 'bench-cleanup');
      try {
        for await (const keys of redis.scanIterator({ MATCH: `${redisPrefix}*`, COUNT: 1000 }))
          if (keys.length) await redis.del(keys);
      } finally {
        redis.destroy();
      }
    });

    const platform = await createPlatform(
      loadConfig({
        ...env,
        DATABASE_URL: settings.databaseUrl,
        REDIS_URL: settings.redisUrl,
        DATABASE_POOL_SIZE: '4',
      }),
      { service: 'bench-setup' },
    );
    stops.push(() => platform.close());
    const { prisma } = platform;
    const modules = createModules(platform);
    const { campaigns } = modules;
    const tickets = modules.tickets.tickets;
    const validation = modules.validation.service;

    // The sale, made through the services (their rules), not the measured path.
    const seller = sellerActor({ email: 'bench-seller@example.test', name: 'Bench seller' });
    const startsAt = new Date(Date.now() + 3_600_000);
    const draft = await campaigns.createCampaign(
      seller,
      campaignBody(new Date(), {
        title: `Scan bench ${new Date().toISOString()}`,
        startsAt,
        endsAt: new Date(startsAt.getTime() + 6 * 3_600_000),
      }),
    );
    const type = await campaigns.createTicketType(seller, draft.id, {
      name: 'Bench',
      priceMinor: 0,
      capacity: 10_000_000,
      maxPerOrder: 1000,
    });
    const campaign = await campaigns.publishCampaign(seller, draft.id);
    const t0 = Date.now();
    const issued: Array<{ id: string; qrText: string }> = [];
    for (let made = 0; made < settings.tickets; made += 1000) {
      const { tickets: batch } = await prisma.$transaction(
        (tx) =>
          tickets.issueTicketsForBooking(tx, {
            bookingId: crypto.randomUUID(),
            campaignId: campaign.id,
            userId: crypto.randomUUID(),
            holderName: 'Bench holder',
            issuance: 'SEPARATE',
            validFrom: new Date(startsAt.getTime() - 12 * 3_600_000),
            validUntil: new Date(startsAt.getTime() + 18 * 3_600_000),
            items: [
              {
                ticketTypeId: type.id,
                quantity: Math.min(1000, settings.tickets - made),
                entriesPerTicket: 1,
              },
            ],
          }),
        // Signing 1000 tickets takes seconds on a busy machine: not the measured path.
        { timeout: 120_000, maxWait: 60_000 },
      );
      issued.push(...batch.map((t) => ({ id: t.id, qrText: t.qrText })));
    }
    log(`${issued.length} tickets issued in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const gate = await validation.createGate(seller, campaign.id, 'Bench gate');
    const devices: string[] = [];
    for (let i = 0; i < settings.devices; i++) {
      const { enrolment } = await validation.createDevice(seller, campaign.id, {
        name: `Bench ${i}`,
        gateId: gate.id,
      });
      devices.push((await validation.enrolDevice(enrolment.url.split('/').pop()!)).secret);
    }

    const web = await spawnWebProcess(
      {
        DATABASE_URL: settings.databaseUrl,
        DATABASE_POOL_SIZE: String(settings.dbPool),
        REDIS_URL: settings.redisUrl,
        REDIS_PREFIX: redisPrefix,
        NODE_ENV: 'development',
        SCAN_RATE_LIMIT_MAX: '100000000',
        RATE_LIMIT_MAX: '100000000',
      },
      180_000,
      // e.g. "--cpu-prof --cpu-prof-dir=var/prof" to profile the web process.
      env.BENCH_WEB_NODE_ARGS?.split(' ').filter(Boolean) ?? [],
    );
    stops.push(() => web.stop());
    log(`web process ${web.url} (pool ${settings.dbPool})`);

    // Half the tickets for the API, half for the raw baseline: every scan is a ticket's first.
    const half = Math.floor(issued.length / 2);
    const apiTickets = issued.slice(0, half);
    const rawTickets = issued.slice(half).map((t) => t.id);
    let nextApi = 0;
    let nextRaw = 0;

    const driveApi = (connections: number, durationS: number) =>
      new Promise<{
        latencies: number[];
        statuses: Record<string, number>;
        ok: number;
        refused: number;
        errors: number;
      }>((resolve, reject) => {
        const latencies: number[] = [];
        const statuses: Record<string, number> = {};
        let nextDevice = 0;
        const instance = autocannon(
          {
            url: web.url,
            connections,
            duration: durationS,
            timeout: 10,
            requests: [
              {
                method: 'POST',
                path: '/api/v1/validation/scan',
                setupRequest: (req, context) => {
                  const ctx = context as { device?: string };
                  ctx.device ??= devices[nextDevice++ % devices.length]!;
                  const ticket = apiTickets[nextApi++ % apiTickets.length]!;
                  return {
                    ...req,
                    headers: { 'content-type': 'application/json', authorization: `Device ${ctx.device}` },
                    body: JSON.stringify({
                      qr: ticket.qrText,
                      scanId: crypto.randomUUID(),
                      type: 'entry',
                      scannedAt: new Date().toISOString(),
                    }),
                  };
                },
              },
            ],
          },
          (err, result) =>
            err
              ? reject(err)
              : resolve({ latencies, statuses, ok: 0, refused: 0, errors: result.errors + result.timeouts }),
        );
        instance.on('response', (_client, statusCode, _bytes, responseTime) => {
          latencies.push(responseTime);
          statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
        });
      });

    const driveRaw = async (connections: number, durationS: number) => {
      const pool = new pg.Pool({
        connectionString: settings.databaseUrl,
        max: Math.min(settings.dbPool, connections),
      });
      const latencies: number[] = [];
      let errors = 0;
      const deadline = Date.now() + durationS * 1000;
      await Promise.all(
        Array.from({ length: connections }, async () => {
          while (Date.now() < deadline) {
            const ticketId = rawTickets[nextRaw++ % rawTickets.length]!;
            const started = performance.now();
            const client = await pool.connect();
            try {
              await client.query('BEGIN');
              const up = await client.query(
                "UPDATE tickets SET scan_count = scan_count + 1 WHERE id = $1 AND status = 'VALID' AND scan_count < max_scans RETURNING scan_count",
                [ticketId],
              );
              const ok = up.rowCount === 1;
              const now = new Date();
              await client.query(
                `INSERT INTO validation_scans (id, scan_id, campaign_id, ticket_id, ticket_type_id, device_id, gate_id, type, scanned_at, received_at, result, reason, counted, answer)
                 SELECT $1, $2, $3, $4, $5, d.id, $6, 'entry', $7, $7, $8, $9, $10, '{}'::jsonb FROM validation_devices d WHERE d.campaign_id = $3 LIMIT 1`,
                [
                  crypto.randomUUID(),
                  crypto.randomUUID(),
                  campaign.id,
                  ticketId,
                  type.id,
                  gate.id,
                  now,
                  ok ? 'ok' : 'refused',
                  ok ? null : 'already_used',
                  ok,
                ],
              );
              await client.query('COMMIT');
              latencies.push(performance.now() - started);
            } catch {
              errors++;
              await client.query('ROLLBACK').catch(() => undefined);
            } finally {
              client.release();
            }
          }
        }),
      );
      await pool.end();
      return { latencies, errors };
    };

    await driveApi(16, 5); // warm-up: JIT, pools, Prisma query plans (a cold web process answers in seconds)
    const okCount = async () =>
      Number(
        (
          await prisma.$queryRaw<
            Array<{ n: bigint }>
          >`SELECT count(*) AS n FROM validation_scans WHERE device_id IS NOT NULL AND result = 'ok' AND answer <> '{}'::jsonb`
        )[0]!.n,
      );
    const results: Level[] = [];
    for (const connections of settings.connections) {
      const loadAverage = os.loadavg()[0]!;
      const okBefore = await okCount();
      const cpuBefore = processCpuMs(web.pid);
      const api = await driveApi(connections, settings.durationS);
      await new Promise((r) => setTimeout(r, 500));
      // Over every scan the web process committed (answered or still in flight at the stop).
      const ok = (await okCount()) - okBefore;
      const cpuUsPerScan = ok > 0 ? Math.round(((processCpuMs(web.pid) - cpuBefore) * 1000) / ok) : 0;
      const raw = await driveRaw(connections, settings.durationS);
      const total = Object.values(api.statuses).reduce((a, b) => a + b, 0);
      const level: Level = {
        connections,
        ours: {
          sps: (api.statuses['200'] ?? 0) / settings.durationS,
          cpuUsPerScan,
          ...percentiles(api.latencies),
          ok,
          // Requests still in flight when autocannon stopped commit after it: they count as ok rows, not as answers.
          refused: Math.max(0, (api.statuses['200'] ?? 0) - ok),
          non2xx: total - (api.statuses['200'] ?? 0),
          errors: api.errors,
        },
        raw: {
          tps: raw.latencies.length / settings.durationS,
          ...percentiles(raw.latencies),
          errors: raw.errors,
        },
        invariant: (await scanViolations(prisma)).length === 0,
        loadAverage,
      };
      results.push(level);
      log(
        `${connections} conns: ours ${level.ours.sps.toFixed(0)}/s p50 ${level.ours.p50} p95 ${level.ours.p95} p99 ${level.ours.p99} ms, web CPU ${level.ours.cpuUsPerScan} µs/scan ` +
          `(ok ${level.ours.ok}, refused ${level.ours.refused}, non-200 ${level.ours.non2xx}, errors ${level.ours.errors}) | raw ${level.raw.tps.toFixed(0)}/s ` +
          `p50 ${level.raw.p50} p95 ${level.raw.p95} p99 ${level.raw.p99} ms | ratio ${(level.ours.sps / level.raw.tps).toFixed(2)} | invariant ${level.invariant ? 'holds' : 'BROKEN'} | load ${loadAverage.toFixed(1)}`,
      );
    }
    if (process.argv.includes('--write')) log(`wrote ${writeBenchmarkSection('scan', section(results))}`);
    if (results.some((r) => !r.invariant || r.ours.non2xx > 0)) process.exitCode = 1;
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
}

function section(results: Level[]): string {
  const rows = results.map(
    (r) =>
      `| ${r.connections} | ${r.ours.sps.toFixed(0)} | ${r.ours.cpuUsPerScan} | ${r.ours.p50} / ${r.ours.p95} / ${r.ours.p99} | ${r.ours.ok} / ${r.ours.refused} / ${r.ours.non2xx} / ${r.ours.errors} | ` +
      `${r.raw.tps.toFixed(0)} | ${r.raw.p50} / ${r.raw.p95} / ${r.raw.p99} | **${(r.ours.sps / r.raw.tps).toFixed(2)}** | ${r.invariant ? 'holds' : 'BROKEN'} | ${r.loadAverage.toFixed(1)} |`,
  );
  const verdict = results
    .map((r) => {
      const ratio = r.ours.sps / r.raw.tps;
      return `${r.connections} connections: p99 ${r.ours.p99} ms (target < 20 ms: ${r.ours.p99 < 20 ? 'met' : 'not met'}), ratio ${ratio.toFixed(2)} (target ≥ 0.6: ${ratio >= 0.6 ? 'met' : 'not met'}).`;
    })
    .join(' ');
  return [
    '## Gate scans online: POST /api/v1/validation/scan vs raw PostgreSQL (`npm run bench:scan`)',
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} on nproc ${execFileSync('nproc').toString().trim()} (${os.cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}; ` +
      'PostgreSQL, Redis, the web process, autocannon and the raw client on the same machine (shared with other work: see load avg).',
    `One web process (DATABASE_POOL_SIZE ${settings.dbPool}), ${settings.devices} enrolled devices (\`Authorization: Device\`), one gate. Every request scans a ` +
      `different, never-scanned ticket with a new scanId (so every answer is \`ok\`): Base45 decode, Ed25519 verification with the campaign key (campaign, keys ` +
      'and ticket types from the 5 s per-process cache), then one transaction: the conditional counter UPDATE (returning what the answer shows), ' +
      `the scan row with its decision and the \`ticket.scanned\` outbox row. ${settings.durationS} s per side per level. Raw: node-postgres, as many concurrent clients as connections over a pool ` +
      'of the same size, each looping BEGIN; the same conditional UPDATE on another ticket; INSERT INTO validation_scans; COMMIT.',
    '',
    '| connections | ours (scans/s) | web CPU per scan (µs) | p50 / p95 / p99 (ms) | ok / refused / non-200 / errors | raw (tx/s) | raw p50 / p95 / p99 (ms) | our/raw | invariant | load avg |',
    '|---:|---:|---:|---|---|---:|---|---:|---|---:|',
    ...rows,
    '',
    verdict,
    '',
    "After each level the script checks in SQL that every ticket's scan_count equals its counted entries minus exits and never exceeds " +
      "max_scans (test/support/scan-invariant.ts). The offline-verification figure (headless Chromium) is measured by the scanner page's " +
      'own benchmark and has its own section.',
    '',
    '"web CPU per scan" is the web process\'s user + system CPU time (/proc/<pid>/stat, all its threads) over the level, ' +
      "divided by the scans it committed: unlike scans/s it hardly moves with the machine's load.",
    '',
    'How to read it. The web process is CPU-bound: while the API side runs, its PostgreSQL connections sit mostly "idle in ' +
      'transaction" (waiting for the web process between statements), and on a 2-core machine with a load average far above 2 the ' +
      'raw client, which needs almost no CPU of its own, is barely affected, so the ratio says as much about the machine as about ' +
      'the design. A CPU profile of the web process under this load (`BENCH_WEB_NODE_ARGS="--cpu-prof --cpu-prof-dir=var/prof"`) ' +
      'showed no single expensive call but the Prisma client everywhere: the model queries on the path (the device lookup, the ' +
      'outbox insert) were compiled by its query compiler (WebAssembly) on every call, and a KeyObject was built from a JWK for ' +
      'every signature check. Those are now plain SQL statements and a kept KeyObject. What is left per scan is spread out: ' +
      'the Prisma client and its interactive transaction (about a fifth of the main thread), socket writes for the 6 statements ' +
      '(device lookup, BEGIN, counter UPDATE, scan row, outbox row, COMMIT) and the Redis rate-limit call, garbage collection, ' +
      'Express and the Ed25519 verification itself. The next step is one statement per scan (the counter UPDATE, the scan row and ' +
      'the outbox row as one CTE, the counter part offered by the tickets module, a duplicate scan id rolling it all back by its ' +
      'unique violation) and more web processes (they are stateless).',
  ].join('\n');
}

main().catch((err) => {
  console.error(`bench failed: ${(err as Error).stack ?? err}`);
  process.exit(1);
});
