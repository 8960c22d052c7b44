// Simulated clients: each is a sequential process that issues register
// operations (put, linearizable or lease read, compare-and-set by txn) to a
// random live node and waits for the answer with a timeout on the virtual
// clock. A write that times out or fails in a way that does not prove it was
// refused is recorded as 'unknown' and never retried blindly; the client then
// goes on as a new process, as Jepsen's clients do. Exactly-once clients
// (sessions) instead retry such a write with the same (clientId, seq) on
// other nodes: the node must apply it at most once, even after the client was
// evicted from the exactly-once table. A session registers its id (seq 1)
// before its first write (seq 2), as @flotilla/client does.

import { isOutcomeUnknown } from '@flotilla/errors';
import { randomInt, type NodeId, type Rng } from '@flotilla/raft';
import { type Compare, SessionExpiredError, type TxnRequest } from '@flotilla/kv';
import type { HistoryRecorder } from '../history/recorder.js';
import type { CasExpectation, RegisterInput, RegisterResult } from '../history/types.js';
import type { SimRuntime } from './runtime.js';
import {
  definitelyNotApplied,
  type ReadConsistency,
  type Session,
  type SimulatedNode,
} from './sim-node.js';

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
  /** Share of reads sent as `lease` reads instead (recorded as linearizable: they must be). Default 0. */
  readonly leaseReadShare?: number;
  /** Share of clients that write with an exactly-once session and retry unknown writes. Default 0. */
  readonly sessionShare?: number;
  /** Retries of one write by a session client before its outcome is unknown. Default 3. */
  readonly retriesMax?: number;
}

export interface ClientEnv {
  readonly runtime: SimRuntime;
  readonly recorder: HistoryRecorder;
  /** Nodes a client may talk to now (up, not removed). */
  readonly reachable: () => readonly SimulatedNode[];
  /** A fresh process id (clients are renamed after an unknown outcome). */
  readonly newProcess: () => number;
  /** Requests outstanding per node, kept up to date here (for faults that hit busy nodes). */
  readonly busy?: Map<NodeId, number>;
}

type Outcome<T> =
  | { kind: 'ok'; value: T }
  | { kind: 'error'; error: unknown }
  | { kind: 'timeout' };

