import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { io as connect, type Socket } from 'socket.io-client';
import { buildApp } from '../src/app';
import type { Platform } from '../src/shared/platform';
import { createEmitter, createRealtime, type Realtime } from '../src/shared/realtime';
import { createTestPlatform } from './support/platform';

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
});
