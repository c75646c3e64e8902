import fs from 'node:fs';
import path from 'node:path';
import * as fontkit from 'fontkit';
import PDFDocument from 'pdfkit';
import QRCode from 'qrcode';
import { QR_ERROR_CORRECTION, seatOfPayload, seatText, toQrText } from './tickets.qr';

/**
 * Ticket PDFs: one A4 page per ticket. Text is set in DejaVu Sans (assets/fonts, Bitstream
 * Vera licence, copied from Debian's fonts-dejavu-core 2.37), embedded and subset by pdfkit,
 * so the file shows the same on every reader and carries only the glyphs it uses. The QR is
 * drawn as vector rectangles, so it stays sharp at any zoom and costs a few kilobytes.
 */

export type CampaignKind = 'EVENT' | 'BAR' | 'SPORTS' | 'HOTEL' | (string & {});

/** What a ticket page shows that the tickets module does not own: passed in by the caller. */
export interface TicketPdfContext {
  campaign: {
    title: string;
    kind: CampaignKind;
    startsAt: Date;
    endsAt?: Date | null;
    venue: string;
    /** IANA zone the dates are shown in (the venue's). */
    timezone?: string;
    sellerName: string;
  };
  ticketTypes: Record<string, { name: string; attributes?: Record<string, unknown> | null }>;
  /** The booking's reference as the buyer knows it: the bookings module's stored XXXX-XXXX. */
  bookingReference: string;
}

export interface TicketForPdf {
  id: string;
  bookingId: string;
  ticketTypeId: string;
  serial: number;
  holderName: string;
  admits: number;
  maxScans: number;
  validFrom: Date;
  validUntil: Date;
  qrPayload: Uint8Array;
  createdAt: Date;
}

const FONT_REGULAR = 'DejaVuSans.ttf';
const FONT_BOLD = 'DejaVuSans-Bold.ttf';
// Parsed once per process and shared by every document: parsing DejaVu's tables costs ~90 ms,
// more than rendering a page. pdfkit makes its own subset per document from the shared font,
// and a render runs synchronously between awaits, so sharing is safe.
type ParsedFont = fontkit.Font;
let fonts: { regular: ParsedFont; bold: ParsedFont } | undefined;

