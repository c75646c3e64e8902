/**
 * The framework ceiling of `npm run bench:reserve`: a minimal Express 5 app with the same session
 * store as the platform (src/shared/http/session.ts: express-session + connect-redis on the same
 * Redis, the same settings) answering a JSON POST with a session lookup, and nothing else (no
 * helmet, metrics, CSRF, actor, limits or database). What one Node process can do for a request
 * of this shape on this machine: the reservation route cannot be faster than this.
 *
 * Started by the benchmark as its own process (like a web process): `POST /session` makes a
 * stored session (the sign-in), `POST /echo` reads it and answers JSON. Logs "web listening on
 * <url>" when ready; SIGTERM stops it.
 */
import crypto from 'node:crypto';
import express from 'express';
import { loadConfig } from '../src/shared/config';
import { sessions } from '../src/shared/http/session';
import { createRedis } from '../src/shared/redis';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const redis = await createRedis(config.REDIS_URL, 'bench-ceiling');
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: config.BODY_LIMIT }));
  app.use(sessions(config, redis));
  type Session = { user?: string };
  app.post('/session', (req, res) => {
    (req.session as unknown as Session).user = crypto.randomUUID();
    res.json({ ok: true });
  });
  app.post('/echo', (req, res) => {
    const user = (req.session as unknown as Session).user;
    if (!user) return void res.status(401).json({ error: { code: 'UNAUTHENTICATED' } });
    res.status(201).json({ user, received: req.body as unknown });
  });
  const server = app.listen(0, '127.0.0.1', () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    console.log(`web listening on http://127.0.0.1:${port}`);
  });
  process.once('SIGTERM', () => {
    server.close(() => {
      redis.destroy();
      process.exit(0);
    });
    server.closeAllConnections();
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
