import pg from 'pg';
import type { Db } from '../db';
import type { Logger } from '../logger';
import type { Broker } from './broker';
import type { SharedCounters } from './counters';
import type { DomainEvent } from './events';

export interface RelayOptions {
  prisma: Db;
  broker: Broker;
  databaseUrl: string;
  logger: Logger;
  counters: SharedCounters;
  batchSize: number;
  pollMs: number;
}

interface OutboxRow {
  id: string;
  event_name: string;
  payload: DomainEvent;
}

/**
 * Publishes committed outbox rows to the `domain` exchange with publisher confirms, then marks
 * them sent. Several relays may run: rows are claimed with FOR UPDATE SKIP LOCKED, so each row
 * is published by one relay at a time. A crash between the confirm and the UPDATE publishes a
 * row again on the next pass: delivery is at-least-once and consumers de-duplicate by event id.
 * When RabbitMQ is down the rows wait in PostgreSQL and go out once it is back.
 */
export class OutboxRelay {
  private running = false;
  private wake: (() => void) | undefined;
  private listener: pg.Client | undefined;
  private loop: Promise<void> | undefined;
  private pending = false;

  constructor(private readonly opts: RelayOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    // Catch up as soon as RabbitMQ is back rather than at the end of the back-off.
    this.opts.broker.connection.on('connection', this.onReconnect);
    void this.listen();
    this.loop = this.run();
  }

  private readonly onReconnect = () => {
    this.pending = true;
    this.wake?.();
  };

  async stop(): Promise<void> {
    this.running = false;
    this.opts.broker.connection.off('connection', this.onReconnect);
    this.wake?.();
    await this.loop;
    await this.listener?.end().catch(() => undefined);
  }

  /** Publishes everything currently unpublished; returns how many rows went out. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.publishBatch();
      total += n;
      if (n < this.opts.batchSize) return total;
    }
  }

  /** Oldest unpublished row's age in seconds and the unpublished count (for /metrics). */
  static async lag(prisma: Db): Promise<{ pending: number; lagSeconds: number }> {
    const rows = await prisma.$queryRaw<Array<{ pending: bigint; oldest: Date | null }>>`
      SELECT count(*) AS pending, min(created_at) AS oldest FROM outbox_messages WHERE published_at IS NULL`;
    const row = rows[0];
    const oldest = row?.oldest ? new Date(row.oldest).getTime() : undefined;
    return {
      pending: Number(row?.pending ?? 0),
      lagSeconds: oldest === undefined ? 0 : Math.max(0, (Date.now() - oldest) / 1000),
    };
  }

  private async run(): Promise<void> {
    let backoff = 0;
    while (this.running) {
      this.pending = false;
      // While RabbitMQ is unreachable (the broker logs that) there is nothing to try: wait
      // for the reconnect, which wakes this loop, or the next poll.
      const connected = this.opts.broker.connection.ready;
      if (connected) {
        try {
          await this.drain();
          backoff = 0;
        } catch (err) {
          backoff = Math.min(backoff ? backoff * 2 : 250, 10_000);
          this.opts.logger.warn('outbox relay pass failed', {
            err: (err as Error).message,
            retryInMs: backoff,
          });
        }
      }
      if (!this.running) break;
      if (connected && this.pending && !backoff) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, (connected && backoff) || this.opts.pollMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  private async publishBatch(): Promise<number> {
    const { prisma, broker, counters, batchSize } = this.opts;
    // While RabbitMQ is down a send waits for a channel (up to rabbitmq-client's
    // acquireTimeout), holding this transaction's row locks and delaying stop() past the
    // shutdown deadline. Fail the pass at once instead; the loop backs off and retries.
    if (!broker.connection.ready) throw new Error('RabbitMQ is not connected');
    return prisma.$transaction(
      async (tx) => {
        const rows = await tx.$queryRaw<OutboxRow[]>`
          SELECT id::text, event_name, payload FROM outbox_messages
          WHERE published_at IS NULL
          ORDER BY created_at, id
          LIMIT ${batchSize}
          FOR UPDATE SKIP LOCKED`;
        if (!rows.length) return 0;
        const results = await Promise.allSettled(
          rows.map((row) =>
            broker.publisher.send(
              {
                exchange: broker.exchange,
                routingKey: row.event_name,
                messageId: row.id,
                durable: true,
                contentType: 'application/json',
                timestamp: Math.floor(new Date(row.payload.occurredAt).getTime() / 1000),
                headers: { 'x-event-version': row.payload.version },
              },
              row.payload,
            ),
          ),
        );
        const sent = rows.filter((_, i) => results[i]?.status === 'fulfilled').map((r) => r.id);
        const failed = rows.filter((_, i) => results[i]?.status === 'rejected');
        if (sent.length) {
          await tx.$executeRaw`UPDATE outbox_messages SET published_at = now(), attempts = attempts + 1
            WHERE id = ANY(${sent}::uuid[])`;
          for (const row of rows) {
            if (sent.includes(row.id)) counters.inc('messages_published_total', { event: row.event_name });
          }
        }
        if (failed.length) {
          const reason = (results.find((r) => r.status === 'rejected') as PromiseRejectedResult)
            .reason as Error;
          await tx.$executeRaw`UPDATE outbox_messages SET attempts = attempts + 1, last_error = ${reason.message}
            WHERE id = ANY(${failed.map((r) => r.id)}::uuid[])`;
          if (!sent.length) throw reason;
        }
        return rows.length;
      },
      { timeout: 60_000, maxWait: 10_000 },
    );
  }

  /** LISTEN on the outbox channel so that a commit wakes the relay at once; polling covers gaps. */
  private async listen(): Promise<void> {
    while (this.running) {
      const client = new pg.Client({ connectionString: this.opts.databaseUrl });
      // Listened to from the start: a connection reset while connecting or during LISTEN makes
      // the client emit 'error' besides failing the call, and an 'error' nobody listens to
      // throws out of the process.
      const gone = new Promise<void>((resolve) => {
        client.on('error', () => resolve());
        client.on('end', () => resolve());
      });
      try {
        await client.connect();
        this.listener = client;
        client.on('notification', () => {
          this.pending = true;
          this.wake?.();
        });
        await client.query('LISTEN outbox');
        await gone;
      } catch {
        // Database unreachable: polling continues; try to listen again shortly.
      }
      await client.end().catch(() => undefined);
      if (this.running) await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
