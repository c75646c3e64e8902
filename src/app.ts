import type { RequestListener } from 'node:http';
import path from 'node:path';
import express, { Router, type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import { AppError } from './shared/errors';
import { errorHandler, notFound } from './shared/http/errors';
import { withFastLane } from './shared/http/fast-lane';
import { buildOpenApi, type ApiModule } from './shared/http/openapi';
import { keepRawBodyFor } from './shared/http/raw-body';
import { apiRateLimit, createRateLimit } from './shared/http/rate-limit';
import { requestId } from './shared/http/request-id';
import { sessions } from './shared/http/session';
import { systemRoutes } from './shared/http/system.routes';
import { createMetrics, type Metrics } from './shared/metrics';
import type { Platform } from './shared/platform';
import { createModules, type Modules } from './modules/container';
import { webModules, type WebModule } from './modules/registry';
import { addNavItem, renderError, renderPage } from './web/views';

export interface BuiltApp {
  app: Express;
  /**
   * What the HTTP server runs: the modules' fast routes (WebModule.fastRoutes) ahead of the app,
   * everything else through it.
   */
  handler: RequestListener;
  webModules: WebModule[];
  /** The process's module services (the container's), for server.ts and tests. */
  services: Modules;
  metrics: Metrics;
  modules: ApiModule[];
  openapi: ReturnType<typeof buildOpenApi>;
}

const VERSION = '0.1.0';

/** The API, and the pages that show a person's own bookings, tickets, profile, sales or money. */
const PRIVATE_PATHS =
  /^\/(api|bookings|tickets|profile|seller|admin|team|finance|gate|become-seller|payments)(\/|$)/;

/**
 * The Express app with every module mounted; no listen (server.ts and tests do that). The
 * module services come from the container, built here unless the caller built them already.
 */
export function buildApp(platform: Platform, services: Modules = createModules(platform)): BuiltApp {
  const { config, logger } = platform;
  const app = express();
  const metrics = createMetrics(platform);
  app.disable('x-powered-by');
  app.set('trust proxy', trustProxy(config.TRUST_PROXY));

  const timed =
    (route?: string): RequestHandler =>
    (req, res, next) => {
      const end = metrics.httpDuration.startTimer();
      res.on('finish', () => {
        // A router's root route is its prefix (the OpenAPI path): /api/v1/bookings, not /api/v1/bookings/.
        const own = req.route ? String(req.route.path) : '';
        const label =
          route ?? (req.route ? `${req.baseUrl}${own === '/' && req.baseUrl ? '' : own}` : 'unmatched');
        end({ method: req.method, route: label, status: String(res.statusCode) });
      });
      next();
    };
  const securityHeaders = helmet({
    contentSecurityPolicy: {
      directives: {
        'img-src': ["'self'", 'data:', 'blob:'],
        'connect-src': ["'self'", 'ws:', 'wss:'],
        // The gate page's QR decoder is WebAssembly (zxing, served from /static/build).
        'script-src': ["'self'", "'wasm-unsafe-eval'"],
        // Every form posts to us (checkout goes to the provider by navigation, not a form post),
        // so an injected form cannot send what people type to another site.
        'form-action': ["'self'"],
        'upgrade-insecure-requests': config.NODE_ENV === 'production' ? [] : null,
      },
    },
    hsts: config.NODE_ENV === 'production',
  });
  // Answers with personal data, tickets' QR payloads or money must never sit in a shared cache
  // or the browser's disk cache: the API and the signed-in pages are no-store unless a route
  // says otherwise (public keys and revocation lists revalidate with their ETag).
  const privateNoStore: RequestHandler = (req, res, next) => {
    if (PRIVATE_PATHS.test(req.path)) res.set('Cache-Control', 'no-store');
    next();
  };

  app.use(requestId());
  app.use(timed());
  app.use(securityHeaders);
  app.use(
    '/static',
    express.static(path.join(__dirname, 'web', 'static'), {
      maxAge: '1h',
      index: false,
      // The gate page's service worker lives with its bundle but controls /gate.
      setHeaders: (res, file) => {
        if (path.basename(file) === 'gate-sw.js') res.set('Service-Worker-Allowed', '/gate');
      },
    }),
  );

  app.use(privateNoStore);

  const system = systemRoutes(platform, metrics);
  app.use(system.router);

  const loaded = webModules.map((factory) => factory(platform, services));
  for (const m of loaded) m.metrics?.(metrics.registry);
  const rawBodyPaths = new Set(loaded.flatMap((m) => m.rawBodyPaths ?? []));
  const jsonBody = express.json({ limit: config.BODY_LIMIT, verify: keepRawBodyFor(rawBodyPaths) });
  app.use(jsonBody);
  app.use(express.urlencoded({ limit: config.BODY_LIMIT, extended: false }));
  const session = sessions(config, platform.redis, platform.clock);
  const moduleMiddleware = loaded.flatMap((m) => m.middleware ?? []);
  app.use(session);
  for (const mw of moduleMiddleware) app.use(mw);

  // After the modules' middleware, so that a signed-in caller (req.actor, set by the auth
  // module) has a bucket of their own: many buyers share one IP behind carrier NAT.
  const apiLimiter = createRateLimit(platform.redis, config.REDIS_PREFIX, apiRateLimit(config));
  const limitExempt = new Set(loaded.flatMap((m) => m.apiRateLimitExempt ?? []));
  const apiLimit: RequestHandler = (req, res, next) => {
    const path = req.originalUrl.split('?')[0]!;
    return limitExempt.has(path) || limitExempt.has(`${req.method} ${path}`)
      ? next()
      : apiLimiter(req, res, next);
  };
  app.use('/api', apiLimit);
  const modules: ApiModule[] = [system];
  for (const m of loaded) {
    for (const api of m.api ?? []) {
      app.use(api.prefix, api.router);
      modules.push(api);
    }
    for (const item of m.nav ?? []) addNavItem(item);
  }

  const docs: ApiModule = {
    name: 'docs',
    prefix: '/api',
    router: Router(),
    paths: {
      '/api/docs': {
        get: {
          summary: 'This OpenAPI 3.1 document',
          tags: ['system'],
          responses: { '200': { description: 'OpenAPI JSON' } },
        },
      },
      '/api/docs/ui': {
        get: {
          summary: 'This document as a readable HTML page',
          tags: ['system'],
          responses: { '200': { description: 'HTML page', content: { 'text/html': {} } } },
        },
      },
    },
  };
  modules.push(docs);
  const openapi = buildOpenApi(modules, { version: VERSION, serverUrl: config.PUBLIC_URL });
  docs.router.get('/docs', (_req, res) => {
    res.json(openapi);
  });
  docs.router.get('/docs/ui', (req, res) =>
    renderPage(req, res, 'api-docs', { title: 'API reference', doc: openapi }),
  );
  app.use(docs.prefix, docs.router);

  app.use('/api', notFound());

  const pages = Router();
  // Browsers and crawlers that ignore <link rel="icon"> still ask for /favicon.ico.
  pages.get('/favicon.ico', (_req, res) => res.redirect(301, '/static/favicon.svg'));
  app.use(pages);
  for (const m of loaded) if (m.pages) app.use(m.pages);
  // The campaigns module's home page (what is on sale) answers first; this one stands in without it.
  app.get('/', (req, res) => renderPage(req, res, 'home', { title: 'Tickets', items: [] }));
  app.use((req, _res, next) => next(AppError.notFound('PAGE_NOT_FOUND', `There is no page at ${req.path}`)));

  const onError = errorHandler(logger, (res, status, err) => renderError(res, status, err.message, err.code));
  app.use(onError);
  // The fast routes run what the stack above runs for every request, in its order, up to the body
  // parser; then their own handlers (see shared/http/fast-lane.ts).
  const fastRoutes = loaded.flatMap((m) => m.fastRoutes ?? []);
  const handler = withFastLane(
    app,
    fastRoutes,
    (route) => [
      requestId(),
      timed(route.path),
      securityHeaders,
      privateNoStore,
      jsonBody,
      // A signed-in browser's route: what the app runs between the body parsers and the routers.
      ...(route.session ? [session, ...moduleMiddleware, apiLimit] : []),
    ],
    onError,
  );
  return { app, handler, webModules: loaded, services, metrics, modules, openapi };
}

/**
 * Express's "trust proxy" from TRUST_PROXY: a hop count must reach Express as a number and
 * true/false as booleans; as strings Express reads them as IP addresses ("1" trusts nobody,
 * "true" throws), which would key rate limits by the load balancer's address.
 */
export function trustProxy(value: string): boolean | number | string {
  if (value === 'true' || value === 'false') return value === 'true';
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}
