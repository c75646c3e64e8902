/** A run id names one `jest` run: random, plus the jest process id to spot leftovers of dead runs. */
export function newRunId(): string {
  return `${Math.random().toString(16).slice(2, 8)}p${process.pid}`;
}

/** Names of one Jest worker's private PostgreSQL database, RabbitMQ vhost and Redis key prefix. */
export function testNames(runId: string, worker: string) {
  const id = `${runId}_${worker}`;
  return { database: `tm_test_${id}`, vhost: `tm_test_${id}`, redisPrefix: `tm_test:${id}:` };
}

/** The jest process id inside a test resource name, or undefined if it is not one of ours. */
export function ownerPid(name: string): number | undefined {
  const m = /^tm_test_[0-9a-f]*p(\d+)_/.exec(name);
  return m ? Number(m[1]) : undefined;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
