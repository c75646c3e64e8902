import { execFileSync } from 'node:child_process';

/** How long `rabbitmqctl delete_vhost` may take before the run goes on without it. */
const DELETE_VHOST_TIMEOUT_MS = 120_000;

/**
 * Deletes a test vhost, bounded: a RabbitMQ that does not finish (a vhost of many quorum queues
 * on a loaded machine can take long) gets a clear warning instead of a test run that hangs in
 * its teardown. A vhost that is already gone is fine.
 */
export function deleteVhost(vhost: string): void {
  const started = Date.now();
  try {
    execFileSync('rabbitmqctl', ['-q', 'delete_vhost', vhost], {
      stdio: 'pipe',
      timeout: DELETE_VHOST_TIMEOUT_MS,
      killSignal: 'SIGKILL',
    });
  } catch (err) {
    const e = err as { code?: string; stderr?: Buffer; signal?: string };
    const stderr = e.stderr?.toString() ?? '';
    if (/no_such_vhost|does not exist/i.test(stderr)) return;
    const why =
      e.signal === 'SIGKILL' || e.code === 'ETIMEDOUT'
        ? `did not finish in ${DELETE_VHOST_TIMEOUT_MS / 1000} s`
        : `failed: ${stderr.trim() || (err as Error).message}`;
    console.warn(`[tests] rabbitmqctl delete_vhost ${vhost} ${why}; delete it by hand`);
    return;
  }
  const ms = Date.now() - started;
  if (ms > 20_000) console.warn(`[tests] rabbitmqctl delete_vhost ${vhost} took ${Math.round(ms / 1000)} s`);
}
