import { budgetShare, createFold, createSendBudget } from '../../workers/realtime/handler';

/**
 * The realtime worker's pacing (workers/realtime/handler.ts): the send budget and the fold that
 * asks it. Fake timers drive the clock (setTimeout and performance.now) so each wait is exact.
 */
describe('live counters send budget and fold', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('when the bucket has room, then a request goes at once; past it, requests wait their turn until the debt is paid back at the rate', () => {
    // 10,000 messages/s, a bucket of 100 ms = 1,000 messages.
    const budget = createSendBudget(() => 10_000, 100);
    jest.advanceTimersByTime(1000);
    const went: string[] = [];
    budget.request(2500, () => went.push('a'));
    expect(went).toEqual(['a']); // 1000 - 2500: 1500 in debt
    budget.request(2500, () => went.push('b'));
    budget.request(10, () => went.push('c'));
    expect(went).toEqual(['a']);
    jest.advanceTimersByTime(149);
    expect(went).toEqual(['a']);
    jest.advanceTimersByTime(2); // the debt of 1,500 is paid back after 150 ms
    expect(went).toEqual(['a', 'b']);
    // b left 2,500 of debt: c, first come first served, waits 250 ms more although it is small.
    jest.advanceTimersByTime(249);
    expect(went).toEqual(['a', 'b']);
    jest.advanceTimersByTime(2);
    expect(went).toEqual(['a', 'b', 'c']);
  });

  it('when a request costs nothing (no audience known) or the budget is off, then it goes at once', () => {
    const went: string[] = [];
    const budget = createSendBudget(() => 1000, 100);
    budget.request(0, () => went.push('free'));
    createSendBudget(() => 0).request(1_000_000, () => went.push('off'));
    expect(went).toEqual(['free', 'off']);
  });

  it('when hot rooms share a budget, then each is refreshed once per (their audiences summed / rate), triggers meanwhile riding on the next refresh', async () => {
    const runs: Array<[string, number]> = [];
    const t0 = performance.now();
    const budget = createSendBudget(() => 40_000, 100);
    jest.advanceTimersByTime(1000);
    const fold = createFold(
      100,
      async (key) => void runs.push([key, Math.round(performance.now() - t0 - 1000)]),
      () => undefined,
      { cost: () => 2500, budget },
    );
    // Four rooms of 2,500 sockets each, every one triggered every 10 ms for 2 s.
    for (let ms = 0; ms < 2000; ms += 10) {
      for (const key of ['r1', 'r2', 'r3', 'r4']) fold.trigger(key);
      await jest.advanceTimersByTimeAsync(10);
    }
    const of = (key: string) => runs.filter(([k]) => k === key).map(([, t]) => t);
    for (const key of ['r1', 'r2', 'r3', 'r4']) {
      const times = of(key);
      const gaps = times.slice(2).map((t, i) => t - times[i + 1]!);
      // 10,000 messages a round at 40,000/s: 250 ms apart once the bucket's first 100 ms are spent.
      for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(240);
      for (const gap of gaps) expect(gap).toBeLessThanOrEqual(260);
      expect(times.length).toBeGreaterThanOrEqual(7);
    }
    // Messages sent over the 2 s: about the budget's 80,000 (plus the bucket's first 4,000).
    expect(runs.length * 2500).toBeLessThanOrEqual(80_000 + 4000 + 10_000);
  });

  it('when a room is quiet, then its refresh goes at once; a second one within the interval waits for the interval', async () => {
    const runs: number[] = [];
    const t0 = performance.now();
    const fold = createFold(
      100,
      async () => void runs.push(Math.round(performance.now() - t0)),
      () => undefined,
      { cost: () => 10, budget: createSendBudget(() => 40_000, 100) },
    );
    await jest.advanceTimersByTimeAsync(1000);
    fold.trigger('quiet');
    expect(runs).toEqual([1000]);
    await jest.advanceTimersByTimeAsync(30);
    fold.trigger('quiet');
    fold.trigger('quiet');
    await jest.advanceTimersByTimeAsync(200);
    expect(runs).toEqual([1000, 1100]);
  });

  it('when a web process lags, then the share of the budget falls by 30 % a second down to its floor, and climbs back by a tenth once the lag is gone', () => {
    let lag = 200;
    const share = budgetShare(() => lag, { limitMs: 75, floor: 0.25, everyMs: 1000 });
    const seen: number[] = [];
    for (let s = 0; s < 6; s++) {
      jest.advanceTimersByTime(1000);
      seen.push(Number(share().toFixed(3)));
    }
    expect(seen).toEqual([0.7, 0.49, 0.343, 0.25, 0.25, 0.25]);
    lag = 20;
    jest.advanceTimersByTime(1000);
    expect(share()).toBeCloseTo(0.35);
    jest.advanceTimersByTime(500);
    expect(share()).toBeCloseTo(0.35); // judged at most once a second
  });
});
