import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export interface WorkerProcess {
  pid: number;
  /** What the process wrote, for diagnostics and for waiting on a log line. */
  output(): string;
  /** Resolves when the process has exited (with its signal, if killed). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL: no shutdown handler runs, in-flight work is cut off as in a crash. */
  kill(): Promise<void>;
  /** SIGTERM, then waits for the graceful shutdown. */
  stop(timeoutMs?: number): Promise<void>;
}

const ROOT = path.resolve(__dirname, '../..');

/**
 * Starts a real worker process (`node --import tsx workers/<name>/main.ts`, what `npm start`
 * runs) with `env` on top of this test worker's environment (its database, vhost and Redis
 * prefix, see worker-env.ts). Resolves once it logs "<name> worker started".
 */
export function spawnWorkerProcess(
  name: string,
  env: Record<string, string | undefined>,
  timeoutMs = 60_000,
): Promise<WorkerProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', `workers/${name}/main.ts`], {
    cwd: ROOT,
    env: { ...process.env, MIGRATE_ON_START: 'false', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const append = (c: Buffer) => {
    output = (output + c.toString()).slice(-200_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return new Promise<WorkerProcess>((resolve, reject) => {
    const started = `${name} worker started`;
    const timer = setTimeout(() => {
      clearInterval(poll);
      child.kill('SIGKILL');
      reject(new Error(`worker ${name} did not start in ${timeoutMs} ms:\n${output.slice(-4000)}`));
    }, timeoutMs);
    const poll = setInterval(() => {
      if (!output.includes(started)) return;
      clearInterval(poll);
      clearTimeout(timer);
      resolve({
        pid: child.pid!,
        output: () => output,
        exited,
        async kill() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          await exited;
        },
        async stop(stopTimeoutMs = 20_000) {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
          await exited;
          clearTimeout(killer);
        },
      });
    }, 25);
    void exited.then(({ code, signal }) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`worker ${name} exited (${code ?? signal}) before starting:\n${output.slice(-4000)}`));
    });
  });
}
