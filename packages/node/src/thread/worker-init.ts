// What the host hands its worker at start (workerData: structured-cloned, so
// plain data only). Two things of openNode's options are functions: the
// logger (replaced by log messages to the host) and peerTls.memberIdOf, which
// is sent as its source text and re-created in the worker (so it must be
// self-contained: no closure over the host's variables).
import type { MessagePort } from 'node:worker_threads';
import type { OpenNodeOptions } from '../open-node-options.js';
import { NodeOptionsError } from '../errors.js';

export interface WorkerInit {
  readonly options: Omit<OpenNodeOptions, 'logger'>;
  readonly hasLogger: boolean;
  readonly memberIdOfSource: string | undefined;
  /** TEST ONLY: the worker ends itself (process.exit(70)) this long after the node opened. */
  readonly testExitAfterMs: number | undefined;
  /** Requests for the metrics page; the answer comes back on it, and metricsSignal[0] = 1 says it is there. */
  readonly metricsPort: MessagePort;
  readonly metricsSignal: Int32Array;
}

export function workerInit(
  options: OpenNodeOptions,
  metricsPort: MessagePort,
  metricsSignal: Int32Array,
): WorkerInit {
  const { logger, testWorkerExitAfterMs, ...rest } = options;
  let memberIdOfSource: string | undefined;
  let peerTls = rest.peerTls;
  if (peerTls?.memberIdOf !== undefined) {
    memberIdOfSource = peerTls.memberIdOf.toString();
    reviveFunction(memberIdOfSource);
    const { memberIdOf: _fn, ...tls } = peerTls;
    peerTls = tls;
  }
  return {
    options: { ...rest, ...(peerTls !== undefined ? { peerTls } : {}) },
    hasLogger: logger !== undefined,
    memberIdOfSource,
    testExitAfterMs: testWorkerExitAfterMs,
    metricsPort,
    metricsSignal,
  };
}

/** A function from its source text (a function, an arrow or a method's text). */
export function reviveFunction(source: string): (...args: never[]) => unknown {
  for (const text of [`(${source})`, `(function ${source})`]) {
    try {
      const fn: unknown = new Function(`return ${text};`)();
      if (typeof fn === 'function') return fn as (...args: never[]) => unknown;
    } catch {
      // Not this form; try the next.
    }
  }
  throw new NodeOptionsError(
    "peerTls.memberIdOf must be a self-contained function to run in the node's worker thread (it is re-created from its source); pass thread: 'inline' otherwise",
  );
}
