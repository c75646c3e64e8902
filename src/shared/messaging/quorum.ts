import type { Channel, Connection, Envelope, SyncMessage } from 'rabbitmq-client';
import type { Logger } from '../logger';

/** The argument that makes a queue a quorum queue (replicated across a cluster's nodes). */
export const QUORUM = { 'x-queue-type': 'quorum' } as const;

/**
 * How many times RabbitMQ hands out one message that comes back unacknowledged (its consumer
 * crashed, lost its connection, or closed with the message prefetched) before it dead-letters it
 * to the work queue's DLQ. A handler's failure never counts here: consumer.ts acks the message
 * and publishes a new copy to a delay queue (`x-attempt` + 1), so our retry counting alone
 * decides when a failing event is dead-lettered. This limit only stops a message that kills
 * its worker every time (it would otherwise loop forever), and parks it where it is visible.
 * Set deliberately: RabbitMQ 4 puts a default of 20 on every quorum queue and, without a
 * dead-letter target, DROPS the message past it; ours has the DLQ as its target. A constant,
 * not a setting: the relay and every consumer declare the same queue and must agree on it.
 */
export const DELIVERY_LIMIT = 20;

/*
 * Dead-lettering out of a quorum queue is at-most-once by default: a message expiring from a
 * delay queue could be lost if its target did not take it. at-least-once keeps it in the
 * source until the target queue confirms it (RabbitMQ >= 3.10; it needs `reject-publish`, which
 * only matters with a length limit, and we set none).
 */
const AT_LEAST_ONCE = { 'x-dead-letter-strategy': 'at-least-once', 'x-overflow': 'reject-publish' } as const;

export interface QueueBinding {
  exchange: string;
  routingKey: string;
}

export interface QuorumQueue {
  name: string;
  /** Everything this version declares it with (`x-queue-type: quorum` included). */
  arguments: Record<string, unknown>;
  /** What the classic version declared it with: how a queue left by it is recognised. */
  legacyArguments: Record<string, unknown>;
  bindings: QueueBinding[];
  /**
   * A delay queue names its work queue here: when migrated, its messages move straight into it
   * (their retry comes early, which a retry tolerates) instead of through a temporary queue.
   */
  drainInto?: string;
}

export function deadLetterQueue(name: string): string {
  return `${name}.dlq`;
}

/** A consumer's work queue: quorum, and past DELIVERY_LIMIT redeliveries a message goes to its DLQ. */
export function workQueue(name: string, bindings: QueueBinding[]): QuorumQueue {
  return {
    name,
    arguments: {
      ...QUORUM,
      'x-delivery-limit': DELIVERY_LIMIT,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': deadLetterQueue(name),
      ...AT_LEAST_ONCE,
    },
    legacyArguments: {},
    bindings,
  };
}

/** A consumer's DLQ: quorum, read by people (and the metrics), never consumed. */
export function deadLetterQueueOf(name: string): QuorumQueue {
  return { name: deadLetterQueue(name), arguments: { ...QUORUM }, legacyArguments: {}, bindings: [] };
}

/** A delay queue: holds a retry for `ttlMs`, then dead-letters it back to the work queue. */
export function delayQueue(name: string, ttlMs: number, workQueueName: string): QuorumQueue {
  const legacyArguments = {
    'x-message-ttl': ttlMs,
    'x-dead-letter-exchange': '',
    'x-dead-letter-routing-key': workQueueName,
  };
  return {
    name,
    arguments: { ...QUORUM, ...legacyArguments, ...AT_LEAST_ONCE },
    legacyArguments,
    bindings: [],
    drainInto: workQueueName,
  };
}

/** Where a classic queue's messages wait while the queue is re-created as a quorum queue. */
export function migrationQueueOf(name: string): string {
  return `${name}.migrating`;
}

/*
 * The temporary queue is classic on purpose: only a classic queue can be deleted "if empty"
 * (RabbitMQ answers queue.delete if-empty on a quorum queue with NOT_IMPLEMENTED, which closes
 * the whole connection), and that check is what makes deleting a queue safe.
 */
