/**
 * Just enough of RFC 5322 / MIME (RFC 2045-2047) to check what we send: headers (unfolded),
 * nested multiparts, base64 and quoted-printable bodies, filenames. `mailparser` does not install
 * from this machine's registry, so the tests read messages with this.
 */
export interface MimePart {
  headers: Map<string, string>;
  contentType: string;
  params: Record<string, string>;
  body: Buffer;
  parts: MimePart[];
}

function splitHeaderBody(raw: Buffer): { head: string; body: Buffer } {
  const text = raw.toString('latin1');
  const idx = text.search(/\r?\n\r?\n/);
  if (idx < 0) return { head: text, body: Buffer.alloc(0) };
  const sep = /\r?\n\r?\n/.exec(text.slice(idx))![0].length;
  return { head: text.slice(0, idx), body: raw.subarray(idx + sep) };
}

function parseParams(value: string): { main: string; params: Record<string, string> } {
  const [main, ...rest] = value.split(';');
  const params: Record<string, string> = {};
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    params[p.slice(0, eq).trim().toLowerCase()] = p
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1');
  }
  return { main: (main ?? '').trim().toLowerCase(), params };
}

function decodeBody(body: Buffer, encoding: string | undefined): Buffer {
  switch ((encoding ?? '7bit').toLowerCase()) {
    case 'base64':
      return Buffer.from(body.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
    case 'quoted-printable': {
      const s = body.toString('latin1').replace(/=\r?\n/g, '');
      const bytes: number[] = [];
      for (let i = 0; i < s.length; i++) {
        if (s[i] === '=' && /^[0-9A-F]{2}$/i.test(s.slice(i + 1, i + 3))) {
          bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
          i += 2;
        } else bytes.push(s.charCodeAt(i));
      }
      return Buffer.from(bytes);
    }
    default:
      return body;
  }
}

/** Decodes RFC 2047 encoded-words (=?utf-8?B?...?= / =?utf-8?Q?...?=) in a header value. */
export function decodeHeader(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([BQ])\?([^?]*)\?=/gi, (_m, _cs: string, enc: string, text: string) =>
      enc.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64').toString('utf8')
        : Buffer.from(
            decodeBody(Buffer.from(text.replace(/_/g, ' '), 'latin1'), 'quoted-printable'),
          ).toString('utf8'),
    );
}

export function parseMime(raw: Buffer): MimePart {
  const { head, body } = splitHeaderBody(raw);
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const { main, params } = parseParams(headers.get('content-type') ?? 'text/plain');
  const disposition = parseParams(headers.get('content-disposition') ?? '');
  Object.assign(
    params,
    Object.fromEntries(
      Object.entries(disposition.params).map(([k, v]) => [
        k === 'filename' ? 'filename' : `disposition-${k}`,
        v,
      ]),
    ),
  );
  if (disposition.main) params.disposition = disposition.main;
  const part: MimePart = { headers, contentType: main, params, body: Buffer.alloc(0), parts: [] };
  if (main.startsWith('multipart/') && params.boundary) {
    const delimiter = `--${params.boundary}`;
    const text = body.toString('latin1');
    const pieces = text.split(delimiter).slice(1);
    for (const piece of pieces) {
      if (piece.startsWith('--')) break;
      const content = piece.replace(/^\r?\n/, '').replace(/\r?\n$/, '');
      part.parts.push(parseMime(Buffer.from(content, 'latin1')));
    }
  } else {
    part.body = decodeBody(body, headers.get('content-transfer-encoding'));
  }
  return part;
}

/** Every leaf part, depth first. */
export function leafParts(part: MimePart): MimePart[] {
  return part.parts.length ? part.parts.flatMap(leafParts) : [part];
}
