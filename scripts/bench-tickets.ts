import crypto from 'node:crypto';
// A measuring tool for the module's own internals (signing + rendering), not a module client.
import { generateSigningKeyPair } from '../src/modules/tickets/tickets.crypto';
import { qrDimensions, renderTicketsPdf, type TicketPdfContext } from '../src/modules/tickets/tickets.pdf';
import { signTicketPayload } from '../src/modules/tickets/tickets.qr';

/**
 * `npm run bench:tickets [-- --seconds 10]`: how fast one process renders ticket PDFs in a plain
 * loop (sign the QR payload + render + collect the bytes), and how big they are. The
 * queue-driven figure (tickets issued per second by one worker) is added once the tickets
 * worker exists; this loop is the ceiling it will be compared with.
 */

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

const seconds = arg('seconds', 5);
const typeId = crypto.randomUUID();
const campaignId = crypto.randomUUID();
const key = generateSigningKeyPair();
const ctx: TicketPdfContext = {
  campaign: {
    title: 'Lagos Jazz Night 2026',
    kind: 'EVENT',
    startsAt: new Date('2026-12-01T19:00:00Z'),
    endsAt: new Date('2026-12-02T01:00:00Z'),
    venue: 'Eko Hotel, Victoria Island, Lagos',
    timezone: 'Africa/Lagos',
    sellerName: 'Blue Note Events Ltd',
  },
  ticketTypes: { [typeId]: { name: 'VIP Table', attributes: { benefits: ['Welcome drink', 'Front row'] } } },
};

function ticket(serial: number) {
  const id = crypto.randomUUID();
  const validFrom = new Date('2026-12-01T17:00:00Z');
  const validUntil = new Date('2026-12-02T05:00:00Z');
  return {
    id,
    bookingId: crypto.randomUUID(),
    ticketTypeId: typeId,
    serial,
    holderName: 'Adéwálé Ọlọ́run',
    admits: 1,
    maxScans: 1,
    validFrom,
    validUntil,
    qrPayload: signTicketPayload(
      { ticketId: id, campaignId, ticketTypeId: typeId, maxScans: 1, validFrom, validUntil, keyId: 1 },
      key.privateKey,
    ),
    createdAt: new Date('2026-11-22T10:00:00Z'),
  };
}

async function loop(ticketsPerPdf: number): Promise<{ rate: number; size: number; msEach: number }> {
  await renderTicketsPdf([ticket(1)], ctx); // warm-up: font parsing happens once per process
  let count = 0;
  let size = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(seconds * 1e9));
  while (process.hrtime.bigint() < deadline) {
    const pdf = await renderTicketsPdf(
      Array.from({ length: ticketsPerPdf }, (_, i) => ticket(i + 1)),
      ctx,
    );
    size = pdf.length;
    count++;
  }
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  return { rate: count / elapsed, size, msEach: (elapsed * 1000) / count };
}

async function main(): Promise<void> {
  const qr = qrDimensions(ticket(1).qrPayload);
  console.log(`ticket PDF benchmark: plain loop, ${seconds}s per case, Node ${process.version}, one process`);
  console.log(
    `QR: version ${qr.version} (${qr.modules}x${qr.modules} modules), level M, base45 alphanumeric`,
  );
  for (const n of [1, 4]) {
    const r = await loop(n);
    console.log(
      `${n} ticket(s) per PDF: ${r.rate.toFixed(1)} PDFs/s (${(r.rate * n).toFixed(1)} tickets/s), ` +
        `${r.msEach.toFixed(1)} ms per PDF, size ${(r.size / 1024).toFixed(1)} KiB (${r.size} bytes)`,
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
