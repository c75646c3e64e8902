import { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { z } from 'zod';
import { errorResponse, type ApiModule, type OpenApiOperation, type OpenApiPaths } from './openapi';
import { jsonSchemaOf, parseRequest } from './schema';

/*
 * defineApi: a module's routes and their documentation from one declaration. Each route names
 * its params, query and body as zod schemas; they validate the request (400 in the one error
 * shape before the handler runs) and become the operation's parameters and requestBody in
 * /api/docs, so the two cannot drift. The handler gets the parsed, typed input.
 *
 *   const api = defineApi({ name: 'bookings', prefix: '/api/v1/bookings', tags: ['bookings'] });
 *   api.get('/:id', {
 *     summary: 'A booking',
 *     security: 'session',
 *     use: [requireSignIn()],
 *     params: z.object({ id: uuid() }),
 *     responses: { 200: { description: 'The booking', schema: bookingSchema }, 404: 'BOOKING_NOT_FOUND' },
 *   }, async ({ params }, req, res) => {
 *     res.json(bookingDto(await service.getBookingForActor(actorOf(req), params.id)));
 *   });
 *   return api.module();
 */

type Schema = z.ZodType | undefined;
type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

/** A response: a description (an error body for 4xx/5xx), or a description with a JSON schema or raw content. */
export type ResponseDoc =
  | string
  | { description: string; schema?: z.ZodType | Record<string, unknown>; content?: Record<string, unknown> };

export interface RouteSpec<P extends Schema, Q extends Schema, B extends Schema> {
  summary: string;
  description?: string;
  tags?: string[];
  /** 'session': a signed-in cookie session; 'csrf': that and the X-CSRF-Token header. */
  security?: 'session' | 'csrf';
  /** Middleware run before validation: authorisation first, then rate limits, body parsers. */
  use?: readonly RequestHandler[];
  params?: P;
  query?: Q;
  body?: B;
  /** Further documented parameters (headers) that the handler reads itself. */
  parameters?: unknown[];
  /** The documented request body when it is not a JSON `body` schema (an upload, a webhook). */
  requestBody?: unknown;
  responses: Record<number | string, ResponseDoc>;
}

export type RouteInput<P, Q, B> = { params: Out<P>; query: Out<Q>; body: Out<B> };
export type RouteHandler<P, Q, B> = (
  input: RouteInput<P, Q, B>,
  req: Request,
  res: Response,
  next: NextFunction,
) => unknown | Promise<unknown>;

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type Define = <P extends Schema = undefined, Q extends Schema = undefined, B extends Schema = undefined>(
  path: string,
  spec: RouteSpec<P, Q, B>,
  handler: RouteHandler<P, Q, B>,
) => void;

export interface Api extends Record<Method, Define> {
  router: Router;
  /** The middleware and handler a defined route runs, in order (for a fast route, shared/http/fast-lane.ts). */
  handlers(method: Method, path: string): RequestHandler[];
  /** The router and its documentation, for the module registry. */
  module(): ApiModule;
}

const isZod = (s: unknown): s is z.ZodType => Boolean(s && typeof s === 'object' && '_zod' in s);

function shapeOf(schema: z.ZodType): Record<string, z.ZodType> {
  return ((schema as unknown as { shape?: Record<string, z.ZodType> }).shape ?? {}) as Record<
    string,
    z.ZodType
  >;
}

function parametersOf(where: 'path' | 'query', schema: Schema): unknown[] {
  if (!schema) return [];
  return Object.entries(shapeOf(schema)).map(([name, field]) => {
    const { description, ...json } = jsonSchemaOf(field);
    return {
      name,
      in: where,
      required: where === 'path' || !field.safeParse(undefined).success,
      ...(description ? { description } : {}),
      schema: json,
    };
  });
}

function responseOf(status: string, doc: ResponseDoc): unknown {
  if (typeof doc === 'string') return Number(status) >= 400 ? errorResponse(doc) : { description: doc };
  if (doc.content) return { description: doc.description, content: doc.content };
  if (!doc.schema) return { description: doc.description };
  const schema = isZod(doc.schema) ? jsonSchemaOf(doc.schema, 'output') : doc.schema;
  return { description: doc.description, content: { 'application/json': { schema } } };
}

function operationOf(spec: RouteSpec<Schema, Schema, Schema>, tags: string[]): OpenApiOperation {
  const parameters = [
    ...parametersOf('path', spec.params),
    ...parametersOf('query', spec.query),
    ...(spec.parameters ?? []),
  ];
  const requestBody =
    spec.requestBody ??
    (spec.body
      ? { required: true, content: { 'application/json': { schema: jsonSchemaOf(spec.body) } } }
      : undefined);
  return {
    summary: spec.summary,
    ...(spec.description ? { description: spec.description } : {}),
    tags: spec.tags ?? tags,
    ...(spec.security
      ? { security: [spec.security === 'csrf' ? { session: [], csrf: [] } : { session: [] }] }
      : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(requestBody ? { requestBody } : {}),
    responses: Object.fromEntries(Object.entries(spec.responses).map(([s, d]) => [s, responseOf(s, d)])),
  };
}

/** A module's API: routes declared with their schemas, documented from the same declaration. */
export function defineApi(o: { name: string; prefix: string; tags: string[]; router?: Router }): Api {
  const router = o.router ?? Router();
  const paths: OpenApiPaths = {};
  const chains = new Map<string, RequestHandler[]>();
  const define =
    (method: Method): Define =>
    (path, spec, handler) => {
      const schemas = { params: spec.params, query: spec.query, body: spec.body };
      const chain: RequestHandler[] = [
        ...(spec.use ?? []),
        async (req: Request, res: Response, next: NextFunction) => {
          const input = parseRequest(schemas, {
            params: req.params,
            query: req.query,
            body: req.body as unknown,
          });
          await handler(input as never, req, res, next);
        },
      ];
      router[method](path, ...chain);
      chains.set(`${method} ${path}`, chain);
      const docPath = `${o.prefix}${path === '/' ? '' : path}`.replace(/:(\w+)/g, '{$1}') || '/';
      paths[docPath] = { ...(paths[docPath] ?? {}), [method]: operationOf(spec as never, o.tags) };
    };
  return {
    router,
    handlers(method, path) {
      const chain = chains.get(`${method} ${path}`);
      if (!chain) throw new Error(`api ${o.name}: no ${method} ${path} defined`);
      return chain;
    },
    get: define('get'),
    post: define('post'),
    put: define('put'),
    patch: define('patch'),
    delete: define('delete'),
    module: () => ({ name: o.name, prefix: o.prefix, router, paths }),
  };
}