const CLASSIC = { 'x-queue-type': 'classic' } as const;

const codeOf = (err: unknown): unknown => (err as { code?: unknown })?.code;

/*
 * Declaring a consumer's queues as quorum queues, migrating classic queues of the same names.
 *
 * A queue's type cannot change in place: declaring `x-queue-type: quorum` over a classic queue
 * fails with PRECONDITION_FAILED. Fast path (every start-up but the first after upgrading): each
 * queue is declared with its arguments and bound on one channel, and each queue that can have a
 * temporary queue is checked for a left-over one. Slow path, per queue, under a broker-side lock (below):
 * the queue is recognised as the classic version's by declaring it with that version's exact
 * arguments (anything else is refused with an error naming the queue: we never delete a queue
 * we do not recognise), then
 *  - a delay queue D: its messages move into its work queue, D is deleted if empty, declared
 *    again as quorum;
 *  - a work queue or DLQ Q, through a temporary classic durable queue T (`Q.migrating`):
 *    1. declare T, bind T like Q, then unbind Q: from here every routed message goes to T;
 *    2. move Q → T, then delete Q only if it is empty (`ifEmpty`; otherwise move again);
 *    3. declare Q as a quorum queue and bind it;
 *    4. unbind T, move T → Q, delete T only if it is empty (otherwise move again).
 * A move is basic.get (manual ack) → publish to the other queue with a publisher confirm → ack.
 *
 * Why nothing is lost: a message is acked in its source only after the broker confirmed it in
 * its target, and a queue is deleted only when empty. A routed publication always has a bound
 * queue (T from step 1 until step 4, Q again from step 3); while both are bound a publication
 * lands in both, a duplicate that the consumers' inbox makes harmless. The caller passes the
 * delay queues first: once they are drained and quorum, nothing dead-letters into Q by name
 * during the instant between deleting Q and declaring it again.
 * If the process dies half-way: an unacked message returns to its source queue (it may also be
 * in the target: a duplicate, harmless again), and the next start-up finds one of these states
 * and finishes: Q still classic (the steps run again: declares and binds are idempotent); Q gone
 * (declared as quorum); Q quorum with T left over (step 4, done whenever T exists).
 *
 * Concurrency: several copies of a worker, and the relay, start at once and may all find the
 * same classic queue. Only the holder of the lock migrates: an exclusive queue
 * `<work queue>.migration-lock`, which RabbitMQ lets one connection declare at a time
 * (RESOURCE_LOCKED for the others) and deletes by itself when that connection dies, so a crashed
 * migrator never leaves it held. The others wait for it, then find the queue already quorum.
 * Assumption: no consumer of the OLD version runs during the migration (stop the old workers
 * first; README). One could publish a retry or dead-letter to Q by name at the instant Q does
 * not exist, and RabbitMQ drops an unroutable publication. This version's consumer starts only
 * after its queues are ensured.
 */
export async function ensureQuorumQueues(
  connection: Connection,
  family: string,
  queues: QuorumQueue[],
  opts: { logger?: Logger; migrate?: boolean } = {},
): Promise<{ migrated: number }> {
  const { logger, migrate = true } = opts;
  let migrated = 0;
  const failed = await declareAll(connection, queues);
  const slow = failed < 0 ? [] : queues.slice(failed);
  const fast = failed < 0 ? queues : queues.slice(0, failed);
  const leftOver: QuorumQueue[] = [];
  if (migrate) {
    for (const q of fast)
      if (!q.drainInto && (await exists(connection, migrationQueueOf(q.name)))) leftOver.push(q);
  }
  if (slow.length === 0 && leftOver.length === 0) return { migrated };

  await withLock(connection, family, async () => {
    if (!migrate) {
      for (const q of slow) await declareOrLeave(connection, q);
      return;
    }
    for (const q of slow) migrated += await migrateQueue(connection, q, logger);
    for (const q of [...leftOver, ...slow]) {
      if (q.drainInto || !(await exists(connection, migrationQueueOf(q.name)))) continue;
      await finishFromTemporary(connection, q);
    }
  });
  if (migrated > 0) logger?.info('queues migrated to quorum queues', { family, messages: migrated });
  return { migrated };
}

