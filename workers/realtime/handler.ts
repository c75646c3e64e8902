import {
  COUNTER_EVENT,
  getCounters,
  getTakenSeats,
  recordLowStockCrossings,
  roomOf,
  SEATS_EVENT,
  STOCK_LOW_EVENT,
} from '../../src/modules/campaigns';
import { TicketEvents, type TicketRevokedPayload } from '../../src/modules/tickets';
import {
  describeConflict,
  gateRoomOf,
  getGateCounts,
  revocationPushes,
  ValidationEvents,
  GATE_CONFLICT_EVENT,
  GATE_COUNTS_EVENT,
  GATE_REVOCATION_EVENT,
  type TicketScannedPayload,
} from '../../src/modules/validation';
import type { Db } from '../../src/shared/db';
import type { ConsumerSpec } from '../../src/shared/messaging/consumer';
import type { DomainEvent } from '../../src/shared/messaging/events';
import type { QueueTopology } from '../../src/shared/messaging/topology';
import type { Platform } from '../../src/shared/platform';
import { createAudienceReader, createEmitter } from '../../src/shared/realtime';
import { isUuid } from '../../src/shared/uuid';

/** The realtime worker's queues (declared by the relay from this constant; see workers/topology.ts). */
export const RealtimeQueues = {
  liveCounters: {
    name: 'campaigns.live-counters',
    events: ['booking.*', 'campaign.updated', 'campaign.published', 'refund.completed'],
  },
  /** The same events as the counters: each may take a ticket type to its low-stock threshold or back. */
  lowStock: {
    name: 'campaigns.low-stock',
    events: [
      'booking.reserved',
      'booking.confirmed',
      'booking.expired',
      'booking.cancelled',
      'booking.waitlist-offered',
      'booking.waitlist-offer-expired',
      'campaign.updated',
      'campaign.published',
      'refund.completed',
    ],
  },
  gateLive: {
    name: 'validation.live-gates',
    events: [ValidationEvents.scanned, TicketEvents.revoked],
  },
} as const satisfies Record<string, QueueTopology>;

/**
 * A send budget shared by folds: `ratePerSecond()` messages per second in all, `request(cost, go)`
 * calls `go` when `cost` messages fit. Token bucket with debt, first come first served: a request
 * goes at once while the bucket is not empty (a quiet campaign's refresh has no added wait, and
 * a refresh is never split or refused: its cost is taken even if it leaves the bucket in debt);
 * otherwise it waits its turn until the debt is paid back. With several hot campaigns every one
 * is refreshed once per (their audiences summed / rate) seconds, the same interval for each, which
 * is also what keeps the audience's mean wait lowest for a given number of messages. Under the
 * budget nothing waits; past it a refresh waits instead of piling messages onto web processes and
 * browsers that cannot send or read them in time (bench:live with a fixed 100 ms fold on 2 cores:
 * 100,000 messages/s asked for, 36,000 delivered, p99 7.1 s). The bucket holds `burstMs` of rate.
 */
export function createSendBudget(
  ratePerSecond: () => number,
  burstMs = 100,
): { request(cost: number, go: () => void): void } {
  let tokens = 0;
  let at = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const waiting: Array<{ cost: number; go: () => void }> = [];

  function refill(rate: number): void {
    const now = performance.now();
    tokens = Math.min((rate * burstMs) / 1000, tokens + ((now - at) * rate) / 1000);
    at = now;
  }
  function release(): void {
    timer = undefined;
    const rate = ratePerSecond();
    refill(rate);
    while (waiting.length && tokens > 0) {
      const next = waiting.shift()!;
      tokens -= next.cost;
      next.go();
    }
    if (waiting.length) arm(rate);
  }
  function arm(rate: number): void {
    if (timer) return;
    timer = setTimeout(release, Math.max(1, Math.ceil((-tokens * 1000) / rate)));
    timer.unref();
  }
  return {
    request(cost, go) {
      const rate = ratePerSecond();
      if (!(rate > 0) || cost <= 0) return go();
      refill(rate);
      if (!waiting.length && tokens > 0) {
        tokens -= cost;
        return go();
      }
      waiting.push({ cost, go });
      arm(rate);
    },
  };
}

/**
 * The share of the send budget used, from the web processes' event-loop lag, re-judged at most
 * once per `everyMs`: while any of them lags more than `limitMs` (it cannot write what it is
 * given in time, or the machine's cores are busy with other work) the share falls by 30 %, down
 * to `floor`; otherwise it climbs back by a tenth. A configured budget is a ceiling for a machine
 * that has the CPU; this keeps the refreshes from outrunning one that has not (messages queued
 * in a web process wait, and grow the latency of every one behind them).
 */
