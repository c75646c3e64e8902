import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { recordPlatformQueues } from './queue-hygiene';

export interface WorkerProcess {
  pid: number;
  /** What the process wrote so far (stdout and stderr), for assertions and diagnostics. */
  output(): string;
  /** Resolves once the output matches `pattern` (searching from `from`, an offset into output()). */
  waitForOutput(pattern: RegExp, timeoutMs?: number, from?: number): Promise<RegExpExecArray>;
  /** Sends a signal; resolves when the process has exited. */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** SIGTERM (graceful shutdown), SIGKILL after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<void>;
  exited: Promise<number | null>;
}

const ROOT = path.resolve(__dirname, '../..');

/**
 * Starts a real worker process (`node --import tsx workers/<name>/main.ts`, what `npm start`
 * runs) with `env` on top of this test worker's environment (its database, vhost and Redis
 * prefix, see worker-env.ts). Resolves once it logs "<name> worker started". `nodeArgs` go to
 * node itself (e.g. --cpu-prof, which NODE_OPTIONS refuses).
 */
export function spawnWorkerProcess(
  name: string,
  env: Record<string, string | undefined> = {},
  timeoutMs = 60_000,
  nodeArgs: string[] = [],
): Promise<WorkerProcess> {
  recordPlatformQueues(); // it declares its queues where queue-hygiene.ts cannot see them
  const child: ChildProcess = spawn(
    process.execPath,
    [...nodeArgs, '--import', 'tsx', `workers/${name}/main.ts`],
    {
      cwd: ROOT,
      env: { ...process.env, MIGRATE_ON_START: 'false', LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const listeners = new Set<() => void>();
  const append = (c: Buffer) => {
    output += c.toString();
    for (const l of listeners) l();
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const waitForOutput = (pattern: RegExp, waitMs = 30_000, from = 0) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const m = pattern.exec(output.slice(from));
        if (!m) return false;
        done();
        resolve(m);
        return true;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`worker ${name} did not log ${pattern} in ${waitMs} ms:\n${output.slice(-4000)}`));
      }, waitMs);
      const onExit = () => {
        if (check()) return;
        done();
        reject(new Error(`worker ${name} exited before logging ${pattern}:\n${output.slice(-4000)}`));
      };
      const done = () => {
        clearTimeout(timer);
        listeners.delete(listener);
        child.off('exit', onExit);
      };
      const listener = () => void check();
      if (check()) return;
      listeners.add(listener);
      child.once('exit', onExit);
    });

  const proc: WorkerProcess = {
    pid: child.pid!,
    output: () => output,
    waitForOutput,
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
    async stop(stopTimeoutMs = 20_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
      await exited;
      clearTimeout(killer);
    },
    exited,
  };
  return waitForOutput(new RegExp(`${name} worker started`), timeoutMs).then(
    () => proc,
    async (err: unknown) => {
      await proc.kill('SIGKILL');
      throw err;
    },
  );
}
