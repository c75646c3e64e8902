/*
 * Wall-clock times in an IANA time zone ↔ UTC instants, with Intl only (no tz database of our
 * own). A seller types "18:00" meaning 18:00 where the campaign happens; the API stores UTC.
 *
 * Invariant: zonedToUtc(utcToZoned(t, z), z) === t for every minute t, in every zone, also
 * across DST changes, except for the repeated hour of a fall-back change (two instants share one
 * wall time; the earlier is chosen, as Temporal's 'compatible' does). A wall time inside a
 * spring-forward gap does not exist; it is moved forward by the gap (02:30 → 03:30), again as
 * Temporal does. If this were done with the offset of "now" instead, every time on the other
 * side of a DST change would be an hour off. The browser mirror is src/web/static/js/zoned-time.js.
 */

const WALL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/;
const formats = new Map<string, Intl.DateTimeFormat>();

function partsFormat(timeZone: string): Intl.DateTimeFormat {
  let f = formats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formats.set(timeZone, f);
  }
  return f;
}

/** The zone's wall clock at instant `ms`, as if it were UTC (ms since epoch, whole seconds). */
function wallMs(ms: number, timeZone: string): number {
  const p: Record<string, number> = {};
  for (const part of partsFormat(timeZone).formatToParts(new Date(ms))) {
    if (part.type !== 'literal') p[part.type] = Number(part.value);
  }
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour! % 24, p.minute!, p.second!);
}

/** The zone's offset from UTC at instant `ms`, in ms (Lagos: +3 600 000). */
export function zoneOffsetMs(ms: number, timeZone: string): number {
  const whole = Math.floor(ms / 1000) * 1000;
  return wallMs(whole, timeZone) - whole;
}

/** True for an IANA zone name Intl knows ("Africa/Lagos", "UTC"). */
export function isTimeZone(timeZone: string): boolean {
  try {
    partsFormat(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** "2026-12-24T18:00" in `timeZone` → the UTC instant; throws RangeError for malformed text. */
export function zonedToUtc(wall: string, timeZone: string): Date {
  const m = WALL.exec(wall);
  if (!m) throw new RangeError(`Not a wall time: ${wall}`);
  const [, y, mo, d, h, mi] = m.map(Number) as number[];
  const guess = Date.UTC(y!, mo! - 1, d!, h!, mi!);
  if (new Date(guess).getUTCDate() !== d || h! > 23 || mi! > 59)
    throw new RangeError(`Not a wall time: ${wall}`);
  const DAY = 86_400_000;
  const before = zoneOffsetMs(guess - DAY, timeZone);
  const after = zoneOffsetMs(guess + DAY, timeZone);
  const candidates = [guess - before, guess - after].filter((t) => wallMs(t, timeZone) === guess);
  // Overlap (fall back): both match, the earlier wins. Gap (spring forward): none matches, and the
  // offset from before the change lands as far past the gap as the time was into it.
  return new Date(candidates.length ? Math.min(...candidates) : guess - before);
}

/** A UTC instant as the wall time of `timeZone`, the value of an <input type="datetime-local">. */
export function utcToZoned(instant: Date | string, timeZone: string): string {
  const ms = new Date(instant).getTime();
  return new Date(wallMs(ms, timeZone)).toISOString().slice(0, 16);
}

/** A time for people, in the zone and naming it: "24 Dec 2026, 18:00 (Africa/Lagos, GMT+1)". */
export function formatZoned(instant: Date | string | null, timeZone: string): string {
  if (!instant) return '';
  const d = new Date(instant);
  const shown = new Intl.DateTimeFormat('en-GB', {
    dateStyle: 'medium',
    timeStyle: 'short',
    timeZone,
  }).format(d);
  const offset =
    new Intl.DateTimeFormat('en-GB', { timeZone, timeZoneName: 'shortOffset' })
      .formatToParts(d)
      .find((p) => p.type === 'timeZoneName')?.value ?? '';
  return `${shown} (${timeZone}${offset && offset !== timeZone ? `, ${offset}` : ''})`;
}