export function budgetShare(
  lagMs: () => number,
  { limitMs = 75, floor = 0.25, everyMs = 1000 } = {},
): () => number {
  let share = 1;
  let judgedAt = performance.now();
  return () => {
    const now = performance.now();
    if (now - judgedAt >= everyMs) {
      judgedAt = now;
      share = lagMs() > limitMs ? Math.max(floor, share * 0.7) : Math.min(1, share + 0.1);
    }
    return share;
  };
}

/** What a fold asks of a send budget for a key: its cost (messages one run sends) and the budget. */
export interface FoldPace {
  cost(key: string): number;
  budget: ReturnType<typeof createSendBudget>;
}

/**
 * Folded refreshes per key (a campaign): `trigger(key)` asks for `run(key)` to happen after now.
 * A key that is quiet (no run started in the last `intervalMs`) runs at once, so a single
 * booking reaches browsers with no added wait; under load runs start at most once per
 * `intervalMs`, and every trigger that arrives while a run is scheduled or reading rides on the
 * next one. With a `pace`, a run that is due also waits its turn in the send budget (a room of
 * thousands under a hot sale is refreshed as often as the budget allows, not every interval);
 * triggers meanwhile ride on it too. A run reads absolute numbers when it starts, after the
 * commit of every event that triggered it (an event is published only after its commit), so what
 * it sends is never older than the newest event it covers; a trigger that arrives while a run
 * reads schedules another. Runs of one key never overlap, so their broadcasts leave in the order
 * they read.
 */
export function createFold(
  intervalMs: number,
  run: (key: string) => Promise<void>,
  onError: (key: string, err: Error) => void,
  pace?: FoldPace,
): { trigger(key: string): void } {
  const keys = new Map<
    string,
    { last: number; running: boolean; again: boolean; queued: boolean; timer?: NodeJS.Timeout }
  >();

  function start(key: string, k: NonNullable<ReturnType<typeof keys.get>>): void {
    k.timer = undefined;
    k.queued = false;
    k.running = true;
    k.again = false;
    k.last = performance.now();
    run(key)
      .catch((err: Error) => onError(key, err))
      .finally(() => {
        k.running = false;
        if (k.again) trigger(key);
      });
  }

  function due(key: string, k: NonNullable<ReturnType<typeof keys.get>>): void {
    k.timer = undefined;
    if (!pace) return start(key, k);
    k.queued = true;
    pace.budget.request(pace.cost(key), () => start(key, k));
  }

  function trigger(key: string): void {
    let k = keys.get(key);
    if (!k) {
      // Bounded: keys quiet for longer than the interval carry nothing worth keeping.
      if (keys.size >= 10_000) {
        const now = performance.now();
        for (const [other, v] of keys)
          if (!v.running && !v.timer && !v.queued && now - v.last > intervalMs) keys.delete(other);
      }
      k = { last: -Infinity, running: false, again: false, queued: false };
      keys.set(key, k);
    }
    if (k.running) {
      k.again = true;
      return;
    }
    if (k.timer || k.queued) return;
    const wait = k.last + intervalMs - performance.now();
    if (wait <= 0) return due(key, k);
    const entry = k;
    k.timer = setTimeout(() => due(key, entry), wait);
    // A pending refresh never keeps a stopping worker alive.
    k.timer.unref();
  }

  return { trigger };
}

/**
 * Worker side: every event that moves a campaign's counters (bookings reserved, confirmed,
 * expired, cancelled, refunded; ticket types changed) → the campaign's current counters, emitted
 * to its room through the Redis emitter so sockets on every web process receive them, folded
 * per campaign over LIVE_COUNTERS_INTERVAL_MS (createFold: at once for a quiet campaign, at most
 * once per interval under a hot sale, for every browser watching). Only ticket types whose
 * numbers changed since this worker's last broadcast are sent: the numbers are absolute, a
 * browser that joins gets the whole snapshot, and a refresh lost with a crashed worker is healed
 * by the next event or a client's join snapshot.
 */
export function liveCountersConsumer(platform: Platform): ConsumerSpec<{ campaignId?: string }> {
  const emitter = createEmitter(platform.redis, platform.config.REDIS_PREFIX);
  const sent = new Map<string, string>();

  async function broadcast(db: Db, campaignId: string): Promise<void> {
    const room = emitter.to(roomOf(campaignId));
    for (const s of await getCounters(db, campaignId)) {
      const text = `${s.capacity}|${s.sold}|${s.reserved}|${s.available}`;
      if (sent.get(s.ticketTypeId) === text) continue;
      if (sent.size >= 100_000) sent.clear();
      sent.set(s.ticketTypeId, text);
      room.emit(COUNTER_EVENT, s);
    }
    const seats = await getTakenSeats(db, campaignId);
    if (seats) room.emit(SEATS_EVENT, { campaignId, ...seats });
  }

  // Each refresh costs one message per browser watching the campaign (counted by the web
  // processes, shared/realtime.ts reportAudience); the budget is per web process.
  const audience = createAudienceReader(platform.redis, platform.config.REDIS_PREFIX);
  const perProcess = platform.config.LIVE_SEND_BUDGET;
  const share = budgetShare(() => audience.lagMs());
  const pace: FoldPace | undefined = perProcess
    ? {
        cost: (campaignId) => audience.of(roomOf(campaignId)),
        budget: createSendBudget(() => perProcess * audience.processes() * share()),
      }
    : undefined;
  return foldedConsumer(
    platform,
    RealtimeQueues.liveCounters,
    'live counters',
    broadcast,
    async (event) => event.payload.campaignId,
    pace,
  );
}

