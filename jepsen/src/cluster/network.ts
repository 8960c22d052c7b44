// The partition state shared by every proxy of one cluster: a set of blocked
// directed links (from → to). Nemeses set a shape; heal() clears it.

import type { LinkPolicy, LinkProxy } from './link-proxy.js';

export class Network implements LinkPolicy {
  readonly size: number;
  readonly #blocked = new Set<string>();
  readonly #proxies: LinkProxy[] = [];

  constructor(size: number) {
    this.size = size;
  }

  adopt(proxy: LinkProxy): void {
    this.#proxies.push(proxy);
  }

  isBlocked(from: number, to: number): boolean {
    return this.#blocked.has(`${from}>${to}`);
  }

  /** Replaces the partition with exactly these blocked directed links. */
  block(links: readonly (readonly [number, number])[]): void {
    this.#blocked.clear();
    for (const [from, to] of links) {
      if (from === to || from < 0 || to < 0 || from >= this.size || to >= this.size) {
        throw new RangeError(`link ${from}→${to} is not between two of the ${this.size} nodes`);
      }
      this.#blocked.add(`${from}>${to}`);
    }
    for (const p of this.#proxies) p.refresh();
  }

  heal(): void {
    this.block([]);
  }

  get blockedLinks(): [number, number][] {
    return [...this.#blocked].map((s) => s.split('>').map(Number) as [number, number]);
  }

  async close(): Promise<void> {
    await Promise.all(this.#proxies.map((p) => p.close()));
  }
}
