import crypto from 'node:crypto';
import { Router, type RequestHandler } from 'express';
import { AppError } from '../errors';
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
  router.get('/metrics', metricsAuth(platform.config.METRICS_TOKEN), async (_req, res) => {
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
      '/metrics': {
        get: {
          summary:
            'Prometheus metrics (text format); with METRICS_TOKEN set, only for `Authorization: Bearer <token>`',
          tags: ['system'],
          responses: {
            '200': { description: 'OK' },
            '401': { description: 'Missing or wrong bearer token' },
          },
        },
      },
    },
  };
}

/**
 * /metrics shows queue depths, outbox lag and traffic: with METRICS_TOKEN set (production
 * requires it) only a scraper that sends the token sees them. Compared in constant time.
 */
function metricsAuth(token: string | undefined): RequestHandler {
  if (!token) return (_req, _res, next) => next();
  const expected = crypto.createHash('sha256').update(token).digest();
  return (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const sent = header.startsWith('Bearer ') ? header.slice(7) : '';
    const digest = crypto.createHash('sha256').update(sent).digest();
    if (sent && crypto.timingSafeEqual(digest, expected)) return next();
    res.set('WWW-Authenticate', 'Bearer realm="metrics"');
    next(
      new AppError('unauthenticated', 'METRICS_TOKEN_REQUIRED', 'Send the metrics token as a bearer token'),
    );
  };
}
