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
  const pub = await createRedis(platform.config.REDIS_URL, 'socket.io-pub');
  const sub = pub.duplicate();
  sub.on('error', () => undefined);
  await sub.connect();
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

/** Emitter for processes that are not socket servers (workers). */
export function createEmitter(redis: RedisClient, prefix: string): Emitter {
  return new Emitter(redis, { key: `${prefix}socket.io` });
}
