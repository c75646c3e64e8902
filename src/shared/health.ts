import type { Platform } from './platform';

export interface CheckResult {
  name: 'postgres' | 'redis' | 'rabbitmq';
  ok: boolean;
  error?: string;
  ms: number;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function timed(name: CheckResult['name'], fn: () => Promise<unknown>): Promise<CheckResult> {
  const start = performance.now();
  try {
    await fn();
    return { name, ok: true, ms: Math.round(performance.now() - start) };
  } catch (err) {
    return { name, ok: false, error: (err as Error).message, ms: Math.round(performance.now() - start) };
  }
}

/** Checks every dependency the process needs, each with a short time-out, in parallel. */
export async function checkReadiness(
  p: Pick<Platform, 'prisma' | 'redis' | 'broker'>,
  timeoutMs = 1500,
): Promise<CheckResult[]> {
  return Promise.all([
    timed('postgres', () => withTimeout(p.prisma.$queryRaw`SELECT 1`, timeoutMs, 'postgres')),
    timed('redis', async () => {
      // node-redis queues commands while reconnecting; a not-ready client is a failed check.
      if (!p.redis.isReady) throw new Error('redis is not connected');
      await withTimeout(p.redis.ping(), timeoutMs, 'redis');
    }),
    timed('rabbitmq', async () => {
      if (!p.broker.connection.ready) throw new Error('rabbitmq is not connected');
    }),
  ]);
}
