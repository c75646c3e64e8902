import http from 'node:http';
import { buildApp } from './app';
import { ConfigError, getConfig, loadDotEnv } from './shared/config';
import { exitOnStartupError, onShutdown } from './shared/lifecycle';
import { migrateDatabase } from './shared/migrate';
import { createPlatform } from './shared/platform';
import { createRealtime } from './shared/realtime';

/** The web process: Express + Socket.io. Stateless; run as many copies as needed. */
async function main(): Promise<void> {
  loadDotEnv();
  const config = getConfig();
  if (config.MIGRATE_ON_START) await migrateDatabase(config.DATABASE_URL);
  const platform = await createPlatform(config, { service: 'web' });
  const { handler, webModules } = buildApp(platform);
  const server = http.createServer(handler);
  // Node closes an idle keep-alive connection after 5 s by default. A client (or the proxy in
  // front) that reuses one just as it closes gets a reset for a request that never arrived; the
  // side that keeps connections open longest must be this one.
  server.keepAliveTimeout = config.HTTP_KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = config.HTTP_KEEP_ALIVE_TIMEOUT_MS + 1000;
  const realtime = await createRealtime(server, platform);
  for (const m of webModules) m.sockets?.(realtime.io);
  // A reconnect storm (every browser at once after a deploy or a network blip) overflows Node's
  // default accept backlog of 511: the dropped handshakes wait for TCP's 1 s, 3 s, 7 s retries.
  // The kernel caps this at net.core.somaxconn.
  await new Promise<void>((resolve) =>
    server.listen({ port: config.PORT, host: config.HOST, backlog: 4096 }, resolve),
  );
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  platform.logger.info(`web listening on http://${config.HOST}:${port}`, { port });

  onShutdown(platform.logger, config.SHUTDOWN_TIMEOUT_MS, async () => {
    // Stop accepting, let in-flight requests finish, then drop connections.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await realtime.close();
    await closed;
    await platform.close();
  });
}

main().catch((err) =>
  exitOnStartupError(err, (m) => console.error(err instanceof ConfigError ? m : `web failed to start: ${m}`)),
);
