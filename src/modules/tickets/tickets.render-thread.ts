import { parentPort } from 'node:worker_threads';
import { renderTicketsPdf, type TicketForPdf, type TicketPdfContext } from './tickets.pdf';

/**
 * Body of one render thread of the tickets worker's pool (tickets.render-pool.ts): renders one
 * job at a time and answers with the PDF's bytes, or the error's message. It holds no
 * connection and touches nothing but its own memory, so a thread that dies loses only the job it
 * was rendering (the pool rejects it; the consumer retries the message).
 */
export interface RenderRequest {
  id: number;
  tickets: TicketForPdf[];
  ctx: TicketPdfContext;
}

export type RenderAnswer = { id: number; pdf: Uint8Array } | { id: number; error: string };

parentPort?.on('message', (req: RenderRequest) => {
  renderTicketsPdf(req.tickets, req.ctx).then(
    (pdf) => {
      // A copy of its own (not a slice of a shared pool), so its buffer can be handed over, not cloned.
      const bytes = new Uint8Array(pdf);
      parentPort!.postMessage({ id: req.id, pdf: bytes } satisfies RenderAnswer, [bytes.buffer]);
    },
    (err: Error) => parentPort!.postMessage({ id: req.id, error: err.message } satisfies RenderAnswer),
  );
});
