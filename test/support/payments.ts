import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Connection } from 'rabbitmq-client';
import { createModules } from '../../src/modules/container';
import { WEBHOOK_PATH, type PaymentsService } from '../../src/modules/payments';
import { fixedClock } from '../../src/shared/clock';
import type { Config } from '../../src/shared/config';
import type { Actor } from '../../src/shared/http/authorize';
import { createLogger } from '../../src/shared/logger';
import { createMailer } from '../../src/shared/mailer';
import { LocalStorage } from '../../src/shared/storage';
import { emailConsumers } from '../../workers/email/handler';
import { startLocalSmtp, type LocalSmtp } from './smtp-server';
import { EMAIL_QUEUES } from './tickets-env';
import type { OutboxRelay } from '../../src/shared/messaging/relay';
import { createPlatform, type Platform } from '../../src/shared/platform';
import { startWorker, type RunningWorker } from '../../src/shared/worker';
import { liveCountersConsumer } from '../../workers/realtime/handler';
import {
  createFlutterwaveSimulator,
  type FlutterwaveSimulator,
  type FlutterwaveSimulatorOptions,
} from '../../tools/flutterwave-sim/simulator';
import { actorOfSeller, makeSeller, signIn, startAuthApp, type AuthTestEnv, type TestSession } from './auth';
import { resetDatabase, waitFor } from './platform';
import { createSale, type Sale } from './sale';
import { createRelay } from './messaging';
import { paymentsWorker } from '../../workers/payments/handler';

/**
 * The payment flows end to end, in one test process: the app (real sign-in, real routes), the
 * Flutterwave simulator speaking the v3 API with its webhooks pointed at the app, the outbox
 * relay, and the payments worker's consumers plus the live-counters consumer on their own
 * platform (as separate processes would have). Time is a shared fixed clock that tests move.
 */

export const FLW_TEST_KEYS = {
  FLUTTERWAVE_SECRET_KEY: 'FLWSECK_TEST-payments-suite-secret-key-X',
  FLUTTERWAVE_SECRET_HASH: 'payments-suite-webhook-hash-0123456789',
} as const;

export const QUEUES = [
  'payments.verify',
  'payments.refunds',
  'payments.campaign-cancelled',
  'payments.live',
  'campaigns.live-counters',
];

export interface PaymentsTestEnv {
  env: AuthTestEnv;
  sim: FlutterwaveSimulator;
  clock: ReturnType<typeof fixedClock>;
  /** The worker's platform (its own connections, the app's configuration). */
  worker: Platform;
  running: RunningWorker | null;
  relay: OutboxRelay;
  /** A payments service on the worker's platform, for calling jobs (reconciliation) directly. */
  payments: PaymentsService;
  seller: TestSession & { applicationId: string };
  sellerActor: Actor;
  url: string;
  /** The SMTP server the email worker sends to (only with `email: true`). */
  smtp: LocalSmtp | null;
  close(): Promise<void>;
}

export interface PaymentsEnvOptions {
  overrides?: Partial<Record<keyof Config, string>>;
  realtime?: boolean;
  /** Run the payments worker's consumers in-process (default true). */
  startWorker?: boolean;
  sim?: Partial<FlutterwaveSimulatorOptions>;
  /** Also run the email worker's consumers, sending to a local SMTP server (env.smtp). */
  email?: boolean;
}

/** Waits until RabbitMQ has every queue (declared by the consumers), so no event is published into the void. */
export async function waitForQueues(
  connection: Connection,
  names: string[],
  timeoutMs = 15_000,
): Promise<void> {
  await waitFor(
    async () => {
      for (const queue of names) await connection.queueDeclare({ queue, passive: true });
      return true;
    },
    timeoutMs,
    `queues ${names.join(', ')}`,
  );
}

export async function startPaymentsEnv(opts: PaymentsEnvOptions = {}): Promise<PaymentsTestEnv> {
  const clock = fixedClock(new Date());
  const sim = createFlutterwaveSimulator({ ...FLW_TEST_KEYS_SIM, webhookRetryDelayMs: 100, ...opts.sim });
  await sim.start();
  const smtp = opts.email ? await startLocalSmtp() : null;
  const storageDir = opts.email ? fs.mkdtempSync(path.join(os.tmpdir(), 'payments-mail-')) : null;
  const env = await startAuthApp({
    clock,
    realtime: opts.realtime,
    overrides: {
      ...FLW_TEST_KEYS,
      FLUTTERWAVE_BASE_URL: sim.url,
      FLUTTERWAVE_TIMEOUT_MS: '15000',
      FLUTTERWAVE_RETRY_BASE_MS: '20',
      PAYMENT_VERIFY_COOLDOWN_SECONDS: '0',
      PAYMENT_RATE_LIMIT_MAX: '100000',
      ...(smtp && storageDir
        ? { SMTP_URL: smtp.url, STORAGE_DIR: storageDir, MAIL_FROM: 'Tikiti <no-reply@payments.test>' }
        : {}),
      ...opts.overrides,
    },
  });
  sim.setWebhookUrl(`${env.url}${WEBHOOK_PATH}`);
  await resetDatabase(env.platform);

  const worker = await createPlatform(env.platform.config, {
    service: 'payments-worker',
    logger: createLogger({ level: env.platform.config.LOG_LEVEL, service: 'payments-worker' }),
    clock,
  });
  const { payments } = createModules(worker);
  let running: RunningWorker | null = null;
  const mailer = smtp ? createMailer(worker.config) : null;
  if (opts.startWorker !== false) {
    // Consumers only: tests run the reconciliation job themselves, at the time they choose.
    const email =
      mailer && storageDir
        ? emailConsumers(worker, createModules(worker, { mailer, storage: new LocalStorage(storageDir) }))
        : [];
    running = startWorker(worker, {
      consumers: [
        ...(paymentsWorker(worker, payments).consumers ?? []),
        liveCountersConsumer(worker),
        ...email,
      ],
    });
    await waitForQueues(worker.broker.connection, [...QUEUES, ...(email.length ? EMAIL_QUEUES : [])]);
  }
  const relay = createRelay(worker);
  relay.start();

  const seller = await makeSeller(env, `seller-${crypto.randomBytes(3).toString('hex')}@example.test`);
  const sellerActor: Actor = actorOfSeller(seller);
  return {
    env,
    sim,
    clock,
    worker,
    running,
    relay,
    payments,
    seller,
    sellerActor,
    url: env.url,
    smtp,
    async close() {
      await relay.stop();
      await running?.stop();
      mailer?.close();
      await sim.close();
      await env.close();
      await worker.close();
      await smtp?.close();
      if (storageDir) fs.rmSync(storageDir, { recursive: true, force: true });
    },
  };
}