/**
 * Declares the queues in order on one channel, binding each as soon as it is declared (a queue
 * that exists unbound drops what is routed to it meanwhile); answers the index of the first
 * refused, or -1.
 */
async function declareAll(connection: Connection, queues: QuorumQueue[]): Promise<number> {
  const ch = await connection.acquire();
  try {
    for (const [i, q] of queues.entries()) {
      try {
        await ch.queueDeclare({ queue: q.name, durable: true, arguments: q.arguments });
      } catch (err) {
        if (codeOf(err) === 'PRECONDITION_FAILED') return i;
        throw err;
      }
      for (const b of q.bindings) await ch.queueBind({ queue: q.name, ...b });
    }
    return -1;
  } finally {
    await ch.close().catch(() => undefined);
  }
}

/** Refuses a queue that is neither this version's nor the classic version's: we never delete it. */
function unrecognised(name: string): Error {
  return new Error(
    `queue ${name} exists with arguments this version neither declares nor recognises as the ` +
      "classic version's; it is left untouched: move its messages and delete it by hand",
  );
}

/** `migrate: false` (the relay), the lock held: a classic queue is bound as it is, for its consumer to migrate. */
async function declareOrLeave(connection: Connection, q: QuorumQueue): Promise<void> {
  const known =
    (await declares(connection, q.name, q.arguments)) ||
    (await declares(connection, q.name, q.legacyArguments));
  if (!known) throw unrecognised(q.name);
  await onChannel(connection, async (ch) => {
    for (const b of q.bindings) await ch.queueBind({ queue: q.name, ...b });
  });
}

/** One queue of the slow path, the lock held. Answers how many messages it moved. */
async function migrateQueue(connection: Connection, q: QuorumQueue, logger?: Logger): Promise<number> {
  if (await declares(connection, q.name, q.arguments)) {
    await declareOn(connection, q); // another process migrated it: only bind it
    return 0;
  }
  if (!(await declares(connection, q.name, q.legacyArguments))) throw unrecognised(q.name);
  logger?.warn('queue is a classic queue: migrating it to a quorum queue', { queue: q.name });
  if (q.drainInto) {
    const target = q.drainInto;
    // Never publish into a queue that does not exist: the default exchange would drop it.
    await onChannel(connection, (ch) => ch.queueDeclare({ queue: target, passive: true }));
    const moved = await drainAndDelete(connection, q.name, target);
    await declareOn(connection, q);
    return moved;
  }
  const temp = migrationQueueOf(q.name);
  await onChannel(connection, (ch) =>
    ch.queueDeclare({ queue: temp, durable: true, arguments: { ...CLASSIC } }),
  );
  await rebind(connection, q.bindings, { bind: temp, unbind: q.name });
  const moved = await drainAndDelete(connection, q.name, temp);
  await declareOn(connection, q);
  return moved;
}

/** Steps 3 and 4: Q (quorum) bound again, T emptied into it and deleted. */
async function finishFromTemporary(connection: Connection, q: QuorumQueue): Promise<void> {
  const temp = migrationQueueOf(q.name);
  await declareOn(connection, q);
  await rebind(connection, q.bindings, { bind: q.name, unbind: temp });
  await drainAndDelete(connection, temp, q.name);
}

async function declareOn(connection: Connection, q: QuorumQueue): Promise<void> {
  await onChannel(connection, async (ch) => {
    await ch.queueDeclare({ queue: q.name, durable: true, arguments: q.arguments });
    for (const b of q.bindings) await ch.queueBind({ queue: q.name, ...b });
  });
}

/** Binds `bind` like the queue, then unbinds `unbind`: a routed message always has a queue. */
async function rebind(
  connection: Connection,
  bindings: QueueBinding[],
  { bind, unbind }: { bind: string; unbind: string },
): Promise<void> {
  await onChannel(connection, async (ch) => {
    for (const b of bindings) await ch.queueBind({ queue: bind, ...b });
    for (const b of bindings) await ch.queueUnbind({ queue: unbind, ...b });
  });
}

