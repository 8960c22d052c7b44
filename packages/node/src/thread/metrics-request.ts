// The metrics page crosses the thread boundary synchronously: prometheusText()
// is synchronous on the host, and a page rendered in advance would be stale
// (it costs ≈ 0.2 ms to render, too much to push with every change). The host
// posts a request on a port of its own and waits on a SharedArrayBuffer; the
// worker renders the page, posts it and wakes the host, which takes the answer
// with receiveMessageOnPort. The host waits at most `waitMs`, then keeps the
// page it had.
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';

export class MetricsRequest {
  constructor(
    private readonly port: MessagePort,
    private readonly signal: Int32Array,
    private readonly waitMs: number,
  ) {}

  /** The worker's page now, or undefined if it did not answer within waitMs. */
  fetch(): string | undefined {
    // An answer that came after an earlier wait timed out is stale: drop it.
    while (receiveMessageOnPort(this.port) !== undefined);
    Atomics.store(this.signal, 0, 0);
    this.port.postMessage(0);
    if (Atomics.wait(this.signal, 0, 0, this.waitMs) === 'timed-out') return undefined;
    return receiveMessageOnPort(this.port)?.message as string | undefined;
  }
}

/** The worker's side: answers each request with `render()`. */
export function serveMetricsRequests(
  port: MessagePort,
  signal: Int32Array,
  render: () => string,
): void {
  port.on('message', () => {
    port.postMessage(render());
    Atomics.store(signal, 0, 1);
    Atomics.notify(signal, 0);
  });
}
