import client from 'prom-client';
import { deadLetterQueue } from './messaging/consumer';
import { OutboxRelay } from './messaging/relay';
import type { Platform } from './platform';

export interface Metrics {
  registry: client.Registry;
  httpDuration: client.Histogram<'method' | 'route' | 'status'>;
}

/**
 * The web process's Prometheus registry. HTTP figures are this process's own; outbox lag and
 * DLQ depth are read at scrape time from PostgreSQL and RabbitMQ; message counters are the
 * totals every process wrote to Redis (see SharedCounters).
 */
export function createMetrics(platform: Platform): Metrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });

  const httpDuration = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });

  new client.Gauge({
    name: 'outbox_pending_messages',
    help: 'Outbox rows not yet published',
    registers: [registry],
    async collect() {
      const { pending } = await OutboxRelay.lag(platform.prisma).catch(() => ({ pending: -1 }));
      this.set(pending);
    },
  });
  new client.Gauge({
    name: 'outbox_lag_seconds',
    help: 'Age of the oldest unpublished outbox row',
    registers: [registry],
    async collect() {
      const { lagSeconds } = await OutboxRelay.lag(platform.prisma).catch(() => ({ lagSeconds: -1 }));
      this.set(lagSeconds);
    },
  });

  const counterNames = {
    messages_published_total: 'Domain events published by the outbox relays',
    messages_consumed_total: 'Domain events handled by consumers',
    messages_failed_total: 'Handler failures (each retried or dead-lettered)',
    messages_dead_lettered_total: 'Messages moved to a dead-letter queue',
  } as const;
  const labelsOf = {
    messages_published_total: ['event'],
    messages_consumed_total: ['consumer', 'event'],
    messages_failed_total: ['consumer', 'event'],
    messages_dead_lettered_total: ['consumer'],
  } as const;
  let snapshot: Promise<Awaited<ReturnType<typeof platform.counters.read>>> | undefined;
  for (const [name, help] of Object.entries(counterNames) as Array<[keyof typeof counterNames, string]>) {
    new client.Counter({
      name,
      help,
      labelNames: labelsOf[name],
      registers: [registry],
      async collect() {
        // One Redis read serves all four counters of a scrape.
        snapshot ??= platform.counters.read().finally(() => setTimeout(() => (snapshot = undefined), 0));
        const rows = await snapshot.catch(() => []);
        this.reset();
        for (const row of rows) if (row.metric === name) this.inc(row.labels, row.value);
      },
    });
  }

  new client.Gauge({
    name: 'rabbitmq_dlq_depth',
    help: 'Messages waiting in each dead-letter queue',
    labelNames: ['queue'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      if (!platform.broker.connection.ready) return;
      const queues = await platform.counters.queues().catch(() => []);
      for (const q of queues) {
        const dlq = deadLetterQueue(q);
        try {
          const ok = await platform.broker.connection.queueDeclare({ queue: dlq, passive: true });
          this.set({ queue: dlq }, ok.messageCount);
        } catch {
          // Queue not declared yet: nothing dead-lettered there.
        }
      }
    },
  });

  return { registry, httpDuration };
}
