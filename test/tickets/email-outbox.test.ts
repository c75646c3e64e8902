import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeSeller, signIn } from '../support/auth';
import { decodeHeader, leafParts, parseMime } from '../support/mime';
import { waitFor } from '../support/platform';
import { waitForConsumers } from '../support/queues';
import { createHttpSale, EMAIL_QUEUES, startTicketsEnv, type TicketsTestEnv } from '../support/tickets-env';
import { spawnWorkerProcess, type WorkerProcess } from '../support/worker-process';

/**
 * The default local run: no SMTP_URL, so the email worker process (workers/email/main.ts, as
 * `npm start` runs it) writes each email as an .eml file into MAIL_OUTBOX_DIR.
 */
describe('email worker process without SMTP', () => {
  let env: TicketsTestEnv;
  let worker: WorkerProcess;
  const outbox = fs.mkdtempSync(path.join(os.tmpdir(), 'mail-outbox-'));

  beforeAll(async () => {
    env = await startTicketsEnv({ workers: ['tickets'] });
    worker = await spawnWorkerProcess('email', {
      SMTP_URL: '',
      MAIL_OUTBOX_DIR: outbox,
      STORAGE_DIR: env.storageDir,
      MAIL_FROM: 'Tikiti <no-reply@tickets.test>',
      PUBLIC_URL: 'http://tickets.test',
    });
    await waitForConsumers(env.workers.broker, EMAIL_QUEUES);
  }, 90_000);
  afterAll(async () => {
    await worker?.stop();
    await env?.close();
    fs.rmSync(outbox, { recursive: true, force: true });
  });

  it('when tickets are issued, then the buyer’s email with the PDF lands as an .eml file in the outbox folder', async () => {
    expect(worker.output()).toContain(`emails are written as .eml files to ${outbox}`);
    const seller = await makeSeller(env, `seller-${crypto.randomBytes(3).toString('hex')}@example.test`);
    const sale = await createHttpSale(seller);
    const buyer = await signIn(env, `buyer-${crypto.randomBytes(3).toString('hex')}@example.test`, {
      name: 'Amaka',
    });
    const res = await buyer
      .post('/api/v1/bookings')
      .set('Idempotency-Key', crypto.randomUUID())
      .send({
        campaignId: sale.campaignId,
        items: [{ ticketTypeId: sale.freeTypeId, quantity: 1 }],
        issuance: 'SINGLE',
      })
      .expect(201);
    const reference = (res.body as { reference: string }).reference;

    const file = await waitFor(
      () =>
        fs
          .readdirSync(outbox)
          .filter((f) => f.endsWith('.eml'))
          .map((f) => path.join(outbox, f))
          .find((f) => fs.readFileSync(f, 'latin1').includes(`booking ${reference}`)),
      20_000,
      'the tickets email in the outbox',
    );
    const mail = parseMime(fs.readFileSync(file!));
    expect(mail.headers.get('to')).toBe(buyer.email.toLowerCase());
    expect(decodeHeader(mail.headers.get('subject')!)).toBe(
      `Your tickets for ${sale.title} (booking ${reference})`,
    );
    const pdf = leafParts(mail).find((p) => p.contentType === 'application/pdf');
    expect(pdf?.body.subarray(0, 5).toString()).toBe('%PDF-');
    // The seller's approval went the same way.
    expect(
      fs
        .readdirSync(outbox)
        .some((f) => fs.readFileSync(path.join(outbox, f), 'latin1').includes('approved to sell tickets')),
    ).toBe(true);
    expect(env.smtp.messages).toEqual([]);
  });
});
