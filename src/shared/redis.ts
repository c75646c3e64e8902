import { createClient } from 'redis';

/** How long a Redis command may go unanswered before its connection is judged dead (REDIS_COMMAND_TIMEOUT_MS). */
export const DEFAULT_REDIS_TIMEOUT_MS = 3000;

/** Why the watchdog cut a connection; found in the cause chain of every command it failed. */
export class RedisUnresponsiveError extends Error {
  constructor(timeoutMs: number) {
    super(`Redis did not answer a PING within ${timeoutMs} ms`);
    this.name = 'RedisUnresponsiveError';
  }
}

/**
 * Destroys every socket of one client at once. Node's `net.connect` takes an AbortSignal-like
 * `signal` (it checks for `aborted` and listens for 'abort') and destroys the socket when it
 * fires. node-redis copies its socket options once and passes the same object to every socket
 * it opens, so a real AbortSignal (aborted for ever once fired) would kill every later
 * reconnection too; this one never reads as aborted and can fire again and again. It is the
 * only handle on node-redis's socket: destroying it takes node-redis's own path for a broken
 * connection (every waiting command is rejected, new ones fail at once while offline, the
 * reconnect strategy runs, subscriptions are restored).
 */
class SocketKillSwitch extends EventTarget {
  reason: unknown;
  get aborted(): boolean {
    return false;
  }
  throwIfAborted(): void {}
  fire(reason: unknown): void {
    this.reason = reason;
    this.dispatchEvent(new Event('abort'));
  }
}

function makeClient(url: string, name: string, timeoutMs: number, killSwitch: SocketKillSwitch) {
  return createClient({
    url,
    name,
    // While disconnected, commands fail at once (ClientOfflineError) instead of queueing until
    // Redis is back: a request then answers 503 in milliseconds rather than hanging.
    disableOfflineQueue: true,
    socket: {
      connectTimeout: Math.max(timeoutMs, 1000),
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2000),
      signal: killSwitch as unknown as AbortSignal,
    },
  });
}

export type RedisClient = ReturnType<typeof makeClient>;

/**
 * Keeps a client's connection honest. disableOfflineQueue only covers a connection node-redis
 * knows is broken; a half-open one (the peer or a middlebox stopped answering but no FIN or RST
 * arrived: a network partition, a frozen server, a proxy that stalls) looks healthy, every
 * command written to it waits for ever, and a request waiting on its session or rate limit hangs
 * with it. So a PING goes out every timeout/2; when one goes unanswered for the timeout (or a
 * reconnection's handshake hangs for twice that), the sockets are destroyed. Every command on
 * them fails (→ 503), and node-redis reconnects by itself, so the client recovers once Redis
 * answers again. A request therefore waits at most about 1.5 × the timeout.
 *
 * Assumption: a healthy Redis answers PING well within the timeout even on a loaded machine. If
 * false, healthy connections are cut now and then: a few 503s and a reconnect, nothing lost.
 * The deadline is checked after the event loop has read pending input (setImmediate), so a
 * stalled event loop alone never condemns a connection whose answer is already waiting.
 */
function watchConnection(client: RedisClient, killSwitch: SocketKillSwitch, timeoutMs: number): void {
  let pinging = false;
  let notReadySince: number | undefined;
  const kill = () => killSwitch.fire(new RedisUnresponsiveError(timeoutMs));
  const timer = setInterval(
    () => {
      if (!client.isOpen) return;
      if (!client.isReady) {
        notReadySince ??= Date.now();
        if (Date.now() - notReadySince > 2 * timeoutMs) {
          notReadySince = undefined;
          kill();
        }
        return;
      }
      notReadySince = undefined;
      if (pinging) return;
      pinging = true;
      let answered = false;
      const deadline = setTimeout(() => setImmediate(() => answered || kill()), timeoutMs);
      client
        .ping()
        .catch(() => undefined)
        .finally(() => {
          answered = true;
          pinging = false;
          clearTimeout(deadline);
        });
    },
    Math.max(50, Math.floor(timeoutMs / 2)),
  );
  timer.unref();
  // 'end' is emitted only when the client is closed or destroyed on purpose.
  client.on('end', () => clearInterval(timer));
}

/**
 * The one way to make a Redis client (node-redis). Sessions, rate limits, live counters, caches
 * and the Socket.io adapter all use clients made here. Every command is answered or failed
 * within about 1.5 × `timeoutMs` (see watchConnection), and the client reconnects with capped
 * back-off for ever: a Redis outage must not take the process down or hang its requests.
 */
export async function createRedis(
  url: string,
  name = 'main',
  timeoutMs = DEFAULT_REDIS_TIMEOUT_MS,
): Promise<RedisClient> {
  const killSwitch = new SocketKillSwitch();
  const client = makeClient(url, name, timeoutMs, killSwitch);
  // Errors surface through commands and /ready; an unhandled 'error' event would crash the process.
  client.on('error', () => undefined);
  // Watched from the first connection on: a Redis that accepts but never answers would otherwise
  // hang the process's start.
  watchConnection(client, killSwitch, timeoutMs);
  await client.connect();
  return client;
}
