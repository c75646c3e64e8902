/**
 * The one UUID check: 8-4-4-4-12 hex digits, any version, either case (PostgreSQL's `uuid`
 * accepts both and answers lowercase). Request schemas, cursors, workers and services use it.
 */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_PATTERN.test(value);
}
