import { getConfig, loadDotEnv } from '../../src/shared/config';
import { exitOnStartupError, onShutdown } from '../../src/shared/lifecycle';
import { OutboxRelay } from '../../src/shared/messaging/relay';
import { createPlatform } from '../../src/shared/platform';
import { declareTopology } from '../../src/shared/messaging/topology';
import { platformTopology } from '../topology';

/** Outbox relay: publishes committed domain events to RabbitMQ. Safe to run several copies. */
async function main(): Promise<void> {
  loadDotEnv();
  const config = getConfig();
  const platform = await createPlatform(config, { service: 'relay' });
  const relay = new OutboxRelay({
    prisma: platform.prisma,
    broker: platform.broker,
    databaseUrl: config.DATABASE_URL,
    logger: platform.logger,
    counters: platform.counters,
    batchSize: config.OUTBOX_BATCH_SIZE,
    pollMs: config.OUTBOX_POLL_MS,
  });
  // Every consumer queue exists before the first publish, so no event is dropped for want of
  // a queue (RabbitMQ discards unroutable messages). Waits for RabbitMQ if it is not up yet.
  const topology = platformTopology();
  for (let attempt = 1; ; attempt++) {
    try {
      await declareTopology(platform.broker, topology);
      break;
    } catch (err) {
      platform.logger.warn('declaring consumer queues failed; retrying', {
        attempt,
        err: (err as Error).message,
      });
      await new Promise((r) => setTimeout(r, Math.min(500 * attempt, 5000)));
    }
  }
  relay.start();
  platform.logger.info('outbox relay started', { queues: topology.length });
  onShutdown(platform.logger, config.SHUTDOWN_TIMEOUT_MS, async () => {
    await relay.stop();
    await platform.close();
  });
}

main().catch((err) => exitOnStartupError(err));