/**
 * Runs `fn` holding the migration lock of `family` (see ensureQuorumQueues). Waits as long as
 * another connection holds it: that one is migrating, and dies or finishes.
 */
async function withLock<T>(connection: Connection, family: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${family}.migration-lock`;
  for (let wait = 100; ; wait = Math.min(wait * 2, 2000)) {
    try {
      await onChannel(connection, (ch) =>
        ch.queueDeclare({ queue: lock, exclusive: true, autoDelete: true, arguments: { ...CLASSIC } }),
      );
      break;
    } catch (err) {
      if (codeOf(err) !== 'RESOURCE_LOCKED') throw err;
      await new Promise((r) => setTimeout(r, wait));
    }
  }
  try {
    return await fn();
  } finally {
    await onChannel(connection, (ch) => ch.queueDelete({ queue: lock })).catch(() => undefined);
  }
}

/**
 * Runs `fn` on a channel of its own. A refused declare closes its channel; on the connection's
 * shared channel that would also fail whatever other consumers of the process were declaring.
 */
async function onChannel<T>(connection: Connection, fn: (ch: Channel) => Promise<T>): Promise<T> {
  const ch = await connection.acquire();
  try {
    return await fn(ch);
  } finally {
    await ch.close().catch(() => undefined);
  }
}

/** True when the queue was declared (or already is) with these arguments; false on a mismatch. */
async function declares(
  connection: Connection,
  queue: string,
  args: Record<string, unknown>,
): Promise<boolean> {
  try {
    await onChannel(connection, (ch) => ch.queueDeclare({ queue, durable: true, arguments: args }));
    return true;
  } catch (err) {
    if (codeOf(err) === 'PRECONDITION_FAILED') return false;
    throw err;
  }
}

async function exists(connection: Connection, queue: string): Promise<boolean> {
  try {
    await onChannel(connection, (ch) => ch.queueDeclare({ queue, passive: true }));
    return true;
  } catch (err) {
    if (codeOf(err) === 'NOT_FOUND') return false;
    throw err;
  }
}

/** Moves every message of the classic queue `from` to `to`, then deletes `from` once it is empty. */
async function drainAndDelete(connection: Connection, from: string, to: string): Promise<number> {
  let moved = 0;
  for (;;) {
    moved += await moveMessages(connection, from, to);
    try {
      await onChannel(connection, (ch) => ch.queueDelete({ queue: from, ifEmpty: true }));
      return moved;
    } catch (err) {
      // A message arrived after the last get (a late publication, a requeued delivery): move it too.
      if (codeOf(err) !== 'PRECONDITION_FAILED') throw err;
    }
  }
}

/** One message at a time: get, publish with a confirm, then ack. Returns how many moved. */
async function moveMessages(connection: Connection, from: string, to: string): Promise<number> {
  return onChannel(connection, async (ch) => {
    await ch.confirmSelect();
    let moved = 0;
    for (;;) {
      const msg = await ch.basicGet({ queue: from, noAck: false });
      if (!msg) return moved;
      await ch.basicPublish({ ...propertiesOf(msg), exchange: '', routingKey: to }, msg.body);
      await ch.basicAck({ deliveryTag: msg.deliveryTag });
      moved += 1;
    }
  });
}

/** The message's own properties, and the event name it was first routed with (consumer.ts reads it). */
function propertiesOf(msg: SyncMessage): Envelope {
  const {
    deliveryTag: _t,
    redelivered: _r,
    exchange: _e,
    routingKey,
    messageCount: _c,
    body: _b,
    ...props
  } = msg;
  const headers = { ...props.headers };
  if (headers['x-original-routing-key'] === undefined && routingKey && msg.exchange !== '')
    headers['x-original-routing-key'] = routingKey;
  return { ...props, durable: true, headers };
}
