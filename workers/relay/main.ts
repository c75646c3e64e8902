import { getConfig, loadDotEnv } from '../../src/shared/config';
import { exitOnStartupError, onShutdown } from '../../src/shared/lifecycle';
import { OutboxRelay } from '../../src/shared/messaging/relay';
import { createPlatform } from '../../src/shared/platform';

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
  relay.start();
  platform.logger.info('outbox relay started');
  onShutdown(platform.logger, config.SHUTDOWN_TIMEOUT_MS, async () => {
    await relay.stop();
    await platform.close();
  });
}

main().catch((err) => exitOnStartupError(err));
