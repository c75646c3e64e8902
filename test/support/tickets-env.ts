import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createModules } from '../../src/modules/container';
import type { Config } from '../../src/shared/config';
import { createMailer, type Mailer } from '../../src/shared/mailer';
import type { OutboxRelay } from '../../src/shared/messaging/relay';
import type { Platform } from '../../src/shared/platform';
import { LocalStorage } from '../../src/shared/storage';
import { startWorker, type RunningWorker } from '../../src/shared/worker';
import { EmailQueues, emailConsumers } from '../../workers/email/handler';
import { PRESENTATION_CACHE_MS, TicketsQueues, ticketsConsumers } from '../../workers/tickets/handler';
import { startAuthApp, type AuthTestEnv } from './auth';
import { campaignBody, json, ticketTypeBody } from './factories';
import { createTestPlatform, resetDatabase } from './platform';
import { waitForConsumers } from './queues';
import { startLocalSmtp, type LocalSmtp } from './smtp-server';
import type { TestSession } from './auth';
import { createRelay } from './messaging';

type Overrides = Partial<Record<keyof Config, string>>;

export const TICKETS_QUEUES = Object.values(TicketsQueues).map((q) => q.name);
export const EMAIL_QUEUES = Object.values(EmailQueues).map((q) => q.name);

export interface TicketsTestEnv extends AuthTestEnv {
  smtp: LocalSmtp;
  storageDir: string;
  storage: LocalStorage;
  /** The workers' own platform (as a separate process would have). */
  workers: Platform;
  relay: OutboxRelay;
  /** Running tickets and/or email consumers (absent when started with `workers: []`). */
  running?: RunningWorker;
  mailer: Mailer;
  /** Overrides every process of this environment uses (SMTP, storage, sender). */
  overrides: Overrides;
}

/**
 * The whole tickets path in one test process, each part as production wires it: the web app
 * (real sign-in), the outbox relay, the tickets and email workers' consumers on their own
 * platform, a real SMTP server on loopback and a private storage folder.
 */
export async function startTicketsEnv(
  opts: { overrides?: Overrides; workers?: Array<'tickets' | 'email'>; realtime?: boolean } = {},
): Promise<TicketsTestEnv> {
  const smtp = await startLocalSmtp();
  const storageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tickets-e2e-'));
  const overrides: Overrides = {
    SMTP_URL: smtp.url,
    STORAGE_DIR: storageDir,
    MAIL_FROM: 'Tikiti <no-reply@tickets.test>',
    PUBLIC_URL: 'http://tickets.test',
    ...opts.overrides,
  };
  const env = await startAuthApp({ overrides, realtime: opts.realtime });
  await resetDatabase(env.platform);
  const workers = await createTestPlatform(overrides, 'workers');
  const storage = new LocalStorage(storageDir);
  const mailer = createMailer(workers.config);
  const kinds = opts.workers ?? ['tickets', 'email'];
  // Each worker builds its own container, as its own process would (the tickets worker with its
  // presentation cache, the email worker with its mailer).
  const consumers = [
    ...(kinds.includes('tickets')
      ? ticketsConsumers(createModules(workers, { storage, presentationCacheMs: PRESENTATION_CACHE_MS }))
      : []),
    ...(kinds.includes('email') ? emailConsumers(workers, createModules(workers, { storage, mailer })) : []),
  ];
  const running = consumers.length ? startWorker(workers, { consumers }) : undefined;
  await waitForConsumers(workers.broker, [
    ...(kinds.includes('tickets') ? TICKETS_QUEUES : []),
    ...(kinds.includes('email') ? EMAIL_QUEUES : []),
  ]);
  const relay = createRelay(workers);
  relay.start();
  return {
    ...env,
    smtp,
    storageDir,
    storage,
    workers,
    relay,
    running,
    mailer,
    overrides,
    async close() {
      await relay.stop();
      await running?.stop();
      mailer.close();
      await workers.close();
      await env.close();
      await smtp.close();
      fs.rmSync(storageDir, { recursive: true, force: true });
    },
  };
}

export interface HttpSale {
  campaignId: string;
  title: string;
  freeTypeId: string;
  paidTypeId: string;
}

/** A published campaign made by `seller` over HTTP, with a free and a paid ticket type. */
export async function createHttpSale(
  seller: TestSession,
  opts: { campaign?: Record<string, unknown>; free?: Record<string, unknown> } = {},
): Promise<HttpSale> {
  const created = await seller
    .post('/api/v1/campaigns')
    .send(json(campaignBody(new Date(), { maxTicketsPerCustomer: 1000, ...opts.campaign })));
  if (created.status !== 201)
    throw new Error(`create campaign answered ${created.status}: ${JSON.stringify(created.body)}`);
  const campaign = created.body as { id: string; title: string };
  const type = async (body: Record<string, unknown>) => {
    const res = await seller.post(`/api/v1/campaigns/${campaign.id}/ticket-types`).send(body);
    if (res.status !== 201)
      throw new Error(`create ticket type answered ${res.status}: ${JSON.stringify(res.body)}`);
    return (res.body as { id: string }).id;
  };
  const freeTypeId = await type(
    ticketTypeBody({ name: 'Free entry', priceMinor: 0, capacity: 5000, maxPerOrder: 1000, ...opts.free }),
  );
  const paidTypeId = await type(
    ticketTypeBody({ name: 'VIP', priceMinor: 500_000, capacity: 100, maxPerOrder: 10 }),
  );
  const published = await seller.post(`/api/v1/campaigns/${campaign.id}/publish`);
  if (published.status !== 200)
    throw new Error(`publish answered ${published.status}: ${JSON.stringify(published.body)}`);
  return { campaignId: campaign.id, title: campaign.title, freeTypeId, paidTypeId };
}
