import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { renderTicketsPdf, type TicketForPdf, type TicketPdfContext } from './tickets.pdf';
import type { RenderAnswer, RenderRequest } from './tickets.render-thread';

/** Renders a booking's ticket PDF; the same tickets and context give the same bytes. */
export type RenderPdf = (tickets: TicketForPdf[], ctx: TicketPdfContext) => Promise<Buffer>;

export interface RenderPool {
  render: RenderPdf;
  /** How many threads render (0: in the calling thread). */
  readonly threads: number;
  /** Ends the threads; jobs still waiting or rendering are rejected. */
  close(): Promise<void>;
}

interface Job {
  id: number;
  request: RenderRequest;
  resolve(pdf: Buffer): void;
  reject(err: Error): void;
}

interface Thread {
  worker: Worker;
  job: Job | null;
}

const THREAD_FILE = path.join(__dirname, `tickets.render-thread${path.extname(__filename)}`);

/*
 * A render thread runs tickets.render-thread.{ts,js}: compiled JavaScript (dist) loads as it
 * is; the TypeScript source (tsx, jest) is loaded through tsx's CommonJS hook, registered in the
 * thread itself, because neither jest's transform nor every runner's loader reaches a thread.
 */
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
if (workerData.file.endsWith('.ts')) require(workerData.tsx).register();
require(workerData.file);
`;

/**
 * A pool of `threads` render threads (worker_threads) for the tickets worker, so a worker
 * process renders on other cores while its main thread keeps reading messages, talking to
 * PostgreSQL and RabbitMQ and storing files: with one render thread a process keeps a core busy
 * rendering while the other runs everything else (and the plain render loop's figure is what one
 * busy thread reaches). Each thread renders one job at a time; jobs wait in arrival order.
 * Threads start with the pool. A thread that dies (a crash in pdfkit, out of memory)
 * rejects the job it held, is replaced, and the consumer retries that message as any failure.
 * With `threads` 0 it renders in the calling thread, as before (tests, the web process).
 */
export function createRenderPool(
  threads: number,
  /** The thread's body; default tickets.render-thread (a test passes one that dies on cue). */
  file: string = THREAD_FILE,
): RenderPool {
  if (threads <= 0) return { render: renderTicketsPdf, threads: 0, close: async () => undefined };
  const idle: Thread[] = [];
  const all = new Set<Thread>();
  const waiting: Job[] = [];
  let nextId = 1;
  let closed = false;

  function spawn(): Thread {
    const worker = new Worker(BOOTSTRAP, {
      eval: true,
      workerData: { file, tsx: file.endsWith('.ts') ? require.resolve('tsx/cjs/api') : '' },
    });
    const thread: Thread = { worker, job: null };
    all.add(thread);
    // An idle thread never keeps a stopping process alive.
    worker.unref();
    worker.on('message', (answer: RenderAnswer) => {
      const job = thread.job;
      if (!job || job.id !== answer.id) return;
      thread.job = null;
      if ('pdf' in answer)
        job.resolve(Buffer.from(answer.pdf.buffer, answer.pdf.byteOffset, answer.pdf.byteLength));
      else job.reject(new Error(`rendering failed: ${answer.error}`));
      idle.push(thread);
      dispatch();
    });
    const lost = (err: Error) => {
      if (!all.delete(thread)) return;
      const i = idle.indexOf(thread);
      if (i >= 0) idle.splice(i, 1);
      thread.job?.reject(err);
      thread.job = null;
      if (!closed) {
        idle.push(spawn());
        dispatch();
      }
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`render thread exited with code ${code}`)));
    return thread;
  }

  function dispatch(): void {
    while (idle.length && waiting.length) {
      const thread = idle.shift()!;
      const job = waiting.shift()!;
      thread.job = job;
      thread.worker.postMessage(job.request);
    }
  }

  function render(tickets: TicketForPdf[], ctx: TicketPdfContext): Promise<Buffer> {
    if (closed) return Promise.reject(new Error('the render pool is closed'));
    return new Promise<Buffer>((resolve, reject) => {
      const id = nextId++;
      // Only what a page prints travels to the thread (a structured clone of plain data).
      const plain = tickets.map((t) => ({
        id: t.id,
        bookingId: t.bookingId,
        ticketTypeId: t.ticketTypeId,
        serial: t.serial,
        holderName: t.holderName,
        admits: t.admits,
        maxScans: t.maxScans,
        validFrom: t.validFrom,
        validUntil: t.validUntil,
        qrPayload: t.qrPayload,
        createdAt: t.createdAt,
      }));
      waiting.push({ id, request: { id, tickets: plain, ctx }, resolve, reject });
      dispatch();
    });
  }

  // Started now, so the first job does not wait for a thread to load its modules.
  for (let i = 0; i < threads; i++) idle.push(spawn());

  async function close(): Promise<void> {
    closed = true;
    for (const job of waiting.splice(0)) job.reject(new Error('the render pool is closed'));
    await Promise.all([...all].map((t) => t.worker.terminate()));
  }

  return { render, threads, close };
}
