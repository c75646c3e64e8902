import type http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createAdapter } from '@socket.io/redis-adapter';
import { Emitter } from '@socket.io/redis-emitter';
import { Server } from 'socket.io';
import type { Platform } from './platform';
import { createRedis, type RedisClient } from './redis';

/** What writeBroadcastsDirectly touches of socket.io's Client, engine.io's Socket and ws (pinned versions). */
interface EngineClient {
  writeToEngine(encoded: unknown, opts: BroadcastPacketOpts): void;
  conn: {
    readyState: string;
    writeBuffer: unknown[];
    transport: {
      name: string;
      perMessageDeflate?: unknown;
      socket?: { readyState: number; _socket?: { writable: boolean; write(b: Buffer): boolean } | null };
    };
  };
}
interface BroadcastPacketOpts {
  volatile?: boolean;
  wsPreEncodedFrame?: Buffer[];
}
const mergedFrames = new WeakMap<BroadcastPacketOpts, Buffer>();

/**
 * A room broadcast's frame written straight to each WebSocket's TCP socket. socket.io-adapter
 * encodes a broadcast's packet and its WebSocket frame once (`wsPreEncodedFrame`, header and
 * payload as two buffers) and hands it to every socket's engine.io connection, which wraps it in a
 * packet object, buffers and flushes it, corks two writes into a writev and takes a write
 * callback, two nextTicks and several events per socket: 7–9 µs of JavaScript per socket per
 * message besides the system call's 8–10 µs (a 2,000-socket room, docs/benchmarks.md, issue 17). Here the
 * frame's two buffers are joined once per broadcast (kept on the broadcast's options object, which
 * every socket of it shares) and written with one `write` per socket: 3 µs of JavaScript.
 *
 * Order is kept: the direct write happens only when engine.io holds nothing unsent for the socket
 * (its writeBuffer is empty, so everything it was given is already in the TCP socket's own
 * queue, ahead of this frame; ws itself queues frames only while compressing, which is off when
 * this path is taken); otherwise, and for anything that is not a pre-encoded broadcast
 * on an open, uncompressed WebSocket (polling, upgrades, volatile packets, per-socket emits), the
 * packet takes engine.io's own path. A write error is the TCP socket's, which ws already handles
 * (it closes the WebSocket and engine.io the connection), as for engine.io's own writes.
 */
function writeBroadcastsDirectly(client: EngineClient): void {
  const viaEngine = client.writeToEngine.bind(client);
  client.writeToEngine = (encoded, opts) => {
    const frame = opts.wsPreEncodedFrame;
    const conn = client.conn;
    const transport = conn.transport;
    const tcp = transport.socket?._socket;
    if (
      frame &&
      !opts.volatile &&
      conn.readyState === 'open' &&
      conn.writeBuffer.length === 0 &&
      transport.name === 'websocket' &&
      !transport.perMessageDeflate &&
      transport.socket?.readyState === 1 &&
      tcp?.writable
    ) {
      let merged = mergedFrames.get(opts);
      if (!merged) mergedFrames.set(opts, (merged = frame.length === 1 ? frame[0]! : Buffer.concat(frame)));
      tcp.write(merged);
      return;
    }
    viaEngine(encoded, opts);
  };
}

export interface Realtime {
  io: Server;
  close(): Promise<void>;
}

/**
 * Socket.io on the web process with the Redis adapter: an emit from any web process or
 * worker reaches sockets connected to every other web process.
 */
export async function createRealtime(server: http.Server, platform: Platform): Promise<Realtime> {
  const { REDIS_URL, REDIS_COMMAND_TIMEOUT_MS } = platform.config;
  const pub = await createRedis(REDIS_URL, 'socket.io-pub', REDIS_COMMAND_TIMEOUT_MS);
  const sub = await createRedis(REDIS_URL, 'socket.io-sub', REDIS_COMMAND_TIMEOUT_MS);
  const io = new Server(server, {
    serveClient: true,
    cors: { origin: platform.config.PUBLIC_URL, credentials: true },
    adapter: createAdapter(pub, sub, { key: `${platform.config.REDIS_PREFIX}socket.io` }),
  });
  // Each connection keeps a reference to its HTTP upgrade request (the IncomingMessage, its
  // socket and parser state) for its whole life; nothing reads it after socket.io has copied the
  // handshake (headers, query, address) at connect. Dropping it is most of a socket's memory at
  // ten thousand browsers per process.
  io.on('connection', (socket) => {
    (socket.conn as unknown as { request: unknown }).request = null;
    writeBroadcastsDirectly(socket.client as unknown as EngineClient);
  });
  return {
    io,
    async close() {
      await io.close();
      await Promise.allSettled([pub.close(), sub.close()]);
    },
  };
}

