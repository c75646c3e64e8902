import net from 'node:net';

interface Link {
  client: net.Socket;
  upstream?: net.Socket;
}

/**
 * A loopback TCP proxy that a test can cut and restore, to make PostgreSQL, Redis or RabbitMQ
 * unreachable for one client without stopping the real server other tests use.
 *
 * Two kinds of outage: `cut()` drops every connection and refuses new ones (a stopped server:
 * the client sees a reset at once), `stall()` keeps every connection open and accepts new ones
 * but forwards nothing (a half-open network: a partition, a frozen server; the client sees
 * nothing at all and only its own time-outs can tell). `restore()` ends either; after a stall,
 * what was held flows again, as after a healed partition.
 */
export class TcpProxy {
  private server: net.Server | undefined;
  private readonly links = new Set<Link>();
  private stalled = false;
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(port = 0): Promise<this> {
    this.server = net.createServer((client) => {
      const link: Link = { client };
      this.links.add(link);
      client.on('error', () => this.drop(link)).on('close', () => this.drop(link));
      if (this.stalled) client.pause();
      else this.forward(link);
    });
    await new Promise<void>((resolve) => this.server!.listen(port || this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  private forward(link: Link): void {
    if (!link.upstream) {
      const upstream = net.connect(this.targetPort, this.targetHost);
      upstream.on('error', () => this.drop(link)).on('close', () => this.drop(link));
      link.upstream = upstream;
    }
    link.client.pipe(link.upstream).pipe(link.client);
  }

  private drop(link: Link): void {
    link.client.destroy();
    link.upstream?.destroy();
    this.links.delete(link);
  }

  /**
   * Refuses new connections and cuts the open ones: the service looks down. With `reset`, each
   * connection is reset (RST: the client reads ECONNRESET) instead of closed (FIN).
   */
  async cut(opts: { reset?: boolean } = {}): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.stalled = false;
    for (const link of [...this.links]) {
      if (opts.reset) link.client.resetAndDestroy();
      this.drop(link);
    }
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Keeps every connection open and accepts new ones, but forwards nothing either way: the service looks silent. */
  stall(): void {
    this.stalled = true;
    for (const { client, upstream } of this.links) {
      client.unpipe();
      upstream?.unpipe();
      client.pause();
      upstream?.pause();
    }
  }

  /** Listens again on the same port (after a cut), or forwards again what it held (after a stall): the service is back. */
  async restore(): Promise<void> {
    if (this.stalled) {
      this.stalled = false;
      for (const link of this.links) this.forward(link);
      return;
    }
    if (this.server) return;
    await this.start(this.port);
  }

  async close(): Promise<void> {
    await this.cut();
  }

  /** A copy of `url` pointing at this proxy. */
  url(url: string): string {
    const u = new URL(url);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }
}