/** Awaits `p` for at most `timeoutMs` of virtual time. A late settlement is swallowed. */
export function withTimeout<T>(
  rt: SimRuntime,
  p: Promise<T>,
  timeoutMs: number,
): Promise<Outcome<T>> {
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

export function errorName(e: unknown): string {
  return e instanceof Error ? e.name : typeof e;
}

function errorText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

function compareFor(key: Uint8Array, expected: CasExpectation): Compare {
  if ('modRevision' in expected)
    return { target: 'MOD', result: 'EQUAL', key, modRevision: expected.modRevision };
  // etcd compares the value of a missing key as false, so "absent" is modRevision 0.
  if (expected.value === null) return { target: 'MOD', result: 'EQUAL', key, modRevision: 0 };
  return { target: 'VALUE', result: 'EQUAL', key, value: enc.encode(expected.value) };
}

/** Sends one operation to `node`. Resolves with the register result. */
async function perform(
  node: SimulatedNode,
  input: RegisterInput,
  consistency: ReadConsistency,
  session?: Session,
): Promise<RegisterResult> {
  const key = enc.encode(input.key);
  switch (input.op) {
    case 'read': {
      const r = await node.range({ key }, consistency);
      const kv = r.kvs[0];
      return kv === undefined
        ? { value: null, modRevision: 0 }
        : { value: dec.decode(kv.value), modRevision: kv.modRevision };
    }
    case 'write': {
      const r = await node.put({ key, value: enc.encode(input.value ?? '') }, session);
      return { revision: r.header.revision };
    }
    case 'cas': {
      if (input.expected === undefined) throw new Error('invariant: cas without expectation');
      const req: TxnRequest = {
        compare: [compareFor(key, input.expected)],
        success: [{ requestPut: { key, value: enc.encode(input.value ?? '') } }],
        failure: [],
      };
      const r = await node.txn(req, session);
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
  /** The session's id is expired (kv evicted it, or its register never got through): start a new one. */
  readonly sessionExpired?: boolean;
}

function attempt(
  env: ClientEnv,
  node: SimulatedNode,
  input: RegisterInput,
  consistency: ReadConsistency,
  timeoutMs: number,
  session?: Session,
): Promise<Outcome<RegisterResult>> {
  let started: Promise<RegisterResult>;
  try {
    started = perform(node, input, consistency, session);
  } catch (e) {
    started = Promise.reject(e);
  }
  const busy = env.busy;
  busy?.set(node.id, (busy.get(node.id) ?? 0) + 1);
  return withTimeout(env.runtime, started, timeoutMs).finally(() =>
    busy?.set(node.id, (busy.get(node.id) ?? 1) - 1),
  );
}

/** A retry with the same session is worth it: the attempt timed out, was refused, or its outcome is unknown. */
function worthRetrying(r: Outcome<unknown>): boolean {
  if (r.kind === 'timeout') return true;
  if (r.kind !== 'error') return false;
  return definitelyNotApplied(r.error) || isOutcomeUnknown(r.error);
}

export interface IssueOptions
  extends Pick<WorkloadOptions, 'timeoutMs' | 'readConsistency' | 'retriesMax'> {
  /** Overrides readConsistency for this read. */
  readonly consistency?: ReadConsistency;
  /** Writes carry this exactly-once identity and are retried on other nodes until answered. */
  readonly session?: Session;
}

/** Issues one operation (with its retries) and records it as one operation. */
export async function issue(
  env: ClientEnv,
  process: number,
  node: SimulatedNode,
  input: RegisterInput,
  options: IssueOptions,
): Promise<Issued> {
  const id = env.recorder.invoke(process, input);
  const session = input.op === 'read' ? undefined : options.session;
  const consistency = options.consistency ?? options.readConsistency;
  let r = await attempt(env, node, input, consistency, options.timeoutMs, session);
  // "Session expired" refuses the attempt (nothing applied); after a retry it says nothing of earlier attempts.
  const firstFailed =
    r.kind === 'error' && (definitelyNotApplied(r.error) || r.error instanceof SessionExpiredError);
  if (session !== undefined && !firstFailed) {
    const rng = env.runtime.rng('retries');
    for (let retry = 0; retry < (options.retriesMax ?? 3) && worthRetrying(r); retry++) {
      const nodes = env.reachable();
      if (nodes.length === 0) break;
      r = await attempt(
        env,
        nodes[randomInt(rng, 0, nodes.length - 1)] as SimulatedNode,
        input,
        consistency,
        options.timeoutMs,
        session,
      );
    }
  }
  if (r.kind === 'ok') {
    env.recorder.ok(id, r.value);
    return { alive: true, result: r.value };
  }
  const why =
    r.kind === 'timeout' ? `no answer within ${options.timeoutMs} ms` : errorText(r.error);
  // Only a refusal of the one and only attempt proves a write was not applied.
  if (input.op === 'read' || firstFailed) {
    env.recorder.fail(id, why);
    return {
      alive: true,
      ...(r.kind === 'error' && r.error instanceof SessionExpiredError
        ? { sessionExpired: true }
        : {}),
    };
  }
  env.recorder.unknown(id, why);
  return { alive: false };
}

/**
 * Registers a session's client id (seq 1); not an operation of the register
 * model, so not recorded. Repeated only where the attempt was refused (nothing
 * proposed): an attempt of unknown outcome may still be applied later (a
 * follower re-sends it after a leader change), and a register applied after
 * the id's first write and its eviction would let a retry of that write be
 * applied again. So true means the id is registered, false that the client
 * must give the id up.
 */
async function registerSession(
  env: ClientEnv,
  first: SimulatedNode,
  clientId: string,
  options: Pick<WorkloadOptions, 'timeoutMs' | 'retriesMax'>,
): Promise<boolean> {
  const rng = env.runtime.rng('retries');
  let node = first;
  for (let tries = 0; tries <= (options.retriesMax ?? 3); tries++) {
    const r = await withTimeout(env.runtime, node.register(clientId), options.timeoutMs);
    if (r.kind === 'ok') return true;
    if (r.kind !== 'error' || !definitelyNotApplied(r.error)) return false;
    const nodes = env.reachable();
    if (nodes.length === 0) return false;
    node = nodes[randomInt(rng, 0, nodes.length - 1)] as SimulatedNode;
  }
  return false;
}

/** What the clients learned, for choosing cas expectations that sometimes hold. */
interface Knowledge {
  readonly lastValue: Map<string, string | null>;
  readonly lastRevision: Map<string, number>;
}

function nextInput(
  rng: Rng,
  keys: number,
  counter: { n: number },
  known: Knowledge,
): RegisterInput {
  const key = `k${randomInt(rng, 0, keys - 1)}`;
  const roll = rng.next();
  if (roll < 0.45) return { op: 'read', key };
  const value = `v${counter.n++}`;
  if (roll < 0.8) return { op: 'write', key, value };
  const expected: CasExpectation =
    rng.next() < 0.5
      ? { value: known.lastValue.get(key) ?? null }
      : { modRevision: known.lastRevision.get(key) ?? 0 };
  return { op: 'cas', key, value, expected };
}

/** Runs `options.clients` sequential clients until virtual time `untilMs`. */
export async function runClients(
  env: ClientEnv,
  options: WorkloadOptions,
  untilMs: number,
): Promise<void> {
  const rng = env.runtime.rng('clients');
  const counter = { n: 0 };
  const known: Knowledge = { lastValue: new Map(), lastRevision: new Map() };
  const client = async (k: number): Promise<void> => {
    let process = env.newProcess();
    // The first sessionShare of the clients are exactly-once clients: one session per process.
    const withSession = k < Math.round(options.clients * (options.sessionShare ?? 0));
    let seq = 0; // 0: this process's session id is not registered yet
    while (env.runtime.now < untilMs) {
      await env.runtime.sleep(randomInt(rng, 0, options.thinkMsMax));
      const nodes = env.reachable();
      if (nodes.length === 0 || env.runtime.now >= untilMs) continue;
      const node = nodes[randomInt(rng, 0, nodes.length - 1)] as SimulatedNode;
      const input = nextInput(rng, options.keys, counter, known);
      const consistency: ReadConsistency =
        input.op === 'read' && rng.next() < (options.leaseReadShare ?? 0)
          ? 'lease'
          : options.readConsistency;
      if (withSession && input.op !== 'read' && seq === 0) {
        if (!(await registerSession(env, node, `p${process}`, options))) {
          process = env.newProcess(); // the id is given up; the next write registers a new one
          continue;
        }
        seq = 1;
      }
      const session =
        withSession && input.op !== 'read' ? { clientId: `p${process}`, seq: ++seq } : undefined;
      const { alive, result, sessionExpired } = await issue(env, process, node, input, {
        ...options,
        consistency,
        ...(session === undefined ? {} : { session }),
      });
      if (input.op === 'read' && result !== undefined) learn(known, input.key, result);
      if (!alive || sessionExpired) {
        process = env.newProcess();
        seq = 0;
      }
    }
  };
  await Promise.all(Array.from({ length: options.clients }, (_, k) => client(k)));
}

function learn(known: Knowledge, key: string, result: RegisterResult): void {
  if (result.value !== undefined) known.lastValue.set(key, result.value);
  if (result.modRevision !== undefined) known.lastRevision.set(key, result.modRevision);
}
