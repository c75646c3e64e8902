/// <reference types="jest" />
// Jest's types: the build (tsconfig.build.json) compiles the scripts that import this file; the Jest globals are used only from test files.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection } from 'rabbitmq-client';
// Not exported by the package's index (only its type is); the class every declare goes through.
import { Channel } from 'rabbitmq-client/lib/Channel';

/*
 * Every test file of one Jest worker shares that worker's vhost (names.ts). Left alone, each
 * file's queues stay there for the rest of the run: consumer families with random names pile up
 * (a quorum queue is a Raft cluster of its own, not free to keep), and messages a file left in
 * the platform's fixed queues (`tickets.issue`, ...) are handed to the next file's workers, whose
 * database no longer has their rows. So, as each file starts, the queues the files before it
 * declared are deleted, explicitly (deleting them one by one is also what keeps the run's final
 * delete_vhost short). A file starts from an empty vhost, as it starts from an empty database.
 *
 * What is deleted: every queue this Jest worker's test processes declared (recorded below, in a
 * file shared by the worker's test files), and, when a file used RabbitMQ at all, the whole
 * platform topology (workers/topology.ts), which child processes (spawnWorkerProcess, `npm
 * start` tests) declare out of sight of this recorder.
 */

/** The record of one Jest worker: a queue name per line, PLATFORM when the platform's topology may exist. */
export function queueRecordFile(runId: string, worker: string): string {
  return path.join(os.tmpdir(), `tm-test-queues-${runId}-${worker}.txt`);
}
const PLATFORM = '*platform*';
/** In a Jest test file (bench scripts import the process helpers too, and record nothing). */
const inTestFile = typeof beforeAll === 'function' && process.env.JEST_WORKER_ID !== undefined;
const recordFile = queueRecordFile(process.env.TEST_RUN_ID ?? 'none', process.env.JEST_WORKER_ID ?? '1');
const record = (line: string) => {
  if (inTestFile) fs.appendFileSync(recordFile, `${line}\n`);
};

/** How long one queue.delete may take before the test file fails with the queue's name. */
const DELETE_TIMEOUT_MS = 30_000;

// Record every queue declared in this test process (passive declares create nothing; exclusive
// queues go with their connection).
type Declare = (
  this: Channel,
  params?: string | { passive?: boolean; exclusive?: boolean },
) => Promise<{ queue: string }>;
const declare = Channel.prototype.queueDeclare as Declare;
if (inTestFile) {
  (Channel.prototype as { queueDeclare: Declare }).queueDeclare = async function (params) {
    const ok = await declare.call(this, params);
    const p = typeof params === 'object' ? params : {};
    if (!p.passive && !p.exclusive) record(ok.queue);
    return ok;
  };
}

/** Marks that a child process of this file may have declared the platform's queues. */
export function recordPlatformQueues(): void {
  record(PLATFORM);
}

/**
 * The platform's consumer queues with their DLQs, delay queues and migration leftovers, loaded
 * only when needed (the workers' modules take seconds to load on a busy machine).
 */
async function loadPlatformQueueNames(): Promise<string[]> {
  const [{ platformTopology }, { queueFamilyNames }] = await Promise.all([
    import('../../workers/topology.js'),
    import('../../src/shared/messaging/topology.js'),
  ]);
  return platformTopology().flatMap((spec) => queueFamilyNames(spec, familyOptions()));
}

/** The settings that name a consumer's delay queues, as worker-env.ts gives them to the test processes. */
export function familyOptions(): { maxAttempts: number; retryBaseMs: number } {
  return {
    maxAttempts: Number(process.env.CONSUMER_MAX_ATTEMPTS ?? 5),
    retryBaseMs: Number(process.env.CONSUMER_RETRY_BASE_MS ?? 50),
  };
}

function readRecord(file: string): string[] {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
  } catch {
    return []; // nothing recorded: the files before used no RabbitMQ
  }
}

/**
 * Writes the platform's queue names in place of the marker. Done inside a test file, where the
 * workers' modules load (the global teardown cannot load them).
 */
async function expandPlatformMarker(file: string): Promise<void> {
  const lines = readRecord(file);
  if (!lines.includes(PLATFORM)) return;
  const names = new Set([...lines.filter((l) => l !== PLATFORM), ...(await loadPlatformQueueNames())]);
  fs.writeFileSync(file, [...names].map((n) => `${n}\n`).join(''));
}

/** Deletes the queues recorded in `file` from `amqpUrl`'s vhost, then the record. */
export async function deleteRecordedQueues(file: string, amqpUrl: string): Promise<number> {
  const names = new Set(readRecord(file).filter((l) => l !== PLATFORM));
  if (names.size === 0) return 0;
  const connection = new Connection({
    url: amqpUrl,
    connectionTimeout: 10_000,
    acquireTimeout: 20_000,
    retryHigh: 1000,
  });
  try {
    const ch = await connection.acquire();
    for (const queue of names) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(
                `deleting queue ${queue} took over ${DELETE_TIMEOUT_MS} ms (${amqpUrl.replace(/\/\/[^@]*@/, '//')})`,
              ),
            ),
          DELETE_TIMEOUT_MS,
        );
      });
      try {
        await Promise.race([ch.queueDelete({ queue }), timeout]);
      } finally {
        clearTimeout(timer);
      }
    }
    await ch.close();
  } finally {
    await connection.close();
  }
  fs.rmSync(file, { force: true });
  return names.size;
}

if (inTestFile) {
  beforeAll(async () => {
    const url = process.env.AMQP_URL;
    await expandPlatformMarker(recordFile);
    if (url) await deleteRecordedQueues(recordFile, url);
  }, 120_000);
  // What this file's child processes declared, named for whoever deletes it next.
  afterAll(() => expandPlatformMarker(recordFile), 60_000);
}
