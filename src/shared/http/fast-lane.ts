import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { ErrorRequestHandler, Express, Request, RequestHandler, Response } from 'express';
import { AppError } from '../errors';

/**
 * A hot route a module serves ahead of the Express router: `takes` says, from the request line
 * and headers alone, whether this request is one the route owns there (e.g. a gate device's scan
 * with its secret in a header, no cookie and a JSON body); every other request, to the same
 * path or not, goes through the app as usual, where the route is mounted too.
 */
export interface FastRoute {
  method: string;
  /** The exact path; a request with a query string goes through the app. */
  path: string;
  takes(req: IncomingMessage): boolean;
  /**
   * The route is for a signed-in browser (a cookie session): the app's session, the modules'
   * middleware (CSRF, the actor) and the general /api limit run too, as they do in the app.
   */
  session?: boolean;
  /** The route's own middleware and handler, the same functions its normal mount runs. */
  handlers: RequestHandler[];
}

/*
 * Why: for a route answered hundreds of times a second, walking the app's stack (a dozen layers,
 * each matched against the path, most of them doing nothing for the request: static files, the
 * system routes, form bodies, the session, CSRF, the actor, the general /api limit) costs the
 * web process more CPU than the route's own code. The fast lane runs, in order, the SAME
 * functions the app runs for every request (`common`: request id, metrics, security headers,
 * cache policy, the JSON body parser with its limit), then the route's own, and hands any error
 * to the app's one error handler: the answer, its headers and its error codes are the app's.
 * What it skips is only what does nothing for the requests `takes` accepts.
 */

/** The app's request listener with the fast routes answered ahead of the router. */
export function withFastLane(
  app: Express,
  routes: FastRoute[],
  /** What the app runs for every request before its routes, for this route (in the app's order). */
  common: (route: FastRoute) => RequestHandler[],
  onError: ErrorRequestHandler,
): RequestListener {
  if (!routes.length) return app;
  const byKey = new Map(
    routes.map((route) => [
      `${route.method} ${route.path}`,
      { route, chain: [...common(route), ...route.handlers] },
    ]),
  );
  return (req, res) => {
    const fast = byKey.get(`${req.method} ${req.url}`);
    if (!fast?.route.takes(req)) return void app(req, res);
    run(app, fast.chain, onError, req, res);
  };
}

/** What app.handle does before its router (prototypes, back references, locals), then the chain. */
function run(
  app: Express,
  chain: RequestHandler[],
  onError: ErrorRequestHandler,
  incoming: IncomingMessage,
  outgoing: ServerResponse,
): void {
  if (app.enabled('x-powered-by')) outgoing.setHeader('X-Powered-By', 'Express');
  Object.setPrototypeOf(incoming, app.request);
  Object.setPrototypeOf(outgoing, app.response);
  const req = incoming as Request;
  const res = outgoing as Response;
  req.res = res;
  res.req = req;
  res.locals ??= Object.create(null) as Record<string, unknown>;
  req.originalUrl = req.url;
  req.baseUrl = '';
  req.params = {};

  // An error the error handler itself passes on (its answer already started): what Express's
  // final handler does then, drop the connection.
  const last = () => {
    if (!res.headersSent) res.status(500).end();
    else req.socket.destroy();
  };
  let i = 0;
  let failed = false;
  const next = (err?: unknown): void => {
    if (failed) return;
    if (err !== undefined && err !== null && err !== 'route' && err !== 'router') {
      failed = true;
      try {
        void onError(err, req, res, last);
      } catch {
        last();
      }
      return;
    }
    const handler = chain[i++];
    if (!handler) return next(AppError.notFound('ROUTE_NOT_FOUND', `No route for ${req.method} ${req.path}`));
    try {
      // Express 5: a handler's rejected promise goes to the error handler.
      const out = handler(req, res, next) as unknown;
      if (out instanceof Promise) out.catch((e: unknown) => next(e ?? new Error('Rejected promise')));
    } catch (e) {
      next(e);
    }
  };
  next();
}
