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
      },
    },
  };
}

/** Lists the routes an Express router really has, as OpenAPI paths (`/x/:id` → `/x/{id}`). */
export function listRoutes(prefix: string, router: Router): Array<{ method: string; path: string }> {
  const out: Array<{ method: string; path: string }> = [];
  for (const layer of (
    router as unknown as { stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }> }
  ).stack) {
    if (!layer.route) continue;
    const full = `${prefix}${layer.route.path === '/' ? '' : layer.route.path}` || '/';
    for (const [method, on] of Object.entries(layer.route.methods)) {
      if (on && method !== '_all') out.push({ method, path: full.replace(/:(\w+)/g, '{$1}') });
    }
  }
  return out;
}
