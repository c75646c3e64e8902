import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildApp, type BuiltApp } from '../../src/app';
import { loadConfig, type Config } from '../../src/shared/config';
import { createLogger } from '../../src/shared/logger';
import { createPlatform, type Platform } from '../../src/shared/platform';
import { createRealtime, type Realtime } from '../../src/shared/realtime';

/** The test worker's configuration (see worker-env.ts) with per-test overrides. */
export function testConfig(overrides: Partial<Record<keyof Config, string>> = {}): Config {
  return loadConfig({ ...process.env, ...overrides });
}

export async function createTestPlatform(
  overrides: Partial<Record<keyof Config, string>> = {},
  service = 'test',
): Promise<Platform> {
  const config = testConfig(overrides);
  return createPlatform(config, { service, logger: createLogger({ level: config.LOG_LEVEL, service }) });
}

export interface RunningApp extends BuiltApp {
  url: string;
  server: http.Server;
  realtime?: Realtime;
  close(): Promise<void>;
}

/** buildApp() listening on a free loopback port, with Socket.io when `realtime` is set. */
export async function startApp(platform: Platform, opts: { realtime?: boolean } = {}): Promise<RunningApp> {
  const built = buildApp(platform);
  const server = http.createServer(built.handler);
  let realtime: Realtime | undefined;
  if (opts.realtime) {
    realtime = await createRealtime(server, platform);
    for (const m of built.webModules) m.sockets?.(realtime.io);
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    ...built,
    server,
    realtime,
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      await realtime?.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** Empties every table but the migrations record: each test file starts from a clean database. */
export async function resetDatabase(platform: Platform): Promise<void> {
  const rows = await platform.prisma.$queryRaw<Array<{ tablename: string }>>`
    SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'`;
  if (!rows.length) return;
  const list = rows.map((r) => `"${r.tablename}"`).join(', ');
  await platform.prisma.$executeRawUnsafe(`TRUNCATE ${list} RESTART IDENTITY CASCADE`);
}

/** Polls until `check` returns a truthy value, or fails after `timeoutMs`. */
export async function waitFor<T>(
  check: () => Promise<T> | T,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
