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
export function createBroker(opts: { url: string; exchange: string; name: string; logger: Logger }): Broker {
  const connection = new Connection({
    url: opts.url,
    connectionName: opts.name,
    retryLow: 200,
    retryHigh: 5000,
    connectionTimeout: 5000,
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
      await publisher.close();
      await connection.close();
    },
  };
}
