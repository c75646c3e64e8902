// Wall time in a campaign's IANA zone → UTC, the browser mirror of src/shared/zoned-time.ts
// (same algorithm, same rules: the earlier instant of a repeated hour, a time in a DST gap moved
// forward by the gap). Intl only; never the browser's own zone, never "now"'s offset.
(function () {
  const formats = new Map();
  function partsFormat(timeZone) {
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
  function wallMs(ms, timeZone) {
    const p = {};
    for (const part of partsFormat(timeZone).formatToParts(new Date(ms))) {
      if (part.type !== 'literal') p[part.type] = Number(part.value);
    }
    return Date.UTC(p.year, p.month - 1, p.day, p.hour % 24, p.minute, p.second);
  }
  function offsetMs(ms, timeZone) {
    const whole = Math.floor(ms / 1000) * 1000;
    return wallMs(whole, timeZone) - whole;
  }
  /** "2026-12-24T18:00" in timeZone → ISO 8601 UTC ("2026-12-24T17:00:00.000Z"), or null for empty text. */
  function zonedToUtcIso(wall, timeZone) {
    if (!wall) return null;
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(wall);
    if (!m) return null;
    const guess = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
    const day = 86400000;
    const before = offsetMs(guess - day, timeZone);
    const after = offsetMs(guess + day, timeZone);
    const hits = [guess - before, guess - after].filter((t) => wallMs(t, timeZone) === guess);
    return new Date(hits.length ? Math.min(...hits) : guess - before).toISOString();
  }
  window.zonedToUtcIso = zonedToUtcIso;
})();
