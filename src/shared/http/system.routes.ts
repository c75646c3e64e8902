import { Router } from 'express';
import type { Metrics } from '../metrics';
import type { Platform } from '../platform';
import { errorBody } from '../errors';
import { checkReadiness } from '../health';
import type { ApiModule } from './openapi';

/** Liveness, readiness and Prometheus metrics: unauthenticated, not rate limited, never cached. */
export function systemRoutes(platform: Platform, metrics: Metrics): ApiModule {
  const router = Router();
  router.get('/health', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });
  router.get('/ready', async (_req, res) => {
    const checks = await checkReadiness(platform);
    const failing = checks.filter((c) => !c.ok);
    res.set('Cache-Control', 'no-store');
    if (failing.length) {
      res.status(503).json({
        status: 'unavailable',
        checks,
        ...errorBody({
          code: 'DEPENDENCY_UNAVAILABLE',
          message: `Not ready: ${failing.map((c) => c.name).join(', ')} unreachable`,
          details: failing.map((c) => ({ field: c.name, message: c.error ?? 'unreachable' })),
        }),
      });
      return;
    }
    res.json({ status: 'ready', checks });
  });
  router.get('/metrics', async (_req, res) => {
    res.set('Content-Type', metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  const plain = (summary: string) => ({
    get: { summary, tags: ['system'], responses: { '200': { description: 'OK' } } },
  });
  return {
    name: 'system',
    prefix: '',
    router,
    paths: {
      '/health': plain('Process is alive'),
      '/ready': {
        get: {
          summary: 'PostgreSQL, Redis and RabbitMQ are reachable',
          tags: ['system'],
          responses: {
            '200': { description: 'Ready' },
            '503': { description: 'A dependency is unreachable (named in details)' },
          },
        },
      },
      '/metrics': plain('Prometheus metrics (text format)'),
    },
  };
}
