import type { Router } from 'express';

/** A slice of an OpenAPI 3.1 `paths` object, written next to the router it describes. */
export type OpenApiPaths = Record<string, Record<string, OpenApiOperation>>;
export interface OpenApiOperation {
  summary: string;
  tags?: string[];
  description?: string;
  parameters?: unknown[];
  requestBody?: unknown;
  responses: Record<string, unknown>;
  security?: unknown[];
}

/** A router mounted by the app, with its documentation. Every API route lives in one of these. */
export interface ApiModule {
  name: string;
  prefix: string;
  router: Router;
  paths: OpenApiPaths;
}

export const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

/** Builds the OpenAPI 3.1 document from the mounted modules. */
export function buildOpenApi(modules: ApiModule[], info: { version: string; serverUrl: string }) {
  const paths: OpenApiPaths = {};
  for (const m of modules) {
    for (const [p, ops] of Object.entries(m.paths)) paths[p] = { ...(paths[p] ?? {}), ...ops };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Ticketing marketplace API',
      version: info.version,
      description:
        'JSON API of the ticketing marketplace. Errors are `{ "error": { "code", "message", "details" } }`; ' +
        'money is integer minor units with a currency; lists are `{ items, nextCursor }`.',
    },
    servers: [{ url: info.serverUrl }],
    paths,
    components: {
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message', 'details'],
              properties: {
                code: { type: 'string', examples: ['SOLD_OUT'] },
                message: { type: 'string' },
                details: { type: 'array', items: { type: 'object' } },
              },
            },
          },
        },
      },
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: 'tm.sid' },
        csrf: { type: 'apiKey', in: 'header', name: 'X-CSRF-Token' },
        device: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'Device <token>' },
      },
    },
  };
}

interface RouterLayer {
  route?: { path: unknown; methods: Record<string, boolean> };
  handle?: { stack?: RouterLayer[] };
  /** The path the layer was mounted at (router 2.x, which Express 5 uses). */
  rawPath?: unknown;
}

/**
 * Lists the routes an Express router really has, as OpenAPI paths (`/x/:id` → `/x/{id}`),
 * including routes of routers nested with `router.use('/sub', other)`. A RegExp path is listed
 * as its source text, which no document path matches, so a completeness check names it.
 */
export function listRoutes(prefix: string, router: Router): Array<{ method: string; path: string }> {
  const out: Array<{ method: string; path: string }> = [];
  const join = (base: string, p: string) => `${base}${p === '/' ? '' : p}`;
  const paths = (raw: unknown): string[] => (Array.isArray(raw) ? raw.flat(Infinity) : [raw]).map(String);
  const walk = (base: string, stack: RouterLayer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const p of paths(layer.route.path)) {
          const full = (join(base, p) || '/').replace(/:(\w+)/g, '{$1}');
          for (const [method, on] of Object.entries(layer.route.methods)) {
            if (on && method !== '_all') out.push({ method, path: full });
          }
        }
      } else if (layer.handle?.stack) {
        for (const p of paths(layer.rawPath ?? '/')) walk(join(base, p), layer.handle.stack);
      }
    }
  };
  walk(prefix, (router as unknown as { stack: RouterLayer[] }).stack);
  return out;
}
