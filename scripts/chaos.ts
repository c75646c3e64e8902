/**
 * `npm run chaos`: the whole platform (web and every worker, under the same supervisor as
 * `npm start`) on a database, vhost and Redis prefix of its own, under a steady mixed load of
 * signed-in buyers (reservations, payments through the Flutterwave simulator, failed payments,
 * cancellations, refunds, resends), while faults are injected in turn:
 *  - SIGKILL of each worker and of the web process mid-load (the supervisor restarts them);
 *  - RabbitMQ, Redis and PostgreSQL each unreachable for CHAOS_OUTAGE_MS (20 s): every platform
 *    process connects through an in-process TCP proxy that refuses connections and drops the
 *    open ones for the outage. The real services, shared with everyone, are never stopped.
 * Then it waits for the platform to finish every flow and checks that nothing was lost or done
 * twice (scripts/chaos/checks.ts), prints the figures, and exits 1 when a check fails.
 *
 * Options: `--small` (the test's size: short outages, fewer processes killed), `--json` (print the
 * report as JSON), `--keep` (keep the database, vhost, Redis keys and the platform log).
 * Environment: CHAOS_OUTAGE_MS, CHAOS_BUYERS, CHAOS_CONCURRENCY, CHAOS_SETTLE_MS, CHAOS_KILLS
 * (comma-separated process names), CHAOS_OUTAGES (rabbitmq,redis,postgresql).
 */
import os from 'node:os';
import {
  FULL_RUN,
  runChaos,
  type ChaosOptions,
  type ChaosReport,
  type Dependency,
  type ProcessName,
} from './chaos/harness';

/** The size the test runs (test/robustness/chaos.test.ts): a few minutes at most on 2 busy cores. */
export const SMALL_RUN: Omit<ChaosOptions, 'log'> = {
  ...FULL_RUN,
  buyers: 6,
  concurrency: 4,
  warmupMs: 3000,
  settleMs: 1500,
  kills: ['payments', 'tickets', 'relay', 'web'],
  outageMs: 3000,
  drainTimeoutMs: 150_000,
};

export function formatReport(r: ChaosReport): string {
  const lines: string[] = [];
  const s = (ms: number | null) => (ms === null ? 'never' : `${(ms / 1000).toFixed(1)} s`);
  lines.push(`Chaos run ${r.names.id}: ${r.ok ? 'PASSED' : 'FAILED'}`);
  lines.push(
    `machine: ${r.cores} cores, load average ${r.loadAverage.map((x) => x.toFixed(2)).join(' ')} at start, ` +
      `${r.loadAverageAtEnd.map((x) => x.toFixed(2)).join(' ')} at end`,
  );
  lines.push(`duration ${s(r.durationMs)} (load ${s(r.loadMs)}, drain after the load ${s(r.drainMs)})`);
  lines.push(
    `operations: ${r.load.operations} (${Object.entries(r.load.byOperation)
      .map(
        ([op, x]) =>
          `${op} ${x.done}${x.skipped ? `+${x.skipped} skipped` : ''}${x.failed ? ` ${x.failed} failed` : ''}`,
      )
      .join(
        ', ',
      )}); ${r.load.purchases} paid, ${r.load.soldOut} sold out, ${r.load.refundsRequested} refunds asked, ${r.load.resends} resends`,
  );
  const t = r.tally;
  lines.push(
    `requests: ${t.sent} sent, ${t.served} served, ${t.unavailable} answered 503, ${t.noAnswer} not answered (web down), ` +
      `${t.serverErrors.length} other 5xx; ${t.gaveUp.length} operations given up`,
  );
  lines.push(`probe (signed-in GET every 250 ms): ${r.probe.sent} sent, ${JSON.stringify(r.probe.byStatus)}`);
  lines.push(`faults injected: ${r.faults.length}`);
  lines.push('  fault                      at       down     web back   end to end   probe while down');
  for (const f of r.faults) {
    lines.push(
      `  ${f.fault.padEnd(26)} ${s(f.atMs).padStart(7)}  ${s(f.downMs).padStart(7)}  ${s(f.webRecoveryMs).padStart(8)}   ${s(
        f.endToEndMs,
      ).padStart(9)}   ${JSON.stringify(f.probeDuring)}`,
    );
  }
  lines.push('checks:');
  for (const c of r.checks) lines.push(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
  if (r.logFile) lines.push(`platform log: ${r.logFile}`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const args = new Set(process.argv.slice(2));
  const env = process.env;
  const base = args.has('--small') ? SMALL_RUN : FULL_RUN;
  const num = (v: string | undefined, d: number) => (v ? Number(v) : d);
  const options: ChaosOptions = {
    ...base,
    outageMs: num(env.CHAOS_OUTAGE_MS, base.outageMs),
    buyers: num(env.CHAOS_BUYERS, base.buyers),
    concurrency: num(env.CHAOS_CONCURRENCY, base.concurrency),
    settleMs: num(env.CHAOS_SETTLE_MS, base.settleMs),
    kills:
      env.CHAOS_KILLS !== undefined
        ? (env.CHAOS_KILLS.split(',').filter(Boolean) as ProcessName[])
        : base.kills,
    outages:
      env.CHAOS_OUTAGES !== undefined
        ? (env.CHAOS_OUTAGES.split(',').filter(Boolean) as Dependency[])
        : base.outages,
    keep: args.has('--keep'),
    log: (line) => console.log(`[chaos] ${line}`),
  };
  console.log(
    `[chaos] ${os.cpus().length} cores, load average ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  const report = await runChaos(options);
  console.log(args.has('--json') ? JSON.stringify(report, null, 2) : `\n${formatReport(report)}`);
  process.exit(report.ok ? 0 : 1);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(`chaos run failed: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  });
}
