import { formatZoned, utcToZoned, zonedToUtc } from '../zoned-time';

describe('zoned time', () => {
  it('when 18:00 is picked in Africa/Lagos, then it is 17:00 UTC and shows as 18:00 again', () => {
    const utc = zonedToUtc('2026-12-24T18:00', 'Africa/Lagos');
    expect(utc.toISOString()).toBe('2026-12-24T17:00:00.000Z');
    expect(utcToZoned(utc, 'Africa/Lagos')).toBe('2026-12-24T18:00');
    expect(formatZoned(utc, 'Africa/Lagos')).toBe('24 Dec 2026, 18:00 (Africa/Lagos, GMT+1)');
  });

  it('when a time is picked in Nairobi or Accra, then the offset of that zone applies', () => {
    expect(zonedToUtc('2026-03-01T09:30', 'Africa/Nairobi').toISOString()).toBe('2026-03-01T06:30:00.000Z');
    expect(zonedToUtc('2026-03-01T09:30', 'Africa/Accra').toISOString()).toBe('2026-03-01T09:30:00.000Z');
  });

  it('when a DST zone is on summer or winter time, then each date gets its own offset', () => {
    expect(zonedToUtc('2026-07-01T18:00', 'Europe/London').toISOString()).toBe('2026-07-01T17:00:00.000Z');
    expect(zonedToUtc('2026-12-01T18:00', 'Europe/London').toISOString()).toBe('2026-12-01T18:00:00.000Z');
    expect(zonedToUtc('2026-07-01T18:00', 'America/New_York').toISOString()).toBe('2026-07-01T22:00:00.000Z');
    expect(zonedToUtc('2026-12-01T18:00', 'America/New_York').toISOString()).toBe('2026-12-01T23:00:00.000Z');
  });

  it('when the wall time falls in the spring-forward gap, then it moves forward by the gap', () => {
    // London skips 01:00-02:00 on 29 March 2026.
    const t = zonedToUtc('2026-03-29T01:30', 'Europe/London');
    expect(t.toISOString()).toBe('2026-03-29T01:30:00.000Z');
    expect(utcToZoned(t, 'Europe/London')).toBe('2026-03-29T02:30');
  });

  it('when the wall time is repeated at fall-back, then the earlier instant is chosen', () => {
    // London repeats 01:00-02:00 on 25 October 2026 (BST then GMT).
    expect(zonedToUtc('2026-10-25T01:30', 'Europe/London').toISOString()).toBe('2026-10-25T00:30:00.000Z');
  });

  it('when every hour of a DST year is converted there and back, then it is unchanged', () => {
    for (let ms = Date.UTC(2026, 0, 1); ms < Date.UTC(2027, 0, 1); ms += 3_600_000) {
      const wall = utcToZoned(new Date(ms), 'America/New_York');
      const back = zonedToUtc(wall, 'America/New_York').getTime();
      // Only the second pass through a repeated hour maps to the earlier instant.
      expect([ms, ms - 3_600_000]).toContain(back);
    }
  });

  it('when the text is not a wall time, then it is refused', () => {
    expect(() => zonedToUtc('2026-02-30T10:00', 'Africa/Lagos')).toThrow(RangeError);
    expect(() => zonedToUtc('18:00', 'Africa/Lagos')).toThrow(RangeError);
  });
});
