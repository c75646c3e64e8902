import crypto from 'node:crypto';
import path from 'node:path';
import { threadId } from 'node:worker_threads';
import {
  createRenderPool,
  generateSigningKeyPair,
  renderTicketsPdf,
  signTicketPayload,
  type RenderPool,
  type TicketPdfContext,
} from '../index';

/**
 * The tickets worker's render threads (tickets.render-pool.ts): what a thread renders is what
 * the worker's own thread renders, byte for byte; a failure or a dying thread costs only its
 * own job, and the pool goes on.
 */

const key = generateSigningKeyPair();
const validFrom = new Date('2026-12-05T06:00:00Z');
const validUntil = new Date('2026-12-06T06:00:00Z');

function ticket(serial: number, seat?: { section: string; row: string; seat: string }) {
  const id = crypto.randomUUID();
  const campaignId = crypto.randomUUID();
  const ticketTypeId = '6a0e8f52-4f0a-4c36-9d55-0a4f1b7c2d11';
  return {
    id,
    bookingId: crypto.randomUUID(),
    ticketTypeId,
    serial,
    holderName: 'Adaeze Okafor',
    admits: 1,
    maxScans: 2,
    validFrom,
    validUntil,
    createdAt: new Date('2026-11-22T10:00:00Z'),
    qrPayload: signTicketPayload(
      {
        ticketId: id,
        campaignId,
        ticketTypeId,
        maxScans: 2,
        validFrom,
        validUntil,
        keyId: 1,
        ...(seat ? { seat } : {}),
      },
      key.privateKey,
    ),
  };
}

const ctx = (bookingReference: string): TicketPdfContext => ({
  campaign: {
    title: 'Lagoon Jazz Night',
    kind: 'EVENT',
    startsAt: new Date('2026-12-05T18:00:00Z'),
    endsAt: new Date('2026-12-05T23:00:00Z'),
    venue: 'Eko Hotel, Lagos',
    timezone: 'Africa/Lagos',
    sellerName: 'Amaka Events',
  },
  ticketTypes: {
    '6a0e8f52-4f0a-4c36-9d55-0a4f1b7c2d11': {
      name: 'VIP Table',
      attributes: { benefits: ['Welcome drink'] },
    },
  },
  bookingReference,
});

const pools: RenderPool[] = [];
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
});

function pool(threads: number, file?: string): RenderPool {
  const p = createRenderPool(threads, file);
  pools.push(p);
  return p;
}

it('when a booking is rendered in a render thread, then the PDF is byte for byte the one this thread renders', async () => {
  const p = pool(2);
  const list = [ticket(1), ticket(2, { section: 'B', row: '4', seat: '12' }), ticket(3)];
  const [inThread, inPool] = await Promise.all([
    renderTicketsPdf(list, ctx('K7QX-2M9P')),
    p.render(list, ctx('K7QX-2M9P')),
  ]);
  expect(inPool.subarray(0, 5).toString()).toBe('%PDF-');
  expect(inPool.equals(inThread)).toBe(true);
  expect(p.threads).toBe(2);
  expect(threadId).toBe(0);
});

it('when more jobs than threads arrive at once, then every one is rendered, each with its own tickets', async () => {
  const p = pool(2);
  const jobs = Array.from({ length: 9 }, (_, i) => [ticket(i + 1)]);
  const pdfs = await Promise.all(jobs.map((list, i) => p.render(list, ctx(`REF-${1000 + i}`))));
  for (let i = 0; i < jobs.length; i++) {
    expect(pdfs[i]!.equals(await renderTicketsPdf(jobs[i]!, ctx(`REF-${1000 + i}`)))).toBe(true);
  }
});

it('when a render fails, then only its job is rejected with the reason and the thread renders the next', async () => {
  const p = pool(1);
  await expect(p.render([], ctx('K7QX-2M9P'))).rejects.toThrow('rendering failed: no tickets to render');
  const pdf = await p.render([ticket(1)], ctx('K7QX-2M9P'));
  expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
});

it('when a render thread dies mid-job, then that job is rejected, a new thread takes over and the queued jobs are rendered', async () => {
  const p = pool(1, path.join(__dirname, 'fixtures', 'dying-render-thread.ts'));
  const dying = p.render([ticket(1)], ctx('DIE-DIE1'));
  const queued = p.render([ticket(2)], ctx('K7QX-2M9P'));
  await expect(dying).rejects.toThrow('render thread exited with code 3');
  expect((await queued).subarray(0, 5).toString()).toBe('%PDF-');
  expect((await p.render([ticket(3)], ctx('K7QX-2M9P'))).subarray(0, 5).toString()).toBe('%PDF-');
});

it('when the pool is closed, then waiting and new jobs are rejected, and with 0 threads it renders in this thread', async () => {
  const p = createRenderPool(1);
  const first = expect(p.render([ticket(1)], ctx('K7QX-2M9P'))).rejects.toThrow();
  const second = expect(p.render([ticket(2)], ctx('K7QX-2M9P'))).rejects.toThrow('the render pool is closed');
  await p.close();
  await second;
  await first;
  await expect(p.render([ticket(3)], ctx('K7QX-2M9P'))).rejects.toThrow('the render pool is closed');
  const inline = createRenderPool(0);
  expect(inline.threads).toBe(0);
  expect(inline.render).toBe(renderTicketsPdf);
});