/**
 * Emitter for processes that are not socket servers (workers). Live pushes are best effort: the
 * emitter fires PUBLISH without handling its promise, so while Redis is unreachable each push
 * would be an unhandled rejection that kills the worker (the chaos run saw the payments and
 * realtime workers die that way). The client it gets drops a failed push instead; browsers catch
 * up from the API and the next push.
 */
export function createEmitter(redis: RedisClient, prefix: string): Emitter {
  const publisher = {
    publish: (channel: string, message: string | Buffer) => redis.publish(channel, message).catch(() => 0),
  };
  return new Emitter(publisher, { key: `${prefix}socket.io` });
}

/*
 * Audience: how many sockets each web process holds in the rooms a live feed paces its sends by
 * (the realtime worker's send budget, workers/realtime/handler.ts), and how far behind its event
 * loop runs (the 99th percentile of its timers' delay over the report's interval: a process
 * that cannot keep up, with its own fan-outs or because the machine's cores are taken by others,
 * shows it there first). Each web process writes its own report, as one field of one Redis hash,
 * every `everyMs`; a reader sums the fresh fields. Approximate by design (up to a report old): it
 * decides how often a room is refreshed, never whether; a reader that has no report (Redis down,
 * no web process yet) sees an audience of 0.
 */
const audienceKey = (prefix: string) => `${prefix}live:audience`;
const AUDIENCE_MAX_AGE_MS = 10_000;

/** Web side: reports the sizes of this process's rooms that `counted` accepts; returns stop. */
export function reportAudience(
  io: Server,
  redis: RedisClient,
  prefix: string,
  counted: (room: string) => boolean,
  everyMs = 1000,
): () => void {
  const field = `${process.pid}:${Math.random().toString(36).slice(2)}`;
  const rooms = new Set<string>();
  const adapter = io.of('/').adapter;
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  adapter.on('create-room', (room: string) => counted(room) && rooms.add(room));
  adapter.on('delete-room', (room: string) => rooms.delete(room));
  const report = () => {
    if (!redis.isReady) return;
    const sizes: Record<string, number> = {};
    for (const room of rooms) sizes[room] = adapter.rooms.get(room)?.size ?? 0;
    const lagMs = Math.max(0, delay.percentile(99) / 1e6 - 10);
    delay.reset();
    redis
      .hSet(audienceKey(prefix), field, JSON.stringify({ at: Date.now(), lagMs, rooms: sizes }))
      .catch(() => undefined);
  };
  const timer = setInterval(report, everyMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    delay.disable();
    if (redis.isReady) redis.hDel(audienceKey(prefix), field).catch(() => undefined);
  };
}

export interface Audience {
  /** Sockets in `room` over every web process that reported lately. */
  of(room: string): number;
  /** Web processes that reported lately (at least 1). */
  processes(): number;
  /** The largest event-loop lag (ms, p99 over a report's interval) of those processes' last reports. */
  lagMs(): number;
}

/** Worker side: the web processes' reports, re-read at most every `everyMs` (in the background). */
export function createAudienceReader(redis: RedisClient, prefix: string, everyMs = 1000): Audience {
  let totals = new Map<string, number>();
  let processes = 1;
  let lagMs = 0;
  let readAt = -Infinity;
  let reading = false;
  const refresh = () => {
    if (reading || performance.now() - readAt < everyMs || !redis.isReady) return;
    reading = true;
    readAt = performance.now();
    redis
      .hGetAll(audienceKey(prefix))
      .then((fields) => {
        const next = new Map<string, number>();
        let fresh = 0;
        let lag = 0;
        for (const [field, value] of Object.entries(fields)) {
          const report = JSON.parse(value) as { at: number; lagMs?: number; rooms: Record<string, number> };
          if (Date.now() - report.at > AUDIENCE_MAX_AGE_MS) {
            // A web process that stopped without saying so.
            redis.hDel(audienceKey(prefix), field).catch(() => undefined);
            continue;
          }
          fresh++;
          lag = Math.max(lag, report.lagMs ?? 0);
          for (const [room, n] of Object.entries(report.rooms)) next.set(room, (next.get(room) ?? 0) + n);
        }
        totals = next;
        processes = Math.max(1, fresh);
        lagMs = lag;
      })
      .catch(() => undefined)
      .finally(() => (reading = false));
  };
  return {
    of(room) {
      refresh();
      return totals.get(room) ?? 0;
    },
    processes() {
      refresh();
      return processes;
    },
    lagMs() {
      refresh();
      return lagMs;
    },
  };
}
