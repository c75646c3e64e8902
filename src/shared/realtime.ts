import type http from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { Emitter } from '@socket.io/redis-emitter';
import { Server } from 'socket.io';
import type { Platform } from './platform';
import { createRedis, type RedisClient } from './redis';

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
