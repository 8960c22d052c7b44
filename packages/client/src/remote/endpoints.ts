// The endpoints a remote client may use: the configured ones plus those
// discovered from the cluster's member list. Requests go to the preferred
// endpoint (the leader, when a server told us where it is); a failure moves
// on to the next one, round robin.

export const ENDPOINTS_MAX = 64;

export class Endpoints {
  private readonly list: string[] = [];
  private index = 0;

  constructor(initial: readonly string[]) {
    for (const e of initial) this.add(e);
    if (this.list.length === 0)
      throw new RangeError(
        'a remote client needs at least one endpoint, e.g. http://127.0.0.1:2379',
      );
  }

  get all(): readonly string[] {
    return this.list;
  }

  current(): string {
    return this.list[this.index % this.list.length]!;
  }

  /** `failed` did not answer: the next request goes elsewhere (if no one moved on already). */
  failed(failed: string): void {
    if (this.current() === failed) this.index = (this.index + 1) % this.list.length;
  }

  /** A server said the leader is at `url`: prefer it. */
  prefer(url: string): void {
    const normal = normalise(url);
    this.add(normal);
    const at = this.list.indexOf(normal);
    if (at >= 0) this.index = at;
  }

  add(url: string): void {
    const normal = normalise(url);
    if (this.list.includes(normal) || this.list.length >= ENDPOINTS_MAX) return;
    this.list.push(normal);
  }
}

function normalise(url: string): string {
  return url.replace(/\/+$/, '');
}
