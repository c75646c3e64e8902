import { SMALL_RUN, formatReport } from '../../scripts/chaos';
import { runChaos, type ChaosReport } from '../../scripts/chaos/harness';

/**
 * `npm run chaos` at a small size: the whole platform as separate processes (web and every
 * worker under the supervisor), a mixed load of signed-in buyers paying through the Flutterwave
 * simulator, SIGKILLs of the payments, tickets and relay workers and of the web process, and
 * RabbitMQ, Redis and PostgreSQL each unreachable for 3 s behind the run's TCP proxies. The run
 * has its own database, vhost and Redis prefix (not this Jest worker's) and removes them.
 */
describe('chaos run (small)', () => {
  let report: ChaosReport;

  beforeAll(async () => {
    report = await runChaos({ ...SMALL_RUN, log: () => undefined });
    console.log(formatReport(report));
  }, 900_000);

  it('when workers and the web process are SIGKILLed and each dependency is cut mid-load, then every check passes', () => {
    const failed = report.checks.filter((c) => !c.ok);
    expect(failed).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('when the run ends, then it did real work: paid bookings, faults injected and recovered from', () => {
    expect(report.load.purchases).toBeGreaterThan(0);
    expect(report.faults.map((f) => f.fault)).toEqual([
      ...SMALL_RUN.kills.map((k) => `SIGKILL ${k}`),
      ...SMALL_RUN.outages.map((d) => `${d} unreachable`),
    ]);
    for (const f of report.faults) expect(f.endToEndMs).not.toBeNull();
    // The dependency outages reached the web tier: it answered 503, never another 5xx.
    expect(report.tally.serverErrors).toEqual([]);
    expect(report.probe.byStatus['503']).toBeGreaterThan(0);
  });
});
