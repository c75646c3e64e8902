import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import pg from 'pg';
import { createRedis } from '../src/shared/redis';

/**
 * What a benchmark makes for itself and must leave no trace of: a database, a RabbitMQ vhost,
 * a Redis key prefix (sessions, metric counters, the Socket.io adapter's channels) and a folder.
 */
export interface BenchResources {
  databaseUrl: string;
  vhost: string;
  redisPrefix: string;
  dir: string;
}

/** The machine's load averages (1, 5, 15 min), printed next to every figure. */
export function loadAvg(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');
}

/**
 * User + system CPU time of a process so far, all its threads, in ms (Linux /proc; clock ticks
 * of 10 ms); with `tid`, of that one thread (the main thread's id is the process id).
 */
export function cpuMs(pid: number, tid?: number): number {
  const stat = fs.readFileSync(tid ? `/proc/${pid}/task/${tid}/stat` : `/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** User + system CPU time of each thread of a process so far, in ms, by thread id (Linux /proc). */
export function threadCpuMs(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      out.set(Number(tid), cpuMs(pid, Number(tid)));
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}

/** The machine's CPU ticks so far, all cores: [busy, total] (Linux /proc/stat). */
export function machineTicks(): [number, number] {
  const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
  const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
  return [total - idle, total];
}

/** The share of the machine's CPU time that was busy between two machineTicks() readings. */
export function busyShare(a: [number, number], b: [number, number]): number {
  return (b[0] - a[0]) / Math.max(1, b[1] - a[1]);
}

export function rabbit(...args: string[]): void {
  execFileSync('rabbitmqctl', ['-q', ...args], { stdio: 'ignore' });
}

export function databaseName(databaseUrl: string): string {
  return new URL(databaseUrl).pathname.slice(1);
}

export async function dropDatabase(databaseUrl: string): Promise<void> {
  const admin = new pg.Client({ connectionString: new URL('/postgres', databaseUrl).toString() });
  await admin.connect();
  try {
    await admin.query(
      `DROP DATABASE IF EXISTS ${pg.escapeIdentifier(databaseName(databaseUrl))} WITH (FORCE)`,
    );
  } finally {
    await admin.end();
  }
}

/** Makes the vhost (guest may use it); the database is the caller's (dropped, then migrated). */
export function createVhost(vhost: string): void {
  rabbit('add_vhost', vhost);
  rabbit('set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*');
}

/** Removes all of it, each part even if another fails; returns a line saying what was removed. */
export async function removeBenchResources(r: BenchResources): Promise<string> {
  const problems: string[] = [];
  await dropDatabase(r.databaseUrl).catch((e: Error) => problems.push(`database: ${e.message}`));
  try {
    rabbit('delete_vhost', r.vhost);
  } catch (e) {
    problems.push(`vhost: ${(e as Error).message}`);
  }
  let deleted = 0;
  try {
    const redis = await createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', 'bench-cleanup');
    try {
      for await (const keys of redis.scanIterator({ MATCH: `${r.redisPrefix}*`, COUNT: 1000 })) {
        if (keys.length) deleted += await redis.del(keys);
      }
    } finally {
      redis.destroy();
    }
  } catch (e) {
    problems.push(`redis: ${(e as Error).message}`);
  }
  fs.rmSync(r.dir, { recursive: true, force: true });
  if (problems.length) throw new Error(`clean-up incomplete: ${problems.join('; ')}`);
  return `removed database ${databaseName(r.databaseUrl)}, vhost ${r.vhost}, ${deleted} Redis keys under ${r.redisPrefix}, ${r.dir}`;
}
