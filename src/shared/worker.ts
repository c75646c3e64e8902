import { getConfig, loadDotEnv } from './config';
import { exitOnStartupError, onShutdown } from './lifecycle';
import { consumerDeps, startConsumer, type ConsumerSpec, type RunningConsumer } from './messaging/consumer';
import { createPlatform, type Platform } from './platform';

export interface PeriodicJob {
  name: string;
  everyMs: number;
  run(): Promise<unknown>;
}

export interface WorkerDefinition {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  consumers?: Array<ConsumerSpec<any, any>>;
  jobs?: PeriodicJob[];
  close?(): Promise<void>;
}

export interface RunningWorker {
  platform: Platform;
  consumers: RunningConsumer[];
  stop(): Promise<void>;
}

/**
 * Starts a worker's consumers and periodic jobs on a platform. A job never overlaps itself
 * in one process; jobs that may run in several processes at once must claim their rows with
 * SKIP LOCKED (they all do). stop() stops timers, waits for running jobs, closes consumers.
 */
export function startWorker(platform: Platform, def: WorkerDefinition): RunningWorker {
  const { logger } = platform;
  // The one place consumer settings come from (AMQP_PREFETCH included).
  const deps = consumerDeps(platform);
  const consumers = (def.consumers ?? []).map((spec) => startConsumer(deps, spec));
  const timers: NodeJS.Timeout[] = [];
  const running = new Set<Promise<unknown>>();
  let stopped = false;
  for (const job of def.jobs ?? []) {
    let busy = false;
    const tick = () => {
      if (busy || stopped) return;
      busy = true;
      const p = job
        .run()
        .catch((err: Error) => logger.warn(`job ${job.name} failed`, { err: err.message }))
        .finally(() => {
          busy = false;
          running.delete(p);
        });
      running.add(p);
    };
    timers.push(setInterval(tick, job.everyMs));
    setImmediate(tick);
  }
  return {
    platform,
    consumers,
    async stop() {
      stopped = true;
      for (const t of timers) clearInterval(t);
      await Promise.allSettled([...running]);
      await Promise.allSettled(consumers.map((c) => c.close()));
      await def.close?.();
    },
  };
}

/** Process entry for a worker: config, platform, start, graceful shutdown on SIGINT/SIGTERM. */
export function runWorkerProcess(
  name: string,
  build: (platform: Platform) => WorkerDefinition | Promise<WorkerDefinition>,
): void {
  (async () => {
    loadDotEnv();
    const config = getConfig();
    const platform = await createPlatform(config, { service: name });
    const worker = startWorker(platform, await build(platform));
    platform.logger.info(`${name} worker started`);
    onShutdown(platform.logger, config.SHUTDOWN_TIMEOUT_MS, async () => {
      await worker.stop();
      await platform.close();
    });
  })().catch((err) => exitOnStartupError(err));
}
