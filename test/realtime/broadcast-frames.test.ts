import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { io as connect, type Socket } from 'socket.io-client';
import type { Platform } from '../../src/shared/platform';
import {
  createAudienceReader,
  createRealtime,
  reportAudience,
  type Realtime,
} from '../../src/shared/realtime';
import { createTestPlatform, waitFor } from '../support/platform';

/**
 * Room broadcasts written straight to each WebSocket's TCP socket (src/shared/realtime.ts,
 * writeBroadcastsDirectly), and the audience the web processes report for the send budget.
 */
describe('live broadcasts on the web process', () => {
  let platform: Platform;
  let server: http.Server;
  let realtime: Realtime;
  let url: string;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    platform = await createTestPlatform({}, 'web-frames');
    server = http.createServer();
    realtime = await createRealtime(server, platform);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await realtime.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await platform.close();
  });

  async function client(transports: string[] = ['websocket']): Promise<Socket> {
    const socket = connect(url, { transports, reconnection: false, forceNew: true });
    sockets.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    return socket;
  }

  it('when broadcasts and per-socket emits interleave in one turn, then every client gets them all, in the order they were sent', async () => {
    const a = await client();
    const b = await client();
    const polling = await client(['polling']);
    const got = new Map<Socket, number[]>([
      [a, []],
      [b, []],
      [polling, []],
    ]);
    for (const [s, list] of got) s.on('n', (n: number) => list.push(n));
    await waitFor(() => realtime.io.sockets.sockets.size === 3, 5000, 'three sockets on the server');
    for (const s of realtime.io.sockets.sockets.values()) s.join('room');
    // Per-socket emits leave engine.io's buffer non-empty while its first write is in flight:
    // the broadcasts after them must not jump ahead.
    for (let n = 0; n < 40; n++) {
      if (n % 3 === 0) for (const s of realtime.io.sockets.sockets.values()) s.emit('n', n);
      else realtime.io.to('room').emit('n', n);
    }
    const all = Array.from({ length: 40 }, (_, n) => n);
    await waitFor(
      () => [...got.values()].every((l) => l.length === 40),
      10_000,
      'every message at every client',
    );
    for (const list of got.values()) expect(list).toEqual(all);

    // A broadcast while nothing is buffered: the WebSocket clients' frame bypasses engine.io
    // (no packet made there), the polling client's takes engine.io's own path.
    const made = new Map<string, number>();
    for (const s of realtime.io.sockets.sockets.values())
      s.conn.on('packetCreate', (p: { type: string }) => {
        if (p.type === 'message') made.set(s.conn.transport.name, (made.get(s.conn.transport.name) ?? 0) + 1);
      });
    realtime.io.to('room').emit('n', 40);
    await waitFor(() => [...got.values()].every((l) => l.length === 41), 10_000, 'the last broadcast');
    expect(Object.fromEntries(made)).toEqual({ polling: 1 });
  });

  it('when sockets join and leave campaign rooms, then the reader sums what the web process reports, per room', async () => {
    const stop = reportAudience(
      realtime.io,
      platform.redis,
      platform.config.REDIS_PREFIX,
      (r) => r.startsWith('c:'),
      50,
    );
    try {
      const reader = createAudienceReader(platform.redis, platform.config.REDIS_PREFIX, 20);
      const [x, y] = [await client(), await client()];
      const ids = [x.id, y.id];
      for (const s of realtime.io.sockets.sockets.values()) if (ids.includes(s.id)) s.join('c:1');
      realtime.io.sockets.sockets.get(x.id!)!.join('c:2');
      realtime.io.sockets.sockets.get(x.id!)!.join('other');
      await waitFor(() => reader.of('c:1') === 2 && reader.of('c:2') === 1, 5000, 'the report of both rooms');
      expect(reader.of('other')).toBe(0);
      expect(reader.processes()).toBe(1);
      x.disconnect();
      await waitFor(
        () => reader.of('c:1') === 1 && reader.of('c:2') === 0,
        5000,
        'the report after a socket left',
      );
    } finally {
      stop();
    }
  });
});
