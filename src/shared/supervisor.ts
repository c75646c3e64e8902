import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';

export interface ChildSpec {
  name: string;
  /** Entry file relative to the project root, as TypeScript (`workers/relay/main.ts`). */
  script: string;
  env?: Record<string, string>;
}

export interface SupervisorOptions {
  root: string;
  env: NodeJS.ProcessEnv;
  /** Run TypeScript entries with tsx (development) or their compiled dist/ files. */
  mode: 'tsx' | 'dist';
  log: (line: string) => void;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  stopTimeoutMs?: number;
}

interface Running {
  spec: ChildSpec;
  child?: ChildProcess;
  restarts: number;
  startedAt: number;
  timer?: NodeJS.Timeout;
}

/**
 * Starts every process of the local platform, prefixes their output, restarts a child that
 * dies with exponential back-off (reset after a minute of good health), and on stop() sends
 * SIGTERM to all and waits for them (SIGKILL after stopTimeoutMs).
 */
export class Supervisor {
  private readonly running = new Map<string, Running>();
  private stopping = false;

  constructor(
    private readonly children: ChildSpec[],
    private readonly opts: SupervisorOptions,
  ) {}

  start(): void {
    for (const spec of this.children) {
      const r: Running = { spec, restarts: 0, startedAt: 0 };
      this.running.set(spec.name, r);
      this.launch(r);
    }
  }

  pid(name: string): number | undefined {
    return this.running.get(name)?.child?.pid;
  }

  restarts(name: string): number {
    return this.running.get(name)?.restarts ?? 0;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const waits: Array<Promise<void>> = [];
    for (const r of this.running.values()) {
      clearTimeout(r.timer);
      const child = r.child;
      if (!child || child.exitCode !== null || child.signalCode !== null) continue;
      waits.push(
        new Promise<void>((resolve) => {
          const kill = setTimeout(() => child.kill('SIGKILL'), this.opts.stopTimeoutMs ?? 15_000);
          child.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          child.kill('SIGTERM');
        }),
      );
    }
    await Promise.all(waits);
  }

  private launch(r: Running): void {
    const { root, mode } = this.opts;
    const entry =
      mode === 'tsx'
        ? ['--import', 'tsx', path.join(root, r.spec.script)]
        : [path.join(root, 'dist', r.spec.script.replace(/\.ts$/, '.js'))];
    const child = spawn(process.execPath, entry, {
      cwd: root,
      env: { ...this.opts.env, ...r.spec.env, SERVICE_NAME: r.spec.name, SUPERVISED_BY: String(process.pid) },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Own process group: a terminal's Ctrl-C reaches only the supervisor, which then stops
      // the children once, in order. Children watch SUPERVISED_BY and stop if orphaned.
      detached: true,
    });
    r.child = child;
    r.startedAt = Date.now();
    const prefix = `[${r.spec.name}]`;
    for (const stream of [child.stdout, child.stderr]) {
      if (stream)
        readline.createInterface({ input: stream }).on('line', (line) => this.opts.log(`${prefix} ${line}`));
    }
    child.once('exit', (code, signal) => {
      if (this.stopping) return;
      const healthy = Date.now() - r.startedAt > 60_000;
      if (healthy) r.restarts = 0;
      const min = this.opts.minBackoffMs ?? 500;
      const delay = Math.min(min * 2 ** r.restarts, this.opts.maxBackoffMs ?? 30_000);
      r.restarts += 1;
      this.opts.log(`${prefix} exited (${signal ?? `code ${String(code)}`}); restarting in ${delay} ms`);
      r.timer = setTimeout(() => this.launch(r), delay);
    });
  }
}
