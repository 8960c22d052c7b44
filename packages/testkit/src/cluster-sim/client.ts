// Simulated clients: each is a sequential process that issues register
// operations (put, linearizable read, compare-and-set by txn) to a random
// live node and waits for the answer with a timeout on the virtual clock. A
// write that times out or fails in a way that does not prove it was refused
// is recorded as 'unknown' and never retried blindly; the client then goes
// on as a new process, as Jepsen's clients do.

import { randomInt, type Rng } from '@flotilla/raft';
import type { Compare, TxnRequest } from '@flotilla/kv';
import type { HistoryRecorder } from '../history/recorder.js';
import type { CasExpectation, RegisterInput, RegisterResult } from '../history/types.js';
import type { SimRuntime } from './runtime.js';
import { DEFINITELY_NOT_APPLIED, type ReadConsistency, type SimulatedNode } from './sim-node.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

export interface WorkloadOptions {
  readonly clients: number;
  readonly keys: number;
  /** How long a client waits for an answer before the outcome is unknown. */
  readonly timeoutMs: number;
  /** Pause between a client's operations: uniform in [0, thinkMsMax]. */
  readonly thinkMsMax: number;
  /**
   * How reads are served. 'linearizable' is the real workload; the checker's
   * self-test sets 'serializable' (local reads) while still recording them as
   * linearizable, to prove the checker notices.
   */
  readonly readConsistency: ReadConsistency;
}

export interface ClientEnv {
  readonly runtime: SimRuntime;
  readonly recorder: HistoryRecorder;
  /** Nodes a client may talk to now (up, not removed). */
  readonly reachable: () => readonly SimulatedNode[];
  /** A fresh process id (clients are renamed after an unknown outcome). */
  readonly newProcess: () => number;
}

type Outcome<T> = { kind: 'ok'; value: T } | { kind: 'error'; error: unknown } | { kind: 'timeout' };

/** Awaits `p` for at most `timeoutMs` of virtual time. A late settlement is swallowed. */
export function withTimeout<T>(rt: SimRuntime, p: Promise<T>, timeoutMs: number): Promise<Outcome<T>> {
  return new Promise((resolve) => {
    let done = false;
    const timer = rt.clock.setTimer(timeoutMs, () => {
      if (done) return;
      done = true;
      resolve({ kind: 'timeout' });
    });
    p.then(
      (value) => {
        if (done) return;
        done = true;
        rt.clock.clearTimer(timer);
        resolve({ kind: 'ok', value });
      },
      (error: unknown) => {
        if (done) return;
        done = true;
        rt.clock.clearTimer(timer);
        resolve({ kind: 'error', error });
      },
    );
  });
}

function errorName(e: unknown): string {
  return e instanceof Error ? e.name : typeof e;
}

function errorText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

function compareFor(key: Uint8Array, expected: CasExpectation): Compare {
  if ('modRevision' in expected) return { target: 'MOD', result: 'EQUAL', key, modRevision: expected.modRevision };
  // etcd compares the value of a missing key as false, so "absent" is modRevision 0.
  if (expected.value === null) return { target: 'MOD', result: 'EQUAL', key, modRevision: 0 };
  return { target: 'VALUE', result: 'EQUAL', key, value: enc.encode(expected.value) };
}

/** Sends one operation to `node`. Resolves with the register result. */
async function perform(node: SimulatedNode, input: RegisterInput, consistency: ReadConsistency): Promise<RegisterResult> {
  const key = enc.encode(input.key);
  switch (input.op) {
    case 'read': {
      const r = await node.range({ key }, consistency);
      const kv = r.kvs[0];
      return kv === undefined ? { value: null, modRevision: 0 } : { value: dec.decode(kv.value), modRevision: kv.modRevision };
    }
    case 'write': {
      const r = await node.put({ key, value: enc.encode(input.value ?? '') });
      return { revision: r.header.revision };
    }
    case 'cas': {
      if (input.expected === undefined) throw new Error('invariant: cas without expectation');
      const req: TxnRequest = {
        compare: [compareFor(key, input.expected)],
        success: [{ requestPut: { key, value: enc.encode(input.value ?? '') } }],
        failure: [],
      };
      const r = await node.txn(req);
      return r.succeeded ? { succeeded: true, revision: r.header.revision } : { succeeded: false };
    }
    default: {
      const never: never = input.op;
      throw new Error(`invariant: unknown op ${String(never)}`);
    }
  }
}