/** assets/fonts from src/… (tsx, jest) or dist/src/… (built): the nearest ancestor that has it. */
function fontsDir(): string {
  let dir = __dirname;
  for (;;) {
    const candidate = path.join(dir, 'assets', 'fonts');
    if (fs.existsSync(path.join(candidate, FONT_REGULAR))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('assets/fonts/DejaVuSans.ttf not found above ' + __dirname);
    dir = parent;
  }
}

function parseFont(file: string): ParsedFont {
  const font = fontkit.create(fs.readFileSync(file));
  if (!('layout' in font)) throw new Error(`${file} is a font collection, not a single font`);
  memoiseLayout(font);
  return font;
}

/** Distinct words whose shaping a font keeps (names, serials and ids make new ones on every page). */
const LAYOUT_CACHE_MAX = 20_000;

/*
 * Shaping a word (fontkit's layout: the GSUB and GPOS lookups) was a third of a page's time, and
 * almost every word on a ticket (labels, the campaign's lines, the footer) is the same on every
 * page. pdfkit keeps a word's layout only for one document; this keeps it for the process, per
 * font. The same text with the default features always shapes the same, so a cached run is
 * exact. pdfkit scales a run's positions in place, so each call gets a copy of its own (the
 * Glyph objects are fontkit's shared, read-only ones). A call with features is not cached.
 */
function memoiseLayout(font: ParsedFont): void {
  const shape = font.layout.bind(font);
  const runs = new Map<string, fontkit.GlyphRun>();
  font.layout = (text: string, ...rest: unknown[]) => {
    if (rest.some((r) => r !== undefined))
      return (shape as (...a: unknown[]) => fontkit.GlyphRun)(text, ...rest);
    let run = runs.get(text);
    if (!run) {
      run = shape(text);
      if (runs.size >= LAYOUT_CACHE_MAX) runs.clear();
      runs.set(text, run);
    }
    const copy = Object.assign(Object.create(Object.getPrototypeOf(run) as object) as fontkit.GlyphRun, run);
    copy.glyphs = run.glyphs.slice();
    copy.positions = run.positions.map((p) => ({ ...p }));
    return copy;
  };
}

function loadFonts(): { regular: ParsedFont; bold: ParsedFont } {
  if (!fonts) {
    const dir = fontsDir();
    fonts = { regular: parseFont(path.join(dir, FONT_REGULAR)), bold: parseFont(path.join(dir, FONT_BOLD)) };
  }
  return fonts;
}

export function formatSerial(serial: number): string {
  return String(serial).padStart(6, '0');
}

const PAGE = { width: 595.28, height: 841.89, margin: 40 };
const INK = '#1d1d1f';
const MUTED = '#5f6368';
const ACCENT = '#0b5cad';
const QR_SIZE = 230;

// Building an Intl.DateTimeFormat costs more than drawing a page's text: keep one per zone.
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string, withTime: boolean): Intl.DateTimeFormat {
  const key = `${timeZone}|${withTime}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      dateStyle: 'full',
      ...(withTime ? { timeStyle: 'short' as const } : {}),
    });
    formatters.set(key, f);
  }
  return f;
}

function formatDateTime(d: Date, timeZone: string): string {
  return formatter(timeZone, true).format(d);
}

function formatDate(d: Date, timeZone: string): string {
  return formatter(timeZone, false).format(d);
}

function attr(attributes: Record<string, unknown> | null | undefined, ...names: string[]): unknown {
  for (const n of names) {
    const v = attributes?.[n];
    if (v !== undefined && v !== null && v !== '') return v;
  }
  return undefined;
}

/** Label/value lines that depend on the kind of campaign. */
function kindDetails(
  ctx: TicketPdfContext,
  attributes: Record<string, unknown> | null | undefined,
): Array<[string, string]> {
  const { campaign } = ctx;
  const tz = campaign.timezone ?? 'UTC';
  const lines: Array<[string, string]> = [];
  if (campaign.kind === 'HOTEL') {
    const nights = Number(attr(attributes, 'nights'));
    const roomType = attr(attributes, 'roomType', 'room_type', 'room');
    lines.push(['Hotel', campaign.venue]);
    lines.push(['Check-in', formatDate(campaign.startsAt, tz)]);
    if (Number.isInteger(nights) && nights > 0) {
      lines.push(['Nights', String(nights)]);
      lines.push(['Check-out', formatDate(new Date(campaign.startsAt.getTime() + nights * 86_400_000), tz)]);
    }
    if (roomType !== undefined) lines.push(['Room type', String(roomType)]);
  } else {
    lines.push(['Date', formatDateTime(campaign.startsAt, tz)]);
    if (campaign.endsAt) lines.push(['Until', formatDateTime(campaign.endsAt, tz)]);
    lines.push(['Venue', campaign.venue]);
    const seat = attr(attributes, 'seatArea', 'seat_area', 'area');
    if (seat !== undefined) lines.push(['Area', String(seat)]);
  }
  const perks = attr(attributes, 'benefits', 'perks');
  if (Array.isArray(perks) && perks.length) lines.push(['Includes', perks.map(String).join(', ')]);
  return lines;
}

function drawQr(doc: PDFKit.PDFDocument, text: string, x: number, y: number, size: number): number {
  const qr = QRCode.create([{ data: text, mode: 'alphanumeric' }], {
    errorCorrectionLevel: QR_ERROR_CORRECTION,
  });
  const n = qr.modules.size;
  const quiet = 4;
  const unit = size / (n + 2 * quiet);
  doc.save().rect(x, y, size, size).fill('#ffffff');
  // One rectangle per horizontal run of dark modules: fewer path operators and no hairline
  // seams between neighbouring modules when a viewer anti-aliases.
  for (let r = 0; r < n; r++) {
    let c = 0;
    while (c < n) {
      if (!qr.modules.get(r, c)) {
        c++;
        continue;
      }
      const start = c;
      while (c < n && qr.modules.get(r, c)) c++;
      doc.rect(x + (quiet + start) * unit, y + (quiet + r) * unit, (c - start) * unit, unit);
    }
  }
  doc.fill('#000000').restore();
  return qr.version;
}

function drawTicketPage(
  doc: PDFKit.PDFDocument,
  ticket: TicketForPdf,
  index: number,
  count: number,
  ctx: TicketPdfContext,
): void {
  const { campaign } = ctx;
  const type = ctx.ticketTypes[ticket.ticketTypeId];
  const left = PAGE.margin;
  const width = PAGE.width - 2 * PAGE.margin;

  doc.rect(0, 0, PAGE.width, 120).fill(ACCENT);
  doc
    .fillColor('#ffffff')
    .font('Bold')
    .fontSize(24)
    .text(campaign.title, left, 34, { width, height: 62, ellipsis: true });
  doc.font('Regular').fontSize(11).text(`Sold by ${campaign.sellerName}`, left, 96, { width });

  const colWidth = width - QR_SIZE - 24;
  let y = 150;
  doc.fillColor(MUTED).font('Regular').fontSize(10).text('TICKET TYPE', left, y, { width: colWidth });
  y += 14;
  doc
    .fillColor(INK)
    .font('Bold')
    .fontSize(18)
    .text(type?.name ?? 'Ticket', left, y, { width: colWidth });
  y = doc.y + 14;

  const seat = seatOfPayload(ticket.qrPayload);
  if (seat) {
    doc.fillColor(MUTED).font('Regular').fontSize(10).text('SEAT', left, y, { width: colWidth });
    doc
      .fillColor(INK)
      .font('Bold')
      .fontSize(16)
      .text(seatText(seat), left, doc.y + 2, { width: colWidth });
    y = doc.y + 12;
  }
  const rows: Array<[string, string]> = [
    ...kindDetails(ctx, type?.attributes),
    ['Holder', ticket.holderName],
    ['Admits', ticket.admits === 1 ? '1 person' : `${ticket.admits} people`],
    ['Entries allowed', String(ticket.maxScans)],
    ['Serial', formatSerial(ticket.serial)],
    ['Booking', ctx.bookingReference],
  ];
  for (const [label, value] of rows) {
    doc.fillColor(MUTED).font('Regular').fontSize(9).text(label.toUpperCase(), left, y, { width: colWidth });
    doc
      .fillColor(INK)
      .font('Regular')
      .fontSize(12)
      .text(value, left, doc.y + 1, { width: colWidth });
    y = doc.y + 9;
  }

  const qrX = PAGE.width - PAGE.margin - QR_SIZE;
  const qrY = 150;
  doc
    .save()
    .lineWidth(1)
    .strokeColor('#d0d4d9')
    .rect(qrX - 6, qrY - 6, QR_SIZE + 12, QR_SIZE + 42)
    .stroke()
    .restore();
  drawQr(doc, toQrText(ticket.qrPayload), qrX, qrY, QR_SIZE);
  doc
    .fillColor(MUTED)
    .font('Regular')
    .fontSize(9)
    .text('Show this code at the entrance', qrX, qrY + QR_SIZE + 8, { width: QR_SIZE, align: 'center' });
  doc.text(`No. ${formatSerial(ticket.serial)}`, qrX, doc.y + 1, { width: QR_SIZE, align: 'center' });

  const footY = PAGE.height - PAGE.margin - 54;
  doc
    .moveTo(left, footY)
    .lineTo(PAGE.width - PAGE.margin, footY)
    .lineWidth(0.5)
    .strokeColor('#d0d4d9')
    .stroke();
  doc
    .fillColor(MUTED)
    .font('Regular')
    .fontSize(8.5)
    .text(
      `Ticket ${index + 1} of ${count} · ID ${ticket.id}\n` +
        'The code is signed by the organiser and every entry is counted at the gate: a copy of this ticket ' +
        'admits no one once its entries are used. Do not share it.',
      left,
      footY + 8,
      { width },
    );
}

/** Renders one page per ticket; the same tickets and context give the same pages. */
export async function renderTicketsPdf(tickets: TicketForPdf[], ctx: TicketPdfContext): Promise<Buffer> {
  if (!tickets.length) throw new Error('no tickets to render');
  const f = loadFonts();
  const first = tickets[0]!;
  const doc = new PDFDocument({
    size: 'A4',
    margin: PAGE.margin,
    autoFirstPage: false,
    compress: true,
    // No default font: pdfkit would otherwise open Helvetica (unembedded). Not DejaVu either: a
    // default of the same font makes pdfkit re-open 'Regular' on every doc.font('Regular') call
    // (a new subset object and a JSON comparison of the name tables, about a tenth of a page's
    // time), because a font whose name is already open is never cached under its registered name.
    font: null as unknown as string,
    info: {
      Title: `${ctx.campaign.title} – tickets ${ctx.bookingReference}`,
      Author: ctx.campaign.sellerName,
      Creator: 'Ticketing marketplace',
      CreationDate: first.createdAt,
    },
  });
  doc.registerFont('Regular', f.regular as unknown as string);
  doc.registerFont('Bold', f.bold as unknown as string);
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  tickets.forEach((t, i) => {
    doc.addPage({ size: 'A4', margin: PAGE.margin });
    drawTicketPage(doc, t, i, tickets.length, ctx);
  });
  doc.end();
  return done;
}

/** The QR version and module count a payload gives (for reports and the benchmark). */
export function qrDimensions(payload: Uint8Array): { version: number; modules: number } {
  const qr = QRCode.create([{ data: toQrText(payload), mode: 'alphanumeric' }], {
    errorCorrectionLevel: QR_ERROR_CORRECTION,
  });
  return { version: qr.version, modules: qr.modules.size };
}
