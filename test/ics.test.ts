import { calendarFile, escapeText } from '../src/web/ics';

/** "Add to calendar" files as RFC 5545 wants them. */
describe('calendar files', () => {
  const event = {
    uid: 'booking-1@tikiti.example',
    stamp: new Date('2026-12-01T10:00:00.123Z'),
    start: new Date('2026-12-13T17:00:00Z'),
    end: new Date('2026-12-13T22:00:00Z'),
    summary: 'Jazz, blues; and more\\live',
    location: 'Muri Okunola Park, Lagos',
    description: `Line one\nLine two ${'é'.repeat(60)}`,
  };

  it('when an event is written, then every line ends in CRLF, times are UTC and the UID is the one given', () => {
    const ics = calendarFile(event);
    expect(ics.endsWith('\r\n')).toBe(true);
    expect(ics.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    const lines = ics.split('\r\n');
    expect(lines).toContain('DTSTART:20261213T170000Z');
    expect(lines).toContain('DTEND:20261213T220000Z');
    expect(lines).toContain('DTSTAMP:20261201T100000Z');
    expect(lines).toContain('UID:booking-1@tikiti.example');
    expect(calendarFile(event)).toBe(ics);
  });

  it('when text has commas, semicolons, backslashes or newlines, then they are escaped', () => {
    expect(escapeText('a,b;c\\d\ne')).toBe('a\\,b\\;c\\\\d\\ne');
    expect(calendarFile(event)).toContain('SUMMARY:Jazz\\, blues\\; and more\\\\live');
  });

  it('when a line is longer than 75 octets, then it is folded without splitting a character', () => {
    const lines = calendarFile(event).split('\r\n');
    for (const l of lines) expect(Buffer.byteLength(l)).toBeLessThanOrEqual(75);
    const unfolded = calendarFile(event).replace(/\r\n /g, '');
    expect(unfolded).toContain(`DESCRIPTION:Line one\\nLine two ${'é'.repeat(60)}`);
  });
});
