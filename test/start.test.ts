import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createTestPlatform, resetDatabase, waitFor } from './support/platform';
import { recordPlatformQueues } from './support/queue-hygiene';

const root = path.resolve(__dirname, '..');

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Processes whose environment says they were started by supervisor `pid`, with their command lines. */
function childrenOf(pid: number): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const env = fs.readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      if (env.includes(`SUPERVISED_BY=${pid}`)) {
        found.push(fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' '));
      }
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

describe('npm start (scripts/start.ts)', () => {
  it('when started on an empty database, then it migrates, adds the demo marketplace, runs web and workers, prints the URL; on SIGINT everything stops cleanly', async () => {
    const port = await freePort();
    // Empty, as on a new machine: nothing on sale, so the local run seeds the demo.
    const platform = await createTestPlatform();
    await resetDatabase(platform);
    await platform.close();
    // The Jest worker's database, vhost and Redis prefix come from process.env (worker-env.ts).
    recordPlatformQueues();
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
      cwd: root,
      env: { ...process.env, PORT: String(port), LOG_LEVEL: 'info', LOG_SILENT: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

    try {
      await waitFor(
        () => output.includes('Platform running at'),
        // Migrations, the demo data and five processes starting on a loaded 2-core machine.
        100_000,
        `the URL to be printed; output so far:\n${output}`,
      );
      expect(output).toContain(`Platform running at http://localhost:${port}`);
      // The relay declares every consumer queue before it starts publishing, so its line may
      // come after the web process's.
      await waitFor(
        () => /\[relay\] .*outbox relay started/.test(output),
        60_000,
        `the relay to start; output:\n${output}`,
      );
      // The URL is printed only once /ready answers 200.
      const ready = await fetch(`http://127.0.0.1:${port}/ready`);
      expect({ status: ready.status, body: await ready.json() }).toMatchObject({
        status: 200,
        body: { status: 'ready' },
      });
      const home = await fetch(`http://127.0.0.1:${port}/`, { headers: { accept: 'text/html' } });
      expect(home.status).toBe(200);
      expect(output).toContain('nothing is on sale yet: adding the demo marketplace');
      const html = await home.text();
      for (const title of ['Lagoon Jazz Night', 'Rooftop Fridays at Sky Bar', 'Lakeside weekend in Naivasha'])
        expect(html).toContain(title);
      const children = childrenOf(child.pid!);
      expect(children.filter((c) => c.includes('src/server.ts'))).toHaveLength(1);
      expect(children.filter((c) => c.includes('workers/relay/main.ts'))).toHaveLength(1);

      child.kill('SIGINT');

      expect(await exited).toBe(0);
      expect(output).toContain('SIGINT: stopping all processes');
      expect(childrenOf(child.pid!)).toEqual([]);
      await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 150_000);
});
