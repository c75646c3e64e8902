import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: Buffer;
}

export interface LocalSmtp {
  url: string;
  messages: ReceivedMail[];
  /** SMTP sessions opened so far (a send that never connected does not count). */
  connections: () => number;
  /** Replies to RCPT TO for an address: e.g. 550 (mailbox unavailable) or 451 (try later). */
  setRcptReply(address: string, code: number | null): void;
  /** Replies to the end of DATA with this code instead of 250 (null: accept). */
  setDataReply(code: number | null): void;
  close(): Promise<void>;
}

/**
 * A real SMTP server on a free loopback port (the `smtp-server` package: the SMTP edge that
 * tests replace). It stores every accepted message's raw bytes and can refuse recipients with
 * the reply code a test chooses.
 */
export async function startLocalSmtp(): Promise<LocalSmtp> {
  const messages: ReceivedMail[] = [];
  const rcptReplies = new Map<string, number>();
  let connections = 0;
  let dataReply: number | null = null;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onConnect(_session, cb) {
      connections++;
      cb();
    },
    onRcptTo(address, _session, cb) {
      const code = rcptReplies.get(address.address.toLowerCase());
      if (!code) return cb();
      const err = new Error(
        code >= 500 ? `${address.address}: mailbox unavailable` : `${address.address}: try again later`,
      ) as Error & {
        responseCode: number;
      };
      err.responseCode = code;
      cb(err);
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (dataReply) {
          const err = new Error('message refused by policy') as Error & { responseCode: number };
          err.responseCode = dataReply;
          return cb(err);
        }
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks),
        });
        cb();
      });
    },
  });
  // A client that dies mid-session (a SIGKILLed email worker) resets its connection: that is the
  // client's problem, and an unhandled 'error' event would take this process down with it.
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    connections: () => connections,
    setRcptReply: (address, code) => {
      if (code === null) rcptReplies.delete(address.toLowerCase());
      else rcptReplies.set(address.toLowerCase(), code);
    },
    setDataReply: (code) => {
      dataReply = code;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
