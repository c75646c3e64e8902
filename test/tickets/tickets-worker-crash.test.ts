import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createModules } from '../../src/modules/container';
import { bookingTicketsFileKey } from '../../src/modules/tickets';
import { fixedClock } from '../../src/shared/clock';
import type { OutboxRelay } from '../../src/shared/messaging/relay';
import type { Platform } from '../../src/shared/platform';
import { actor } from '../support/factories';
import { createTestPlatform, resetDatabase, waitFor } from '../support/platform';
import { waitForConsumers } from '../support/queues';
import { createSale } from '../support/sale';
import { spawnWorkerProcess, type WorkerProcess } from '../support/worker-process';
import { createRelay } from '../support/messaging';

/**
 * A real tickets worker process (workers/tickets/main.ts, as `npm start` runs it) is killed with
 * SIGKILL while it renders a large booking's PDF (after its issuance transaction has committed the
 * tickets, before the inbox transaction files them); a second process gets the message again from
 * RabbitMQ and finishes the job: the tickets exist once, with gapless serials, in one file, and
 * tickets.issued is enqueued once.
 */

const TICKETS = 400;
let platform: Platform;
let relay: OutboxRelay;
let storageDir: string;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  storageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tickets-crash-'));
  platform = await createTestPlatform({ STORAGE_DIR: storageDir });
  await resetDatabase(platform);
  relay = createRelay(platform);
});

afterAll(async () => {
  await relay.stop();
  for (const w of workers) await w.stop();
  await platform.close();
  fs.rmSync(storageDir, { recursive: true, force: true });
});

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

it('when the tickets worker is killed mid-render, then the job completes on redelivery with the tickets once and one file', async () => {
  const clock = fixedClock(new Date());
  const sale = await createSale(
    { ...platform, clock },
    {
      campaign: { maxTicketsPerCustomer: 1000 },
      types: [{ name: 'Free', priceMinor: 0, capacity: 5000, maxPerOrder: 1000 }],
    },
  );

  const first = await spawnWorkerProcess('tickets', { STORAGE_DIR: storageDir });
  workers.push(first);
  await waitForConsumers(platform.broker, ['tickets.issue']);
  relay.start();

  const bookings = createModules({ ...platform, clock }).bookings;
  const reserved = await bookings.reserveBooking(actor(), crypto.randomUUID(), {
    campaignId: sale.campaign.id,
    items: [{ ticketTypeId: sale.types[0]!.id, quantity: TICKETS }],
    issuance: 'SEPARATE',
  });
  const bookingId = (reserved.body as { id: string; status: string }).id;
  expect((reserved.body as { status: string }).status).toBe('CONFIRMED');

  await first.waitForOutput(new RegExp(`issuing tickets.*${bookingId}`), 30_000);
  // The worker issues the tickets in a short transaction of its own and commits them without a
  // file; from then on it renders the PDF (seconds for this many pages) holding no connection,
  // then stores it and records it with the outbox row in the inbox transaction. Kill it as soon
  // as the tickets show.
  const issuingSince = Date.now();
  await waitFor(
    async () => (await platform.prisma.ticket.count({ where: { bookingId } })) === TICKETS,
    30_000,
    'the worker to have issued the tickets and be rendering',
  );
  await first.kill('SIGKILL');
  const killedAfterMs = Date.now() - issuingSince;
  expect(first.output()).not.toMatch(/tickets issued/);

  // The kill landed inside the render: the tickets were committed unfiled, but the PDF had not
  // started to be written (not even a temporary file), and nothing was announced or marked done.
  const campaignDir = path.join(storageDir, 'tickets', sale.campaign.id);
  const finalFile = path.join(storageDir, bookingTicketsFileKey(sale.campaign.id, bookingId));
  expect(filesUnder(campaignDir)).toEqual([]);
  expect(await platform.prisma.ticket.count({ where: { bookingId, fileKey: null } })).toBe(TICKETS);
  expect(await platform.prisma.outboxMessage.count({ where: { eventName: 'tickets.issued' } })).toBe(0);
  expect(await platform.prisma.inboxMessage.count({ where: { consumer: 'tickets.issue' } })).toBe(0);

  const started = Date.now();
  const second = await spawnWorkerProcess('tickets', { STORAGE_DIR: storageDir });
  workers.push(second);
  await second.waitForOutput(new RegExp(`tickets issued.*${bookingId}`), 120_000);
  // The log line comes just before the consumer's commit.
  await waitFor(
    async () => (await platform.prisma.inboxMessage.count({ where: { consumer: 'tickets.issue' } })) === 1,
    15_000,
    'the redelivered job to commit',
  );
  const redeliveryMs = Date.now() - started;

  const tickets = await platform.prisma.ticket.findMany({ where: { bookingId }, orderBy: { serial: 'asc' } });
  expect(tickets).toHaveLength(TICKETS);
  // The killed attempt's tickets are the ones the redelivery filed: no gaps, no repeats.
  expect(tickets.map((t) => t.serial)).toEqual(Array.from({ length: TICKETS }, (_, i) => i + 1));
  expect(filesUnder(campaignDir)).toEqual([finalFile]);
  const pages = /Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', [finalFile]).toString())?.[1];
  expect(Number(pages)).toBe(TICKETS);
  expect(new Set(tickets.map((t) => t.fileKey))).toEqual(
    new Set([bookingTicketsFileKey(sale.campaign.id, bookingId)]),
  );
  expect(
    await platform.prisma.outboxMessage.count({
      where: { eventName: 'tickets.issued', payload: { path: ['payload', 'bookingId'], equals: bookingId } },
    }),
  ).toBe(1);
  expect(await platform.prisma.inboxMessage.count({ where: { consumer: 'tickets.issue' } })).toBe(1);

  // A third delivery (the relay re-publishing after a crash of its own) changes nothing.
  const consumed = async () =>
    (await platform.counters.read())
      .filter((r) => r.metric === 'messages_consumed_total' && r.labels.consumer === 'tickets.issue')
      .reduce((sum, r) => sum + r.value, 0);
  const before = await consumed();
  await platform.prisma
    .$executeRaw`UPDATE outbox_messages SET published_at = NULL WHERE event_name = 'booking.confirmed'`;
  await waitFor(async () => (await consumed()) > before, 15_000, 'the re-published event to be consumed');
  expect(await platform.prisma.ticket.count({ where: { bookingId } })).toBe(TICKETS);
  expect(filesUnder(campaignDir)).toEqual([finalFile]);
  console.log(
    `killed ${killedAfterMs} ms after the issuing log line; redelivery finished in ${redeliveryMs} ms`,
  );
}, 240_000);
