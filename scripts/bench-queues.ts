/**
 * `npm run bench:queues [-- --queues 132 --messages 3000 --rounds 2 --write]`: what quorum queues
 * cost next to classic queues on this RabbitMQ, both measured in the same run (rounds alternate
 * classic and quorum so that the machine's load drifts over both alike).
 *
 * In a vhost of its own (made and removed with rabbitmqctl), for each queue type:
 *  - declare `--queues` fresh durable queues one after another (132 is what one process with
 *    every consumer declares: 22 work queues, their DLQs and 4 delay queues each), then declare
 *    them all again (the idempotent path every start-up and reconnect takes), then delete them;
 *  - publish `--messages` persistent 300-byte messages with publisher confirms (64 in flight,
 *    like a relay batch), then consume them with manual acks (prefetch 16, as AMQP_PREFETCH).
 * Prints ms per queue and messages per second, and each quorum figure as a ratio to classic.
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { Connection } from 'rabbitmq-client';
import { writeBenchmarkSection } from './bench-docs';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

const QUEUES = arg('queues', 132);
const MESSAGES = arg('messages', 3000);
const ROUNDS = arg('rounds', 2);
const IN_FLIGHT = 64;
const PREFETCH = 16;
const WRITE = process.argv.includes('--write');
const VHOST = `ticketing-bench-queues-${process.pid}`;
const log = (m: string) => console.log(`[bench] ${m}`);

type QueueType = 'classic' | 'quorum';
interface Figures {
  declareMs: number;
  redeclareMs: number;
  deleteMs: number;
  publishPerSecond: number;
  consumePerSecond: number;
}

const rabbitmqctl = (...args: string[]) => execFileSync('rabbitmqctl', ['-q', ...args], { stdio: 'ignore' });

async function measure(connection: Connection, type: QueueType, round: number): Promise<Figures> {
  const names = Array.from({ length: QUEUES }, (_, i) => `bench.${type}.${round}.${i}`);
  const args = { 'x-queue-type': type };
  const ch = await connection.acquire();
  try {
    let t = performance.now();
    for (const queue of names) await ch.queueDeclare({ queue, durable: true, arguments: args });
    const declareMs = (performance.now() - t) / QUEUES;
    t = performance.now();
    for (const queue of names) await ch.queueDeclare({ queue, durable: true, arguments: args });
    const redeclareMs = (performance.now() - t) / QUEUES;

    const queue = names[0];
    const body = Buffer.alloc(300, 'x');
    const publisher = connection.createPublisher({ confirm: true });
    t = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < MESSAGES) {
          next += 1;
          await publisher.send({ routingKey: queue, durable: true }, body);
        }
      }),
    );
    const publishPerSecond = MESSAGES / ((performance.now() - t) / 1000);
    await publisher.close();

    t = performance.now();
    let consumed = 0;
    await new Promise<void>((resolve, reject) => {
      const consumer = connection.createConsumer(
        { queue, queueOptions: { passive: true }, qos: { prefetchCount: PREFETCH } },
        () => {
          consumed += 1;
          if (consumed === MESSAGES) consumer.close().then(resolve, reject);
        },
      );
      consumer.on('error', reject);
    });
    const consumePerSecond = MESSAGES / ((performance.now() - t) / 1000);

    t = performance.now();
    for (const q of names) await ch.queueDelete({ queue: q });
    const deleteMs = (performance.now() - t) / QUEUES;
    return { declareMs, redeclareMs, deleteMs, publishPerSecond, consumePerSecond };
  } finally {
    await ch.close();
  }
}

function mean(rows: Figures[]): Figures {
  const avg = (k: keyof Figures) => rows.reduce((s, r) => s + r[k], 0) / rows.length;
  return {
    declareMs: avg('declareMs'),
    redeclareMs: avg('redeclareMs'),
    deleteMs: avg('deleteMs'),
    publishPerSecond: avg('publishPerSecond'),
    consumePerSecond: avg('consumePerSecond'),
  };
}

async function main(): Promise<void> {
  rabbitmqctl('add_vhost', VHOST);
  rabbitmqctl('set_permissions', '-p', VHOST, 'guest', '.*', '.*', '.*');
  const base = new URL(process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672');
  base.pathname = `/${encodeURIComponent(VHOST)}`;
  const connection = new Connection({ url: base.toString(), connectionName: 'bench-queues' });
  const [loadBefore = 0] = os.loadavg();
  const results: Record<QueueType, Figures[]> = { classic: [], quorum: [] };
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      for (const type of ['classic', 'quorum'] as const) {
        const f = await measure(connection, type, round);
        results[type].push(f);
        log(
          `round ${round} ${type}: declare ${f.declareMs.toFixed(1)} ms/queue, again ${f.redeclareMs.toFixed(2)} ms, ` +
            `delete ${f.deleteMs.toFixed(1)} ms, publish ${f.publishPerSecond.toFixed(0)}/s, consume ${f.consumePerSecond.toFixed(0)}/s`,
        );
      }
    }
  } finally {
    await connection.close();
    rabbitmqctl('delete_vhost', VHOST);
  }
  const c = mean(results.classic);
  const q = mean(results.quorum);
  const [loadAfter = 0] = os.loadavg();
  const row = (label: string, unit: string, a: number, b: number, digits = 1) =>
    `| ${label} | ${a.toFixed(digits)} ${unit} | ${b.toFixed(digits)} ${unit} | ${(b / a).toFixed(2)} |`;
  const table = [
    '| measure | classic | quorum | quorum / classic |',
    '|---|---|---|---|',
    row('declare a new queue', 'ms', c.declareMs, q.declareMs),
    row('declare an existing queue again', 'ms', c.redeclareMs, q.redeclareMs, 2),
    row('delete a queue', 'ms', c.deleteMs, q.deleteMs),
    row('publish, confirmed (64 in flight)', 'msg/s', c.publishPerSecond, q.publishPerSecond, 0),
    row('consume, manual ack (prefetch 16)', 'msg/s', c.consumePerSecond, q.consumePerSecond, 0),
  ].join('\n');
  const text = [
    '## Queues: quorum against classic (`npm run bench:queues`)',
    '',
    `${QUEUES} queues declared, ${MESSAGES} persistent 300-byte messages, mean of ${ROUNDS} alternating rounds; ` +
      `RabbitMQ on this machine (${os.cpus().length} cores), load average ${loadBefore.toFixed(1)} before, ` +
      `${loadAfter.toFixed(1)} after (other engineers' work running too).`,
    '',
    table,
  ].join('\n');
  console.log(`\n${text}\n`);
  if (WRITE) log(`written to ${writeBenchmarkSection('queues', text)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
