/**
 * One client process of `npm run bench:live` (scripts/bench-live.ts starts several): opens
 * `count` Socket.io clients (websocket transport, as browsers end up on), each joined to one
 * campaign room, and records when each `booking:counter` message arrives. Commands come over the
 * IPC channel; every answer is a compact summary, never the raw arrivals:
 *   connect  → opens and joins all clients, answers when every join is acknowledged.
 *   measure  → given the 201 times of the burst's bookings per campaign (in 201 order), answers
 *              a latency histogram over (client, booking) pairs, the first and last arrival of
 *              every broadcast (fan-out spread), message counts and who missed the final numbers.
 *   finals   → how many clients' last numbers are the given final ones.
 *   storm    → every client disconnects and reconnects at once (socket.io-client's reconnection
 *              on, as in a browser), re-joins and must get the final numbers in its join
 *              snapshot; answers the time it took, clients not back in time, and the retries.
 *   close    → disconnects everything and exits.
 */
import { io as connect, type Socket } from 'socket.io-client';

interface Counter {
  campaignId: string;
  ticketTypeId: string;
  reserved: number;
  sold: number;
}

interface Client {
  socket: Socket;
  campaignId: string;
  /** Arrival time (ms since the epoch) and `reserved` of every counter message, in order. */
  times: number[];
  values: number[];
  errors: number;
}

export type ClientCommand =
  | { cmd: 'connect'; urls: string[]; campaigns: string[]; count: number; offset: number }
  | {
      cmd: 'measure';
      bookings: Record<string, number[]>;
      finals: Record<string, number>;
      from: number;
      until: number;
    }
  | { cmd: 'storm'; finals: Record<string, number>; timeoutMs: number }
  | { cmd: 'finals'; finals: Record<string, number> }
  | { cmd: 'close' };

const clients: Client[] = [];
const send = (msg: unknown) => process.send!(msg);

function join(c: Client, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('join not acknowledged')), timeoutMs);
    c.socket.emit('campaign:join', c.campaignId, (r: { ok: boolean }) => {
      clearTimeout(timer);
      if (r?.ok) resolve();
      else reject(new Error('join refused'));
    });
  });
}

function open(url: string, campaignId: string): Promise<Client> {
  const socket = connect(url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: 60_000,
  });
  const c: Client = { socket, campaignId, times: [], values: [], errors: 0 };
  socket.on('booking:counter', (s: Counter) => {
    if (s.campaignId !== campaignId) return;
    c.times.push(Date.now());
    c.values.push(s.reserved);
  });
  socket.on('connect_error', () => c.errors++);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => join(c, 60_000).then(() => resolve(c), reject));
    socket.once('connect_error', reject);
  });
}

async function onConnect(m: Extract<ClientCommand, { cmd: 'connect' }>): Promise<void> {
  const started = Date.now();
  let failed = 0;
  // A few hundred handshakes at a time: thousands at once from one process only time out.
  for (let i = 0; i < m.count; i += 250) {
    const batch = Array.from({ length: Math.min(250, m.count - i) }, (_, j) => {
      const n = m.offset + i + j;
      return open(m.urls[n % m.urls.length]!, m.campaigns[n % m.campaigns.length]!).then(
        (c) => void clients.push(c),
        () => void failed++,
      );
    });
    await Promise.all(batch);
  }
  send({ cmd: 'connected', clients: clients.length, failed, ms: Date.now() - started });
}

