import { Connection, type Publisher } from 'rabbitmq-client';
import type { Logger } from '../logger';

export interface Broker {
  connection: Connection;
  exchange: string;
  /** Publisher with confirms: `send` resolves only once RabbitMQ has taken the message. */
  publisher: Publisher;
  close(): Promise<void>;
}

/**
 * Connects to RabbitMQ and declares the topic exchange. rabbitmq-client reconnects with
 * back-off and re-declares on every reconnect, so a broker restart heals by itself.
 */
export function createBroker(opts: {
  url: string;
  /** A cluster's nodes (AMQP_HOSTS): tried in turn, on connecting and on every reconnect. */
  hosts?: string[];
  exchange: string;
  name: string;
  logger: Logger;
}): Broker {
  const connection = new Connection({
    url: opts.url,
    ...(opts.hosts?.length ? { hosts: opts.hosts } : {}),
    connectionName: opts.name,
    retryLow: 200,
    retryHigh: 5000,
    connectionTimeout: 5000,
    // How long opening a channel waits for a reconnect (default 20 s). Consumer setup and
    // close() wait on it, so while RabbitMQ is down it must stay well under
    // SHUTDOWN_TIMEOUT_MS, or a worker cannot stop cleanly during an outage.
    acquireTimeout: 5000,
    heartbeat: 15,
  });
  let lastError = '';
  connection.on('error', (err: Error) => {
    // Log each distinct failure once; reconnect attempts repeat the same error.
    if (err.message !== lastError) opts.logger.warn('rabbitmq connection error', { err: err.message });
    lastError = err.message;
  });
  connection.on('connection', () => {
    lastError = '';
    opts.logger.info('rabbitmq connected');
  });
  const publisher = connection.createPublisher({
    confirm: true,
    maxAttempts: 2,
    exchanges: [{ exchange: opts.exchange, type: 'topic', durable: true }],
  });
  return {
    connection,
    exchange: opts.exchange,
    publisher,
    async close() {
      // While RabbitMQ is unreachable a publisher waits for a channel (up to acquireTimeout)
      // and closing it would wait too; closing the connection first ends that wait at once.
      // The publisher's close then rejects, which must not skip closing the connection.
      if (!connection.ready) {
        await connection.close();
        await publisher.close().catch(() => undefined);
        return;
      }
      await publisher.close().catch(() => undefined);
      await connection.close();
    },
  };
}