const FLW_TEST_KEYS_SIM = {
  secretKey: FLW_TEST_KEYS.FLUTTERWAVE_SECRET_KEY,
  secretHash: FLW_TEST_KEYS.FLUTTERWAVE_SECRET_HASH,
};

/** An ACTIVE campaign of the env's seller, on the env's clock. */
export function saleFor(
  t: PaymentsTestEnv,
  opts: { campaign?: Record<string, unknown>; types?: Array<Record<string, unknown>> } = {},
): Promise<Sale> {
  return createSale({ ...t.env.platform, clock: t.clock }, { seller: t.sellerActor, ...opts });
}

export interface BookingBody {
  id: string;
  reference: string;
  status: string;
  totalMinor: number;
  currency: string;
  expiresAt: string;
}

export interface InitializeBody {
  id: string;
  txRef: string;
  link: string;
  status: string;
  amountMinor: number;
  currency: string;
  reused: boolean;
}

let buyers = 0;
/** A newly signed-in buyer. */
export function newBuyer(t: PaymentsTestEnv, who = 'buyer'): Promise<TestSession> {
  return signIn(t.env, `${who}-${++buyers}-${crypto.randomBytes(2).toString('hex')}@example.test`, {
    name: `Buyer ${buyers}`,
  });
}

/** POST /api/v1/bookings for `quantity` of the sale's first (or given) type; expects 201. */
export async function reserve(
  buyer: TestSession,
  sale: Sale,
  quantity = 1,
  typeIndex = 0,
): Promise<BookingBody> {
  const res = await buyer
    .post('/api/v1/bookings')
    .set('Idempotency-Key', crypto.randomUUID())
    .send({
      campaignId: sale.campaign.id,
      items: [{ ticketTypeId: sale.types[typeIndex]!.id, quantity }],
      issuance: 'SINGLE',
    });
  if (res.status !== 201) throw new Error(`reserve answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body as BookingBody;
}

/** POST /api/v1/payments/initialize; expects 200/201. */
export async function initialize(buyer: TestSession, bookingId: string): Promise<InitializeBody> {
  const res = await buyer.post('/api/v1/payments/initialize').send({ bookingId });
  if (res.status !== 201 && res.status !== 200)
    throw new Error(`initialize answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body as InitializeBody;
}

/** Outbox events of `name` whose payload has `field` = `value`. */
export async function outboxEvents(
  t: PaymentsTestEnv,
  name: string,
  field: string,
  value: string,
): Promise<Array<Record<string, unknown>>> {
  const rows = await t.env.platform.prisma.outboxMessage.findMany({
    where: { eventName: name, payload: { path: ['payload', field], equals: value } },
    orderBy: { createdAt: 'asc' },
  });
  return rows.map((r) => (r.payload as { payload: Record<string, unknown> }).payload);
}

/** The booking as its buyer reads it over the API. */
export async function bookingOf(buyer: TestSession, id: string): Promise<BookingBody> {
  return (await buyer.get(`/api/v1/bookings/${id}`).expect(200)).body as BookingBody;
}

/** The payment row as stored (test-only read). */
export async function paymentRow(t: PaymentsTestEnv, txRef: string) {
  return t.env.platform.prisma.payment.findUnique({ where: { txRef } });
}

/** A new buyer's booking of `quantity` tickets, paid on the simulator and CONFIRMED. */
export async function confirmedBooking(t: PaymentsTestEnv, sale: Sale, quantity = 1) {
  const buyer = await newBuyer(t);
  const booking = await reserve(buyer, sale, quantity);
  const { txRef, id: paymentId } = await initialize(buyer, booking.id);
  await t.sim.pay(txRef);
  await waitFor(
    async () => (await bookingOf(buyer, booking.id)).status === 'CONFIRMED',
    20_000,
    'confirmation',
  );
  return { buyer, booking, txRef, paymentId };
}