function onMeasure(m: Extract<ClientCommand, { cmd: 'measure' }>): void {
  // Latency of booking k (k-th 201 of its campaign) at a client: the first message there whose
  // `reserved` is at least k, minus that 201's time. Negative when the message beat the 201
  // back to the caller (counted as 0).
  const histogram: Record<number, number> = {};
  const spread: Record<string, [number, number]> = {};
  let messages = 0;
  let inWindow = 0;
  let missedFinal = 0;
  let missedSome = 0;
  for (const c of clients) {
    const times = m.bookings[c.campaignId] ?? [];
    let j = 0;
    let missed = false;
    for (let k = 0; k < times.length; k++) {
      while (j < c.values.length && c.values[j]! < k + 1) j++;
      if (j >= c.values.length) {
        missed = true;
        break;
      }
      const ms = Math.max(0, Math.round(c.times[j]! - times[k]!));
      histogram[ms] = (histogram[ms] ?? 0) + 1;
    }
    if (missed) missedSome++;
    for (let i = 0; i < c.values.length; i++) {
      const t = c.times[i]!;
      messages++;
      // Join snapshots (before the burst) are not broadcasts.
      if (t < m.from || t > m.until) continue;
      inWindow++;
      const key = `${c.campaignId}|${c.values[i]}`;
      const s = spread[key];
      if (!s) spread[key] = [t, t];
      else {
        if (t < s[0]) s[0] = t;
        if (t > s[1]) s[1] = t;
      }
    }
    if (c.values[c.values.length - 1] !== m.finals[c.campaignId]) missedFinal++;
  }
  send({
    cmd: 'measured',
    histogram,
    spread,
    messages,
    inWindow,
    missedFinal,
    missedSome,
    clients: clients.length,
  });
}

/**
 * Every client drops its connection and reconnects at the same moment, as browsers do after a
 * deploy or a network blip, with socket.io-client's own reconnection (back-off and retries) on,
 * as in a browser. A client counts as failed only if it is not back, re-joined, within the
 * timeout; each failed attempt on the way is counted as a retry, with its message.
 */
async function onStorm(m: Extract<ClientCommand, { cmd: 'storm' }>): Promise<void> {
  const started = Date.now();
  let failed = 0;
  let stale = 0;
  let retries = 0;
  const reasons: Record<string, number> = {};
  for (const c of clients) c.socket.disconnect();
  await Promise.all(
    clients.map(
      (c) =>
        new Promise<void>((resolve) => {
          const mark = c.values.length;
          const onError = (err: Error) => {
            retries++;
            reasons[err.message] = (reasons[err.message] ?? 0) + 1;
          };
          const finish = (ok: boolean) => {
            clearTimeout(timer);
            c.socket.off('connect_error', onError);
            if (!ok) failed++;
            resolve();
          };
          const timer = setTimeout(() => finish(false), m.timeoutMs);
          c.socket.on('connect_error', onError);
          c.socket.once('connect', () => {
            join(c, m.timeoutMs).then(
              () => {
                // The join snapshot is emitted before the acknowledgement.
                if (c.values.length === mark || c.values[c.values.length - 1] !== m.finals[c.campaignId])
                  stale++;
                finish(true);
              },
              () => finish(false),
            );
          });
          c.socket.io.reconnection(true);
          c.socket.connect();
        }),
    ),
  );
  send({
    cmd: 'stormed',
    ms: Date.now() - started,
    failed,
    retries,
    reasons,
    stale,
    clients: clients.length,
  });
}

/** How many clients' last numbers are the final ones (the parent asks until all are, or it gives up). */
function onFinals(m: Extract<ClientCommand, { cmd: 'finals' }>): void {
  let current = 0;
  for (const c of clients) if (c.values[c.values.length - 1] === m.finals[c.campaignId]) current++;
  send({ cmd: 'finals', current, clients: clients.length });
}

process.on('message', (m: ClientCommand) => {
  if (m.cmd === 'connect') void onConnect(m);
  else if (m.cmd === 'measure') onMeasure(m);
  else if (m.cmd === 'storm') void onStorm(m);
  else if (m.cmd === 'finals') onFinals(m);
  else if (m.cmd === 'close') {
    for (const c of clients) c.socket.disconnect();
    setTimeout(() => process.exit(0), 200);
  }
});
process.on('disconnect', () => process.exit(0));
send({ cmd: 'ready' });
