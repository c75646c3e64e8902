import crypto from 'node:crypto';
import type { FlutterwaveSimulator } from '../../tools/flutterwave-sim/simulator';
import type { Sale } from '../../test/support/sale';
import { GaveUpError, type Answer, type HttpClient, type Session } from './client';

/** A booking the load paid for (successfully) on the simulator. */
export interface Purchase {
  bookingId: string;
  reference: string;
  txRef: string;
  userId: string;
  quantity: number;
  typeIndex: number;
  issuance: 'SINGLE' | 'SEPARATE';
  refundRequested: boolean;
}

export type Operation = 'purchase' | 'failed-payment' | 'cancel' | 'refund' | 'resend' | 'browse';

const WEIGHTS: Array<[Operation, number]> = [
  ['purchase', 45],
  ['failed-payment', 8],
  ['cancel', 8],
  ['refund', 10],
  ['resend', 10],
  ['browse', 19],
];

export interface LoadFigures {
  operations: number;
  byOperation: Record<string, { done: number; skipped: number; failed: number }>;
  purchases: number;
  soldOut: number;
  refundsRequested: number;
  resends: number;
  /** Answers the flow did not expect (status and code), with where they came from. */
  unexpected: Array<{ op: string; status: number; body: string }>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The steady mixed load: `concurrency` virtual users, each looping over weighted operations as a
 * signed-in buyer would do them (reserve, pay on the simulator's checkout and come back through
 * the redirect, pay and fail, cancel, ask for a refund, ask for the tickets again, browse).
 */
export class Load {
  readonly purchases: Purchase[] = [];
  private stopped = false;
  private running: Array<Promise<void>> = [];
  private readonly stats = new Map<string, { done: number; skipped: number; failed: number }>();
  private soldOut = 0;
  private refunds = 0;
  private resends = 0;
  private readonly unexpected: LoadFigures['unexpected'] = [];

  constructor(
    private readonly deps: {
      client: HttpClient;
      sim: FlutterwaveSimulator;
      sale: Sale;
      buyers: Session[];
      concurrency: number;
      log: (line: string) => void;
    },
  ) {}

  start(): void {
    for (let vu = 0; vu < this.deps.concurrency; vu++) this.running.push(this.virtualUser(vu));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.running);
  }

  figures(): LoadFigures {
    let operations = 0;
    const byOperation: LoadFigures['byOperation'] = {};
    for (const [op, s] of this.stats) {
      byOperation[op] = { ...s };
      operations += s.done + s.skipped + s.failed;
    }
    return {
      operations,
      byOperation,
      purchases: this.purchases.length,
      soldOut: this.soldOut,
      refundsRequested: this.refunds,
      resends: this.resends,
      unexpected: [...this.unexpected],
    };
  }

  private stat(op: string) {
    let s = this.stats.get(op);
    if (!s) this.stats.set(op, (s = { done: 0, skipped: 0, failed: 0 }));
    return s;
  }

  private async virtualUser(vu: number): Promise<void> {
    let n = 0;
    while (!this.stopped) {
      const session = this.deps.buyers[(vu + n++ * this.deps.concurrency) % this.deps.buyers.length]!;
      const op = pick();
      try {
        const outcome = await this.run(op, session);
        this.stat(op)[outcome]++;
      } catch (err) {
        this.stat(op).failed++;
        if (!(err instanceof GaveUpError)) this.deps.log(`${op} failed: ${(err as Error).message}`);
      }
      await sleep(100 + Math.random() * 200);
    }
  }