export interface Issued {
  /** False when the outcome was unknown: the process is retired. */
  readonly alive: boolean;
  readonly result?: RegisterResult;
}

/** Issues one operation and records it. */
export async function issue(
  env: ClientEnv,
  process: number,
  node: SimulatedNode,
  input: RegisterInput,
  options: Pick<WorkloadOptions, 'timeoutMs' | 'readConsistency'>,
): Promise<Issued> {
  const id = env.recorder.invoke(process, input);
  let started: Promise<RegisterResult>;
  try {
    started = perform(node, input, options.readConsistency);
  } catch (e) {
    started = Promise.reject(e);
  }
  const r = await withTimeout(env.runtime, started, options.timeoutMs);
  if (r.kind === 'ok') {
    env.recorder.ok(id, r.value);
    return { alive: true, result: r.value };
  }
  const why = r.kind === 'timeout' ? `no answer within ${options.timeoutMs} ms` : errorText(r.error);
  if (input.op === 'read' || (r.kind === 'error' && DEFINITELY_NOT_APPLIED.has(errorName(r.error)))) {
    env.recorder.fail(id, why);
    return { alive: true };
  }
  env.recorder.unknown(id, why);
  return { alive: false };
}

/** What the clients learned, for choosing cas expectations that sometimes hold. */
interface Knowledge {
  readonly lastValue: Map<string, string | null>;
  readonly lastRevision: Map<string, number>;
}

function nextInput(rng: Rng, keys: number, counter: { n: number }, known: Knowledge): RegisterInput {
  const key = `k${randomInt(rng, 0, keys - 1)}`;
  const roll = rng.next();
  if (roll < 0.45) return { op: 'read', key };
  const value = `v${counter.n++}`;
  if (roll < 0.8) return { op: 'write', key, value };
  const expected: CasExpectation =
    rng.next() < 0.5 ? { value: known.lastValue.get(key) ?? null } : { modRevision: known.lastRevision.get(key) ?? 0 };
  return { op: 'cas', key, value, expected };
}

/** Runs `options.clients` sequential clients until virtual time `untilMs`. */
export async function runClients(env: ClientEnv, options: WorkloadOptions, untilMs: number): Promise<void> {
  const rng = env.runtime.rng('clients');
  const counter = { n: 0 };
  const known: Knowledge = { lastValue: new Map(), lastRevision: new Map() };
  const client = async (): Promise<void> => {
    let process = env.newProcess();
    while (env.runtime.now < untilMs) {
      await env.runtime.sleep(randomInt(rng, 0, options.thinkMsMax));
      const nodes = env.reachable();
      if (nodes.length === 0 || env.runtime.now >= untilMs) continue;
      const node = nodes[randomInt(rng, 0, nodes.length - 1)] as SimulatedNode;
      const input = nextInput(rng, options.keys, counter, known);
      const { alive, result } = await issue(env, process, node, input, options);
      if (input.op === 'read' && result !== undefined) learn(known, input.key, result);
      if (!alive) process = env.newProcess();
    }
  };
  await Promise.all(Array.from({ length: options.clients }, () => client()));
}

function learn(known: Knowledge, key: string, result: RegisterResult): void {
  if (result.value !== undefined) known.lastValue.set(key, result.value);
  if (result.modRevision !== undefined) known.lastRevision.set(key, result.modRevision);
}
