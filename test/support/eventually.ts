import { waitFor } from './platform';

/** waitFor, typed for checks that return a value once ready and false/undefined/null until then. */
export function eventually<T>(
  check: () => Promise<T | false | undefined | null> | T | false | undefined | null,
  timeoutMs?: number,
  what?: string,
): Promise<T> {
  return waitFor(check, timeoutMs, what) as Promise<T>;
}
