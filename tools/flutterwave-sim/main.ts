import { getConfig, loadDotEnv } from '../../src/shared/config';
import { exitOnStartupError, onShutdown } from '../../src/shared/lifecycle';
import { createLogger } from '../../src/shared/logger';
import { createFlutterwaveSimulator } from './simulator';

/**
 * The local Flutterwave: speaks the v3 API on FLUTTERWAVE_SIM_PORT with the configured secret
 * key, serves hosted checkout pages and sends webhooks to the web process. `npm start` runs it
 * when no Flutterwave keys are configured. It refuses to run in production.
 */
async function main(): Promise<void> {
  loadDotEnv();
  const config = getConfig();
  if (config.NODE_ENV === 'production') throw new Error('The Flutterwave simulator never runs in production');
  const logger = createLogger({ level: config.LOG_LEVEL, service: 'flutterwave-sim' });
  const webHost = config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST;
  const sim = createFlutterwaveSimulator({
    secretKey: config.FLUTTERWAVE_SECRET_KEY,
    secretHash: config.FLUTTERWAVE_SECRET_HASH,
    host: config.HOST,
    port: config.FLUTTERWAVE_SIM_PORT,
    publicUrl: config.FLUTTERWAVE_SIM_PUBLIC_URL,
    webhookUrl:
      config.FLUTTERWAVE_SIM_WEBHOOK_URL ?? `http://${webHost}:${config.PORT}/api/v1/payments/webhook`,
    merchantName: 'Tikiti',
    controlApi: config.FLUTTERWAVE_SIM_CONTROL,
    log: (message, meta) => logger.info(message, meta),
  });
  await sim.start();
  onShutdown(logger, config.SHUTDOWN_TIMEOUT_MS, () => sim.close());
}

main().catch((err) => exitOnStartupError(err, (m) => console.error(`flutterwave-sim failed to start: ${m}`)));