/**
 * Low stock (src/modules/campaigns/campaigns.low-stock.ts): after any event that moves a campaign's
 * stock, its types' crossings of their threshold are recorded (once per crossing, by a guarded
 * UPDATE; campaign.stock-low goes to the outbox for the seller's notification) and each crossing
 * is said on the campaign's live channel as `stock:low`. Folded per campaign like the counters.
 * A crossing whose push is lost (the worker died after the commit) still shows: pages derive
 * "Few left" from every counter and the threshold they were rendered with.
 */
export function lowStockConsumer(platform: Platform): ConsumerSpec<{ campaignId?: string }> {
  const emitter = createEmitter(platform.redis, platform.config.REDIS_PREFIX);
  return foldedConsumer(
    platform,
    RealtimeQueues.lowStock,
    'low stock',
    async (db, campaignId) => {
      for (const crossing of await recordLowStockCrossings(db, platform.clock, campaignId))
        emitter.to(roomOf(campaignId)).emit(STOCK_LOW_EVENT, crossing);
    },
    async (event) => event.payload.campaignId,
  );
}

/**
 * The consumer both live feeds use: `campaignOf` picks the campaign an event moves (and may push
 * what is not folded itself), `broadcast` sends its absolute numbers, folded per campaign (with
 * LIVE_COUNTERS_INTERVAL_MS 0, at once and awaited, as tests use it). No inbox row: the numbers
 * are re-read each time, so a redelivered event only refreshes again.
 */
function foldedConsumer<P extends object>(
  platform: Platform,
  queue: QueueTopology,
  what: string,
  broadcast: (db: Db, campaignId: string) => Promise<void>,
  campaignOf: (event: DomainEvent<P>, db: Db) => Promise<string | null | undefined>,
  pace?: FoldPace,
): ConsumerSpec<P> {
  const intervalMs = platform.config.LIVE_COUNTERS_INTERVAL_MS;
  const fold = createFold(
    intervalMs,
    (campaignId) => broadcast(platform.prisma, campaignId),
    (campaignId, err) => platform.logger.warn(`${what} refresh failed`, { campaignId, err: err.message }),
    pace,
  );
  return {
    ...queue,
    concurrency: 8,
    inbox: false,
    async handle(event, { db }) {
      const campaignId = await campaignOf(event, db);
      if (!campaignId || !isUuid(campaignId)) return;
      if (intervalMs === 0) await broadcast(db, campaignId);
      else fold.trigger(campaignId);
    },
  };
}

/**
 * Gate rooms (`gate:<campaignId>`, see src/modules/validation/validation.live.ts): ticket.scanned
 * → the campaign's gate counts (folded per campaign, as the sales counters above) and, for a
 * conflict, `gate:conflict`; ticket.revoked → one `gate:revocation` per ticket, to every
 * connected device of the campaign, seconds after the refund. A revocation or conflict pushed
 * twice is harmless (devices key revocations by ticket id and keep their cursor).
 */
export function gateLiveConsumer(
  platform: Platform,
): ConsumerSpec<Partial<TicketScannedPayload> & Partial<TicketRevokedPayload>> {
  const emitter = createEmitter(platform.redis, platform.config.REDIS_PREFIX);

  async function broadcast(db: Db, campaignId: string): Promise<void> {
    emitter
      .to(gateRoomOf(campaignId))
      .emit(GATE_COUNTS_EVENT, await getGateCounts(db, campaignId, platform.clock));
  }

  return foldedConsumer(platform, RealtimeQueues.gateLive, 'gate counts', broadcast, async (event, db) => {
    const p = event.payload;
    const campaignId = p.campaignId;
    if (!campaignId || !isUuid(campaignId)) return null;
    const room = emitter.to(gateRoomOf(campaignId));
    if (event.name === TicketEvents.revoked) {
      for (const push of revocationPushes(p)) room.emit(GATE_REVOCATION_EVENT, push);
      return null;
    }
    if (p.conflict) room.emit(GATE_CONFLICT_EVENT, await describeConflict(db, p));
    return p.counted || p.conflict ? campaignId : null;
  });
}
