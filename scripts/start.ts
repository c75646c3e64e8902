import path from 'node:path';
import { ConfigError, getConfig, loadDotEnv, usesFlutterwaveSimulator } from '../src/shared/config';
import { migrateDatabase } from '../src/shared/migrate';
import { Supervisor, type ChildSpec } from '../src/shared/supervisor';
import { seedIfEmpty } from './seed';

/**
 * `npm start`: migrates the database, then runs the web process and every worker under one
 * supervisor with working local defaults. Ctrl-C stops them all.
 */
async function main(): Promise<void> {
  loadDotEnv();
  const config = getConfig();
  // Run from source (scripts/start.ts) or compiled (dist/scripts/start.js): the project root
  // is where package.json is, one or two levels up.
  const compiled = !__filename.endsWith('.ts');
  const root = path.resolve(__dirname, compiled ? '../..' : '..');
  const applied = await migrateDatabase(config.DATABASE_URL, { log: (m) => console.log(`[start] ${m}`) });
  if (!applied.length) console.log('[start] database is up to date');
  // A new machine shows a living marketplace: demo data when nothing is on sale (never in production).
  await seedIfEmpty(config, (line) => console.log(line)).catch((err: unknown) =>
    console.log(`[start] demo data not added: ${err instanceof Error ? err.message : String(err)}`),
  );

  const children: ChildSpec[] = [
    { name: 'web', script: 'src/server.ts' },
    { name: 'relay', script: 'workers/relay/main.ts' },
    { name: 'scheduler', script: 'workers/scheduler/main.ts' },
    { name: 'realtime', script: 'workers/realtime/main.ts' },
    { name: 'tickets', script: 'workers/tickets/main.ts' },
    { name: 'email', script: 'workers/email/main.ts' },
    { name: 'payments', script: 'workers/payments/main.ts' },
    { name: 'finance', script: 'workers/finance/main.ts' },
    { name: 'payouts', script: 'workers/payouts/main.ts' },
  ];
  if (usesFlutterwaveSimulator(config)) {
    // No Flutterwave keys configured: run the local simulator (the client's default base URL).
    children.push({ name: 'flutterwave-sim', script: 'tools/flutterwave-sim/main.ts' });
    console.log(
      `[start] no Flutterwave keys configured: payments go to the simulator at ${config.FLUTTERWAVE_BASE_URL}`,
    );
  }
  // No Google client configured: run the local OpenID provider the sign-in strategy then points at.
  if (config.GOOGLE_LOCAL_PROVIDER) {
    children.push({ name: 'oidc', script: 'tools/oidc-provider/main.ts' });
    console.log(
      `[start] no GOOGLE_CLIENT_ID: sign-in uses the local OpenID provider at ${config.LOCAL_OIDC_URL}`,
    );
  }
  const supervisor = new Supervisor(children, {
    root,
    env: { ...process.env, MIGRATE_ON_START: 'false' },
    mode: compiled ? 'dist' : 'tsx',
    log: (line) => console.log(line),
    stopTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  });
  supervisor.start();

  const url = config.PUBLIC_URL;
  // /ready, not /health: the URL is printed once the web process reaches PostgreSQL, Redis and
  // RabbitMQ, so the first request after it is not answered 503.
  void waitForReady(`http://127.0.0.1:${config.PORT}/ready`).then((ok) => {
    if (ok) console.log(`\n  Platform running at ${url}  (Ctrl-C stops everything)\n`);
    else console.log(`[start] the web process is not ready after 60 s: see ${url}/ready`);
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`[start] ${signal}: stopping all processes`);
    void supervisor.stop().then(() => {
      console.log('[start] all processes stopped');
      process.exit(0);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

async function waitForReady(url: string): Promise<boolean> {
  for (let i = 0; i < 240; i++) {
    try {
      if ((await fetch(url)).ok) return true;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : `start failed: ${(err as Error).message}`);
  process.exit(1);
});
