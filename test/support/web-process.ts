import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { recordPlatformQueues } from './queue-hygiene';

export interface WebProcess {
  url: string;
  pid: number;
  /** What the process wrote, for diagnostics when something fails. */
  output(): string;
  /** SIGTERM, then waits for the graceful shutdown (SIGKILL after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<void>;
}

const ROOT = path.resolve(__dirname, '../..');

/**
 * Starts a real web process (`node --import tsx src/server.ts`, what `npm start` runs) on a
 * free port chosen by the OS, with `env` on top of this process's environment. Resolves once
 * it logs the port it listens on. `nodeArgs` go to node itself (e.g. --cpu-prof).
 */
export function spawnWebProcess(
  env: Record<string, string | undefined>,
  timeoutMs = 60_000,
  nodeArgs: string[] = [],
  /** The entry script (another server that logs "web listening on <url>", e.g. a benchmark's stand-in). */
  entry = 'src/server.ts',
): Promise<WebProcess> {
  recordPlatformQueues(); // it declares its queues where queue-hygiene.ts cannot see them
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', entry], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      MIGRATE_ON_START: 'false',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise<WebProcess>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`web process did not start in ${timeoutMs} ms:\n${output.slice(-4000)}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.length > 200_000) output = output.slice(-100_000);
      const m = /web listening on (http:\/\/[\d.]+):(\d+)/.exec(output);
      if (m && m[2] !== '0') {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        // Keep draining the pipes so the child never blocks on a full buffer.
        child.stdout?.on('data', (c: Buffer) => {
          output = (output + c.toString()).slice(-100_000);
        });
        resolve({
          url: `${m[1]}:${m[2]}`,
          pid: child.pid!,
          output: () => output,
          async stop(stopTimeoutMs = 20_000) {
            if (child.exitCode !== null) return;
            child.kill('SIGTERM');
            const killer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
            await exited;
            clearTimeout(killer);
          },
        });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (c: Buffer) => {
      output = (output + c.toString()).slice(-100_000);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`web process exited with ${code} before listening:\n${output.slice(-4000)}`));
    });
  });
}
