import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import pg from 'pg';
import { createClient } from 'redis';

/**
 * The chaos run's own PostgreSQL database, RabbitMQ vhost and Redis key prefix, named after the
 * run and the harness's process id (as the test resources are, test/support/names.ts), so that a
 * run never touches another's data and a later run can remove what a killed one left behind.
 */
export interface ChaosNames {
  id: string;
  database: string;
  vhost: string;
  redisPrefix: string;
}

export const PG_BASE = 'postgresql://postgres@127.0.0.1:5432';
export const REDIS_BASE = 'redis://127.0.0.1:6379';
export const AMQP_BASE = 'amqp://guest:guest@127.0.0.1:5672';

export function chaosNames(): ChaosNames {
  const id = `${crypto.randomBytes(3).toString('hex')}p${process.pid}`;
  return { id, database: `tm_chaos_${id}`, vhost: `tm_chaos_${id}`, redisPrefix: `tm_chaos:${id}:` };
}

function ownerPid(name: string): number | undefined {
  const m = /^tm_chaos[_:][0-9a-f]*p(\d+)/.exec(name);
  return m ? Number(m[1]) : undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const staleName = (name: string) => {
  const pid = ownerPid(name);
  return pid !== undefined && pid !== process.pid && !isAlive(pid);
};

function rabbitmqctl(args: string[]): string {
  return execFileSync('rabbitmqctl', ['-q', ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
}

/** Creates the run's database (empty; the caller migrates it) and vhost, after removing stale runs'. */
export async function createResources(names: ChaosNames): Promise<void> {
  const admin = new pg.Client({ connectionString: `${PG_BASE}/postgres` });
  await admin.connect();
  try {
    const existing = await admin.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname LIKE 'tm_chaos_%'",
    );
    for (const { datname } of existing.rows) {
      if (staleName(datname))
        await admin
          .query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(datname)} WITH (FORCE)`)
          .catch(() => {});
    }
  } finally {
    await admin.end();
  }
  for (const v of rabbitmqctl(['list_vhosts', 'name'])
    .split('\n')
    .map((s) => s.trim())) {
    if (v.startsWith('tm_chaos_') && staleName(v)) rabbitmqctl(['delete_vhost', v]);
  }
  // Redis keys and the temporary folder of a run that died before its clean-up.
  const redis = createClient({ url: REDIS_BASE });
  await redis.connect();
  try {
    for await (const keys of redis.scanIterator({ MATCH: 'tm_chaos:*', COUNT: 500 })) {
      const stale = keys.filter((k) => staleName(k));
      if (stale.length) await redis.del(stale);
    }
  } finally {
    await redis.close();
  }
  for (const dir of fs.readdirSync(os.tmpdir())) {
    const m = /^tm-chaos-([0-9a-f]*p\d+)-/.exec(dir);
    if (m && staleName(`tm_chaos_${m[1]}`))
      fs.rmSync(path.join(os.tmpdir(), dir), { recursive: true, force: true });
  }
  rabbitmqctl(['add_vhost', names.vhost]);
  rabbitmqctl(['set_permissions', '-p', names.vhost, 'guest', '.*', '.*', '.*']);
}

/** Drops the run's database and vhost and deletes its Redis keys. */
export async function removeResources(names: ChaosNames): Promise<void> {
  const admin = new pg.Client({ connectionString: `${PG_BASE}/postgres` });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(names.database)} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
  try {
    rabbitmqctl(['delete_vhost', names.vhost]);
  } catch {
    // already gone
  }
  const redis = createClient({ url: REDIS_BASE });
  await redis.connect();
  try {
    for await (const keys of redis.scanIterator({ MATCH: `${names.redisPrefix}*`, COUNT: 500 })) {
      if (keys.length) await redis.del(keys);
    }
  } finally {
    await redis.close();
  }
}

export interface QueueDepth {
  name: string;
  messages: number;
  unacked: number;
}

/** Every queue of the vhost with its ready and unacknowledged message counts. */
export function listQueues(vhost: string): QueueDepth[] {
  return rabbitmqctl(['list_queues', '-p', vhost, 'name', 'messages_ready', 'messages_unacknowledged'])
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((p) => p.length === 3 && /^\d+$/.test(p[1]!))
    .map(([name, ready, unacked]) => ({ name: name!, messages: Number(ready), unacked: Number(unacked) }));
}

/** A free loopback port (the web process keeps it across restarts, like a load balancer's target). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
