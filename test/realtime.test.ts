import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { io as connect, type Socket } from 'socket.io-client';
import { buildApp } from '../src/app';
import type { Platform } from '../src/shared/platform';
import { createEmitter, createRealtime, type Realtime } from '../src/shared/realtime';
import { createRedis } from '../src/shared/redis';
import { createTestPlatform, waitFor } from './support/platform';
import { TcpProxy } from './support/tcp-proxy';

/** Two web processes and a worker sharing Redis, as in production: an emit anywhere reaches every socket. */
describe('Socket.io across processes (Redis adapter and emitter)', () => {
  const webs: Array<{ platform: Platform; server: http.Server; realtime: Realtime; url: string }> = [];
  let worker: Platform;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    for (const name of ['web-a', 'web-b']) {
      const platform = await createTestPlatform({}, name);
      const server = http.createServer(buildApp(platform).app);
      const realtime = await createRealtime(server, platform);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      webs.push({
        platform,
        server,
        realtime,
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      });
    }
    worker = await createTestPlatform({}, 'worker');
  });
  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    for (const w of webs) {
      await w.realtime.close();
      w.server.closeAllConnections();
      await new Promise((resolve) => w.server.close(resolve));
      await w.platform.close();
    }
    await worker.close();
  });

  async function client(url: string): Promise<Socket> {
    const socket = connect(url, { transports: ['websocket'], reconnection: false });
    sockets.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    return socket;
  }

  const next = <T>(socket: Socket, event: string) =>
    new Promise<T>((resolve) => socket.once(event, (payload: T) => resolve(payload)));

  it('when one web process emits, then a browser connected to another receives it', async () => {
    const onA = await client(webs[0]!.url);
    const received = next<{ sold: number }>(onA, 'inventory');
    // The adapter's subscription is in place once the socket is connected.
    webs[1]!.realtime.io.emit('inventory', { sold: 3 });
    await expect(received).resolves.toEqual({ sold: 3 });
  });

  it('when a worker emits through the Redis emitter, then browsers on every web process receive it', async () => {
    const [onA, onB] = [await client(webs[0]!.url), await client(webs[1]!.url)];
    const got = Promise.all([next(onA, 'ticket.ready'), next(onB, 'ticket.ready')]);
    createEmitter(worker.redis, worker.config.REDIS_PREFIX).emit('ticket.ready', { ticketId: 't1' });
    await expect(got).resolves.toEqual([{ ticketId: 't1' }, { ticketId: 't1' }]);
  });

  it('when Redis is unreachable, then a worker that emits does not crash (the push is dropped), and pushes arrive again once it is back', async () => {
    const proxy = await new TcpProxy('127.0.0.1', 6379).start();
    const redis = await createRedis(proxy.url(worker.config.REDIS_URL), 'emitter-under-test');
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const emitter = createEmitter(redis, worker.config.REDIS_PREFIX);
      await proxy.cut();
      await waitFor(() => !redis.isReady, 10_000, 'the client to notice Redis is gone');
      emitter.emit('ticket.ready', { ticketId: 'lost' });
      // Node reports an unhandled rejection once the microtask queue has drained.
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
      expect(unhandled).toEqual([]);

      await proxy.restore();
      await waitFor(() => redis.isReady, 15_000, 'the client to reconnect');
      const onA = await client(webs[0]!.url);
      const got = next(onA, 'ticket.ready');
      emitter.emit('ticket.ready', { ticketId: 'back' });
      await expect(got).resolves.toEqual({ ticketId: 'back' });
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await redis.close().catch(() => undefined);
      await proxy.close();
    }
  });
});
