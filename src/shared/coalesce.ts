/*
 * Coalescing: calls made in the same turn of the event loop go to the backing service together,
 * as one round trip, at the end of that turn (setImmediate runs after the poll phase, i.e. after
 * every request whose bytes arrived in this turn has reached its call). Under load many requests
 * of one web process are at the same step at once (their Redis answers arrive in one read), so a
 * hot per-request lookup costs one statement per turn instead of one per request; under no load
 * a call waits for nothing but the end of its own turn.
 *
 * Each caller still gets its own answer, read in that round trip: nothing is kept between turns,
 * so coalescing never serves a value older than an uncoalesced call would.
 */

/** Batches the keys asked for in one turn into one `loadMany` call; each caller gets its key's value. */
export function coalescedLoader<K, V>(
  loadMany: (keys: K[]) => Promise<Map<K, V>>,
  missing: V,
): (key: K) => Promise<V> {
  let pending: Map<K, Array<{ resolve(v: V): void; reject(e: unknown): void }>> | null = null;
  const flush = () => {
    const batch = pending!;
    pending = null;
    loadMany([...batch.keys()]).then(
      (values) => {
        for (const [key, waiters] of batch) for (const w of waiters) w.resolve(values.get(key) ?? missing);
      },
      (err: unknown) => {
        for (const waiters of batch.values()) for (const w of waiters) w.reject(err);
      },
    );
  };
  return (key) =>
    new Promise<V>((resolve, reject) => {
      if (!pending) {
        pending = new Map();
        setImmediate(flush);
      }
      const waiters = pending.get(key);
      if (waiters) waiters.push({ resolve, reject });
      else pending.set(key, [{ resolve, reject }]);
    });
}

/** Batches the calls of one turn into one `runMany` call; each caller gets the answer at its index. */
export function coalescedCalls<A, R>(runMany: (args: A[]) => Promise<R[]>): (arg: A) => Promise<R> {
  let pending: Array<{ arg: A; resolve(r: R): void; reject(e: unknown): void }> | null = null;
  const flush = () => {
    const batch = pending!;
    pending = null;
    runMany(batch.map((c) => c.arg)).then(
      (results) => batch.forEach((c, i) => c.resolve(results[i]!)),
      (err: unknown) => batch.forEach((c) => c.reject(err)),
    );
  };
  return (arg) =>
    new Promise<R>((resolve, reject) => {
      if (!pending) {
        pending = [];
        setImmediate(flush);
      }
      pending.push({ arg, resolve, reject });
    });
}
