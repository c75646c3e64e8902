import { redactUrlCredentials } from './logger';
import type { Logger } from './logger';

/**
 * Runs `stop` once on SIGINT/SIGTERM, then exits. A second signal, or a stop that takes
 * longer than timeoutMs, exits at once with status 1.
 */
export function onShutdown(logger: Logger, timeoutMs: number, stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn(`second ${signal}: exiting now`);
      process.exit(1);
    }
    stopping = true;
    logger.info(`${signal} received: shutting down`);
    const timer = setTimeout(() => {
      logger.error(`shutdown took longer than ${timeoutMs} ms: exiting`);
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    stop()
      .then(() => process.exit(0))
      .catch((err: Error) => {
        logger.error('shutdown failed', { err: err.message });
        process.exit(1);
      });
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  const supervisor = Number(process.env.SUPERVISED_BY);
  if (supervisor) {
    // Started detached by the supervisor: if it dies without stopping us, stop ourselves.
    setInterval(() => {
      if (process.ppid !== supervisor) handler('SIGTERM');
    }, 2000).unref();
  }
}

/** Logs and exits on start-up failure (bad configuration, unreachable dependency). */
export function exitOnStartupError(err: unknown, log: (msg: string) => void = console.error): never {
  log(redactUrlCredentials(err instanceof Error ? err.message : String(err)));
  process.exit(1);
}
