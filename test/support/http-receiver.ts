import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  raw: string;
  body: unknown;
  at: number;
}

export type Responder = (
  req: ReceivedRequest,
  index: number,
) =>
  | Promise<{ status: number; body?: string; type?: string }>
  | { status: number; body?: string; type?: string };

/**
 * A small real HTTP server standing in for the merchant side in simulator tests: it records
 * every request (webhooks, browser redirects) and answers with what the test's responder says.
 */
export class HttpReceiver {
  readonly requests: ReceivedRequest[] = [];
  private server?: http.Server;
  url = '';
  responder: Responder = () => ({ status: 200, body: '{"ok":true}', type: 'application/json' });

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const url = new URL(req.url ?? '/', 'http://x');
        let body: unknown = raw;
        try {
          body = raw ? JSON.parse(raw) : undefined;
        } catch {
          // not JSON: keep the text
        }
        const received: ReceivedRequest = {
          method: req.method ?? 'GET',
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers,
          raw,
          body,
          at: Date.now(),
        };
        this.requests.push(received);
        void Promise.resolve(this.responder(received, this.requests.length - 1)).then(
          (answer) => {
            res.writeHead(answer.status, { 'Content-Type': answer.type ?? 'text/plain' });
            res.end(answer.body ?? '');
          },
          () => {
            res.writeHead(500);
            res.end();
          },
        );
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  received(path: string): ReceivedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}