  private async run(op: Operation, session: Session): Promise<'done' | 'skipped' | 'failed'> {
    switch (op) {
      case 'purchase': {
        const vip = Math.random() < 0.15;
        const p = await this.purchase(session, {
          quantity: 1 + Math.floor(Math.random() * 3),
          typeIndex: vip ? 1 : 0,
          issuance: Math.random() < 0.3 ? 'SEPARATE' : 'SINGLE',
        });
        return p ? 'done' : 'skipped';
      }
      case 'failed-payment': {
        const booking = await this.reserve(session, 1, 0, 'SINGLE');
        if (!booking) return 'skipped';
        const txRef = await this.initialize(session, booking.id);
        const paid = await this.deps.sim.pay(txRef, { status: 'failed' });
        await this.callback(session, paid.redirectTo);
        const a = await this.deps.client.call(session, 'POST', `/api/v1/bookings/${booking.id}/cancel`, {});
        return this.expect(op, a, [200]) ? 'done' : 'failed';
      }
      case 'cancel': {
        const booking = await this.reserve(session, 1 + Math.floor(Math.random() * 2), 0, 'SINGLE');
        if (!booking) return 'skipped';
        const a = await this.deps.client.call(session, 'POST', `/api/v1/bookings/${booking.id}/cancel`, {});
        return this.expect(op, a, [200]) ? 'done' : 'failed';
      }
      case 'refund': {
        const p = this.ownPurchase(session, (x) => !x.refundRequested);
        if (!p) return 'skipped';
        const b = await this.deps.client.call(session, 'GET', `/api/v1/bookings/${p.bookingId}`);
        if (!this.expect(op, b, [200])) return 'failed';
        if ((b.body as { status: string }).status !== 'CONFIRMED') return 'skipped';
        const a = await this.deps.client.call(session, 'POST', '/api/v1/payments/refunds', {
          bookingId: p.bookingId,
        });
        if (!this.expect(op, a, [202, 200])) return 'failed';
        p.refundRequested = true;
        this.refunds++;
        return 'done';
      }
      case 'resend': {
        const p = this.ownPurchase(session, (x) => !x.refundRequested);
        if (!p) return 'skipped';
        const a = await this.deps.client.call(
          session,
          'POST',
          `/api/v1/bookings/${p.bookingId}/resend-tickets`,
          {},
        );
        // 404: the tickets are not issued yet; 422: revoked by a refund that raced this.
        if (a.status === 404 || a.status === 422) return 'skipped';
        if (!this.expect(op, a, [202])) return 'failed';
        this.resends++;
        return 'done';
      }
      case 'browse': {
        const a = await this.deps.client.call(session, 'GET', '/api/v1/tickets');
        const b = await this.deps.client.call(session, 'GET', '/api/v1/bookings');
        return this.expect(op, a, [200]) && this.expect(op, b, [200]) ? 'done' : 'failed';
      }
    }
  }

  /** Reserve, initialize, pay on the simulator, come back through the redirect: the paid Purchase (null: sold out). */
  async purchase(
    session: Session,
    opts: { quantity: number; typeIndex: number; issuance: 'SINGLE' | 'SEPARATE' },
  ): Promise<Purchase | null> {
    const booking = await this.reserve(session, opts.quantity, opts.typeIndex, opts.issuance);
    if (!booking) return null;
    const txRef = await this.initialize(session, booking.id);
    const paid = await this.deps.sim.pay(txRef, { status: 'successful' });
    const purchase: Purchase = {
      bookingId: booking.id,
      reference: booking.reference,
      txRef,
      userId: session.userId,
      ...opts,
      refundRequested: false,
    };
    // Recorded once the money moved: from here the platform owes the buyer tickets or a refund.
    this.purchases.push(purchase);
    await this.callback(session, paid.redirectTo);
    return purchase;
  }

  private async reserve(
    session: Session,
    quantity: number,
    typeIndex: number,
    issuance: 'SINGLE' | 'SEPARATE',
  ): Promise<{ id: string; reference: string } | null> {
    const key = crypto.randomUUID();
    const a = await this.deps.client.call(
      session,
      'POST',
      '/api/v1/bookings',
      {
        campaignId: this.deps.sale.campaign.id,
        items: [{ ticketTypeId: this.deps.sale.types[typeIndex]!.id, quantity }],
        issuance,
      },
      { 'idempotency-key': key },
    );
    if (a.status === 409) {
      this.soldOut++;
      return null;
    }
    if (!this.expect('reserve', a, [201])) throw new Error(`reserve answered ${a.status}`);
    return a.body as { id: string; reference: string };
  }

  private async initialize(session: Session, bookingId: string): Promise<string> {
    const a = await this.deps.client.call(session, 'POST', '/api/v1/payments/initialize', { bookingId });
    if (!this.expect('initialize', a, [200, 201])) throw new Error(`initialize answered ${a.status}`);
    return (a.body as { txRef: string }).txRef;
  }

  /** The buyer's browser following Flutterwave's redirect back to us (it asks for verification). */
  private async callback(session: Session, redirectTo: string): Promise<void> {
    const u = new URL(redirectTo);
    const a = await this.deps.client.call(session, 'GET', `${u.pathname}${u.search}`);
    this.expect('callback', a, [200]);
  }

  private ownPurchase(session: Session, filter: (p: Purchase) => boolean): Purchase | undefined {
    const mine = this.purchases.filter((p) => p.userId === session.userId && filter(p));
    return mine[Math.floor(Math.random() * mine.length)];
  }

  private expect(op: string, a: Answer, statuses: number[]): boolean {
    if (statuses.includes(a.status)) return true;
    if (a.status < 500 && this.unexpected.length < 200) {
      this.unexpected.push({
        op,
        status: a.status,
        body: (typeof a.body === 'string' ? a.body : JSON.stringify(a.body)).slice(0, 300),
      });
    }
    return false;
  }
}

function pick(): Operation {
  const total = WEIGHTS.reduce((s, [, w]) => s + w, 0);
  let r = Math.random() * total;
  for (const [op, w] of WEIGHTS) {
    r -= w;
    if (r < 0) return op;
  }
  return 'browse';
}
