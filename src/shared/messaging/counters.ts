import type { RedisClient } from '../redis';

/**
 * Message counters shared by every process (web, relay, workers) through one Redis hash, so
 * that the web's /metrics reports what the workers did. Field: `<metric>|<label>=<v>,...`.
 */
export class SharedCounters {
  constructor(
    private readonly redis: RedisClient | undefined,
    private readonly key: string,
  ) {}

  inc(metric: string, labels: Record<string, string>, by = 1): void {
    if (!this.redis) return;
    const field = `${metric}|${Object.entries(labels)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}=${v}`)
      .join(',')}`;
    // Counting must never fail a publish or a handler.
    this.redis.hIncrBy(this.key, field, by).catch(() => undefined);
  }

  async read(): Promise<Array<{ metric: string; labels: Record<string, string>; value: number }>> {
    if (!this.redis) return [];
    const all = await this.redis.hGetAll(this.key);
    return Object.entries(all).map(([field, value]) => {
      const [metric = '', labelText = ''] = field.split('|');
      const labels = Object.fromEntries(
        labelText
          .split(',')
          .filter(Boolean)
          .map((kv) => kv.split('=') as [string, string]),
      );
      return { metric, labels, value: Number(value) };
    });
  }

  async registerQueue(queue: string): Promise<void> {
    await this.redis?.sAdd(`${this.key}:queues`, queue).catch(() => undefined);
  }

  async queues(): Promise<string[]> {
    return this.redis ? this.redis.sMembers(`${this.key}:queues`) : [];
  }
}
