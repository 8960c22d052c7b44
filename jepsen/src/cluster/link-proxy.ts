// One interposed TCP proxy in front of one node's peer port. Every
// connection through it joins two nodes: the dialer (`source`, known
// statically for Flotilla's per-pair proxies, or read from the first request
// for etcd, whose peer requests name their sender in `X-Server-From`) and the
// node behind the proxy. A partition is a set of blocked directions; bytes in
// a blocked direction are dropped, as a firewall would. Once a direction has
// dropped bytes the stream may have lost part of a frame, so the connection
// is closed when that direction heals, and the nodes reconnect cleanly.
import net from 'node:net';

/**
 * Who dials through this proxy: a node index, or a sniffer that reads a name
 * from the first bytes ('more' asks for more) and a resolver from that name
 * to a node index. Resolution happens at every check, so connections made
 * before the names were known (etcd's member ids) are still attributed.
 */
export type SourceOf =
  | number
  | {
      readonly sniff: (head: Buffer) => string | undefined | 'more';
      readonly resolve: (name: string) => number | undefined;
    };

export interface LinkPolicy {
  isBlocked(from: number, to: number): boolean;
}

export interface LinkProxyOptions {
  /** The node behind this proxy. */
  readonly target: number;
  readonly targetPort: number;
  readonly source: SourceOf;
  readonly policy: LinkPolicy;
  /** How many bytes to read while looking for the dialer's name before giving up (unknown dialer: never blocked). */
  readonly headBytesMax?: number;
  readonly host?: string;
}

interface Link {
  readonly client: net.Socket;
  readonly upstream: net.Socket;
  source: number | string | undefined;
  /** Sticky: this direction dropped bytes, so its stream is no longer whole. */
  droppedUp: boolean;
  droppedDown: boolean;
}

export class LinkProxy {
  readonly #options: LinkProxyOptions;
  readonly #server: net.Server;
  readonly #links = new Set<Link>();
  #port = 0;

  private constructor(options: LinkProxyOptions) {
    this.#options = options;
    this.#server = net.createServer((socket) => this.#accept(socket));
  }

  static async listen(options: LinkProxyOptions): Promise<LinkProxy> {
    const proxy = new LinkProxy(options);
    await new Promise<void>((resolve, reject) => {
      proxy.#server.once('error', reject);
      proxy.#server.listen(0, options.host ?? '127.0.0.1', () => resolve());
    });
    const address = proxy.#server.address();
    proxy.#port = typeof address === 'object' && address ? address.port : 0;
    return proxy;
  }

  get port(): number {
    return this.#port;
  }

  get url(): string {
    return `http://${this.#options.host ?? '127.0.0.1'}:${this.#port}`;
  }

  get openLinks(): number {
    return this.#links.size;
  }

  #sourceIndex(link: Link): number | undefined {
    const { source } = this.#options;
    if (typeof link.source === 'string' && typeof source === 'object')
      return source.resolve(link.source);
    return typeof link.source === 'number' ? link.source : undefined;
  }

  #blockedUp(link: Link): boolean {
    const from = this.#sourceIndex(link);
    return from !== undefined && this.#options.policy.isBlocked(from, this.#options.target);
  }

  #blockedDown(link: Link): boolean {
    const to = this.#sourceIndex(link);
    return to !== undefined && this.#options.policy.isBlocked(this.#options.target, to);
  }

  #accept(client: net.Socket): void {
    const upstream = net.connect(this.#options.targetPort, this.#options.host ?? '127.0.0.1');
    const link: Link = {
      client,
      upstream,
      source: undefined,
      droppedUp: false,
      droppedDown: false,
    };
    this.#links.add(link);
    const close = (): void => {
      client.destroy();
      upstream.destroy();
      this.#links.delete(link);
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    client.setNoDelay(true);
    upstream.setNoDelay(true);

    const source = this.#options.source;
    let head: Buffer | undefined = typeof source === 'number' ? undefined : Buffer.alloc(0);
    if (typeof source === 'number') link.source = source;
    if (this.#blockedUp(link) && this.#blockedDown(link)) return close();

    client.on('data', (chunk: Buffer) => {
      if (head !== undefined && typeof source === 'object') {
        head = Buffer.concat([head, chunk]);
        const found = source.sniff(head);
        if (found === 'more' && head.length < (this.#options.headBytesMax ?? 16_384)) return;
        link.source = found === 'more' ? undefined : found;
        chunk = head;
        head = undefined;
        if (this.#blockedUp(link) && this.#blockedDown(link)) return close();
      }
      this.#forward(link, chunk, 'up');
    });
    upstream.on('data', (chunk: Buffer) => this.#forward(link, chunk, 'down'));
  }

  #forward(link: Link, chunk: Buffer, direction: 'up' | 'down'): void {
    const up = direction === 'up';
    if (
      up ? link.droppedUp || this.#blockedUp(link) : link.droppedDown || this.#blockedDown(link)
    ) {
      if (up) link.droppedUp = true;
      else link.droppedDown = true;
      return;
    }
    const [from, to] = up ? [link.client, link.upstream] : [link.upstream, link.client];
    // Back-pressure: stop reading the sender while the receiver's buffer is full.
    if (!to.write(chunk)) {
      from.pause();
      to.once('drain', () => from.resume());
    }
  }

  /** Applies a new partition to open connections: cut fully blocked ones, and restart healed streams that lost bytes. */
  refresh(): void {
    for (const link of [...this.#links]) {
      const up = this.#blockedUp(link);
      const down = this.#blockedDown(link);
      const healedTorn = (link.droppedUp && !up) || (link.droppedDown && !down);
      if ((up && down) || healedTorn) {
        link.client.destroy();
        link.upstream.destroy();
        this.#links.delete(link);
      }
    }
  }

  async close(): Promise<void> {
    for (const link of this.#links) {
      link.client.destroy();
      link.upstream.destroy();
    }
    this.#links.clear();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
