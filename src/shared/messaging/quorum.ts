import type { Channel, Connection, Envelope, SyncMessage } from 'rabbitmq-client';
import type { Logger } from '../logger';

/** The argument that makes a queue a quorum queue (replicated across a cluster's nodes). */
export const QUORUM = { 'x-queue-type': 'quorum' } as const;

export interface QueueBinding {
  exchange: string;
  routingKey: string;
}

export interface QuorumQueue {
  name: string;
  /** Further arguments (x-message-ttl, dead-letter target); x-queue-type is added. */
  arguments?: Record<string, unknown>;
  bindings: QueueBinding[];
}

/** Where a classic queue's messages wait while the queue is re-created as a quorum queue. */
export function migrationQueueOf(name: string): string {
  return `${name}.migrating`;
}

/*
 * The temporary queue is classic on purpose: only a classic queue can be deleted "if empty"
 * (RabbitMQ refuses queue.delete if-empty on a quorum queue with a connection error), and that
 * check is what makes deleting it safe. It lives only for the migration.
 */
const TEMPORARY = { 'x-queue-type': 'classic' } as const;

const isPreconditionFailed = (err: unknown): boolean =>
  (err as { code?: unknown })?.code === 'PRECONDITION_FAILED';

/*
 * Declaring a queue as a quorum queue, migrating an existing classic queue of the same name.
 *
 * A queue's type cannot change in place: declaring `x-queue-type: quorum` over a classic queue
 * fails with PRECONDITION_FAILED. The classic queue Q is then emptied into a temporary (classic,
 * durable) queue T (`Q.migrating`), deleted, declared again as a quorum queue, and T is emptied back:
 *   1. declare T, bind T like Q, then unbind Q: from here every routed message goes to T;
 *   2. move Q → T, then delete Q only if it is empty (`ifEmpty`; otherwise move again);
 *   3. declare Q as a quorum queue and bind it;
 *   4. unbind T, move T → Q, delete T only if it is empty (otherwise move again).
 * A move is basic.get (manual ack) → publish to the other queue with a publisher confirm → ack.
 *
 * Why nothing is lost: a message is acked in its source queue only after the broker confirmed
 * it in the target queue, and a queue is deleted only when empty. A routed publication always
 * has a bound queue (T from step 1 until step 4, Q again from step 3); while both are bound a
 * publication lands in both, a duplicate that the consumers' inbox makes harmless.
 * If the process dies half-way: an unacked message returns to its source queue (it may also be
 * in the target: a duplicate, harmless again), and the next start-up finds one of these states
 * and finishes: Q still classic (steps 1-2 run again: declares and binds are idempotent); Q gone
 * (declared as quorum); Q quorum with T left over (step 4, done by every start-up when T exists).
 * Assumption: the consumers of Q are stopped during the migration (this runs at start-up, before
 * this process's consumer starts; an old-version consumer still running could publish a retry
 * to Q by name at the instant Q does not exist, and RabbitMQ drops an unroutable publication).
 */
export async function ensureQuorumQueue(
  connection: Connection,
  q: QuorumQueue,
  logger?: Logger,
): Promise<{ migrated: number }> {
  const args = { ...q.arguments, ...QUORUM };
  const temp = migrationQueueOf(q.name);
  const bind = (queue: string) =>
    onChannel(connection, async (ch) => {
      for (const b of q.bindings) await ch.queueBind({ queue, ...b });
    });
  const unbind = (queue: string) =>
    onChannel(connection, async (ch) => {
      for (const b of q.bindings) await ch.queueUnbind({ queue, ...b });
    });
  let migrated = 0;
  if (!(await declares(connection, q.name, args))) {
    logger?.warn('queue is not a quorum queue: migrating it', { queue: q.name });
    await onChannel(connection, (ch) =>
      ch.queueDeclare({ queue: temp, durable: true, arguments: { ...TEMPORARY } }),
    );
    await bind(temp);
    await unbind(q.name);
    migrated = await drainAndDelete(connection, q.name, temp);
    await onChannel(connection, (ch) => ch.queueDeclare({ queue: q.name, durable: true, arguments: args }));
  }
  await bind(q.name);
  if (await exists(connection, temp)) {
    await unbind(temp);
    await drainAndDelete(connection, temp, q.name);
    logger?.info('queue migrated to a quorum queue', { queue: q.name, messages: migrated });
  }
  return { migrated };
}

/**
 * Runs `fn` on a channel of its own. A refused declare or delete closes its channel; on the
 * connection's shared channel that would also fail whatever other consumers of the process were
 * declaring at that moment.
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
    if (isPreconditionFailed(err)) return false;
    throw err;
  }
}

async function exists(connection: Connection, queue: string): Promise<boolean> {
  try {
    await onChannel(connection, (ch) => ch.queueDeclare({ queue, passive: true }));
    return true;
  } catch (err) {
    if ((err as { code?: unknown })?.code === 'NOT_FOUND') return false;
    throw err;
  }
}

/** Moves every message of `from` to `to`, then deletes `from` if (and only if) it is empty. */
async function drainAndDelete(connection: Connection, from: string, to: string): Promise<number> {
  let moved = 0;
  for (;;) {
    moved += await moveMessages(connection, from, to);
    try {
      await onChannel(connection, (ch) => ch.queueDelete({ queue: from, ifEmpty: true }));
      return moved;
    } catch (err) {
      // A message arrived after the last get (a late publication, a requeued delivery): move it too.
      if (!isPreconditionFailed(err)) throw err;
    }
  }
}

/** One message at a time: get, publish with a confirm, then ack. Returns how many moved. */
async function moveMessages(connection: Connection, from: string, to: string): Promise<number> {
  const ch = await connection.acquire();
  try {
    await ch.confirmSelect();
    let moved = 0;
    for (;;) {
      const msg = await ch.basicGet({ queue: from, noAck: false });
      if (!msg) return moved;
      await ch.basicPublish({ ...propertiesOf(msg), exchange: '', routingKey: to }, msg.body);
      await ch.basicAck({ deliveryTag: msg.deliveryTag });
      moved += 1;
    }
  } finally {
    await ch.close().catch(() => undefined);
  }
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
  if (headers['x-original-routing-key'] === undefined && routingKey)
    headers['x-original-routing-key'] = routingKey;
  return { ...props, headers };
}
