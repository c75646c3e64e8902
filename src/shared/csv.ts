/**
 * CSV for spreadsheets (RFC 4180): every cell quoted when it holds a quote, comma or line break,
 * quotes doubled, CRLF between rows. A cell a spreadsheet would run as a formula (it starts with
 * = + - @, or a tab or carriage return that some programs skip first) gets a leading ' so that a
 * buyer named "=HYPERLINK(...)" stays text. If this were left out, opening an export could run
 * whatever a buyer typed as their name.
 */
export function csvCell(value: string | number | null | undefined): string {
  let text = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n']/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Rows of cells as CSV text with a header row, CRLF line ends and a final CRLF. */
export function toCsv(header: string[], rows: (string | number | null | undefined)[][]): string {
  return [header, ...rows].map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}
