import path from 'node:path';
import { isAlive } from '../../../test/support/names';
import { waitFor } from '../../../test/support/platform';
import { Supervisor } from '../supervisor';

const root = path.resolve(__dirname, '../../..');

describe('the process supervisor', () => {
  let supervisor: Supervisor | undefined;
  const lines: string[] = [];

  afterEach(async () => {
    await supervisor?.stop();
    supervisor = undefined;
  });

  function start(): Supervisor {
    supervisor = new Supervisor(
      [
        { name: 'relay-a', script: 'workers/relay/main.ts' },
        { name: 'relay-b', script: 'workers/relay/main.ts' },
      ],
      {
        root,
        // The Jest worker's own database, vhost and Redis prefix (see worker-env.ts).
        env: { ...process.env, LOG_LEVEL: 'info', LOG_SILENT: 'false' },
        mode: 'tsx',
        log: (line) => lines.push(line),
        minBackoffMs: 100,
        stopTimeoutMs: 10_000,
      },
    );
    supervisor.start();
    return supervisor;
  }

  const started = (name: string) =>
    lines.filter((l) => l.startsWith(`[${name}]`) && l.includes('outbox relay started'));

  it('when a worker is killed, then it is started again with a new pid and growing back-off; stop() then stops every child', async () => {
    const s = start();
    await waitFor(
      () => started('relay-a').length === 1 && started('relay-b').length === 1,
      30_000,
      'both relays to start',
    );
    const firstPid = s.pid('relay-a')!;
    const otherPid = s.pid('relay-b')!;
    expect(isAlive(firstPid)).toBe(true);

    process.kill(firstPid, 'SIGKILL');

    await waitFor(() => started('relay-a').length === 2, 30_000, 'the killed relay to be restarted');
    const secondPid = s.pid('relay-a')!;
    expect(secondPid).not.toBe(firstPid);
    expect(isAlive(firstPid)).toBe(false);
    expect(isAlive(secondPid)).toBe(true);
    expect(s.restarts('relay-a')).toBe(1);
    expect(lines.some((l) => l.startsWith('[relay-a] exited (SIGKILL); restarting in 100 ms'))).toBe(true);
    // The other child was left alone.
    expect(s.pid('relay-b')).toBe(otherPid);
    expect(s.restarts('relay-b')).toBe(0);

    // A child that keeps dying waits longer each time.
    process.kill(secondPid, 'SIGKILL');
    await waitFor(() => started('relay-a').length === 3, 30_000, 'the relay to be restarted a second time');
    expect(lines.some((l) => l.startsWith('[relay-a] exited (SIGKILL); restarting in 200 ms'))).toBe(true);
    const thirdPid = s.pid('relay-a')!;

    await s.stop();

    expect(isAlive(thirdPid)).toBe(false);
    expect(isAlive(otherPid)).toBe(false);
    // Both stopped on SIGTERM through their own shutdown path, not by SIGKILL.
    expect(lines.filter((l) => l.includes('SIGTERM received: shutting down'))).toHaveLength(2);
    const restartsAfterStop = lines.filter((l) => l.includes('restarting in')).length;
    await new Promise((r) => setTimeout(r, 500));
    expect(lines.filter((l) => l.includes('restarting in')).length).toBe(restartsAfterStop);
  }, 90_000);
});
