// Records a concurrent client history as it happens. Clients call invoke()
// before sending a request and ok/fail/unknown when they learn its fate.
// The recorder is independent of the simulator: the real-process fault suite
// feeds it with wall-clock time, the simulator with virtual time.

import { HistoryFullError, ProcessBusyError, UnknownOperationError } from './errors.js';
import type { RegisterInput, RegisterOp, RegisterResult } from './types.js';

export interface HistoryRecorderOptions {
  /** The time source (ms): a VirtualClock's now() in simulation. */
  readonly now: () => number;
  /** Bound on recorded operations; invoke beyond it throws HistoryFullError. */
  readonly opsMax?: number;
  /**
   * Events recorded at the same clock reading are spread this far apart, in
   * the order they were recorded (default 1e-6 ms). A virtual clock stands
   * still while many things happen; without this, a read issued right after
   * a write's acknowledgement would look concurrent with it and the checker
   * would accept a stale value. Set 0 to keep raw clock readings.
   */
  readonly sameInstantStepMs?: number;
}

interface OpenOp {
  readonly id: number;
  readonly process: number;
  readonly input: RegisterInput;
  readonly invokeTime: number;
}

export class HistoryRecorder {
  readonly #now: () => number;
  readonly #opsMax: number;
  readonly #ops: RegisterOp[] = [];
  readonly #open = new Map<number, OpenOp>();
  /** process → id of its open operation. */
  readonly #busy = new Map<number, number>();
  /** Processes whose last operation ended 'unknown': they may not invoke again. */
  readonly #retired = new Set<number>();
  #nextId = 0;
  readonly #stepMs: number;
  #last = -Infinity;

  constructor(options: HistoryRecorderOptions) {
    this.#now = options.now;
    this.#opsMax = options.opsMax ?? 1_000_000;
    this.#stepMs = options.sameInstantStepMs ?? 1e-6;
  }

  /** The time of an event: the clock, made strictly increasing in recording order. */
  #stamp(): number {
    const t = this.#now();
    const stamped = this.#stepMs > 0 && t <= this.#last ? this.#last + this.#stepMs : t;
    this.#last = Math.max(this.#last, stamped);
    return stamped;
  }

  /** Records the start of an operation and returns its id. */
  invoke(process: number, input: RegisterInput): number {
    const open = this.#busy.get(process);
    if (open !== undefined) throw new ProcessBusyError(process, open);
    if (this.#retired.has(process)) throw new ProcessBusyError(process, -1);
    if (this.#ops.length + this.#open.size >= this.#opsMax)
      throw new HistoryFullError(this.#opsMax);
    const id = this.#nextId++;
    this.#open.set(id, { id, process, input: { ...input }, invokeTime: this.#stamp() });
    this.#busy.set(process, id);
    return id;
  }

  ok(id: number, result: RegisterResult): void {
    this.#close(id, (o) => ({
      ...o.input,
      id,
      process: o.process,
      invokeTime: o.invokeTime,
      completeTime: this.#stamp(),
      outcome: 'ok',
      result: { ...result },
    }));
  }

  /** The operation definitely did not take effect. */
  fail(id: number, error: string): void {
    this.#close(id, (o) => ({
      ...o.input,
      id,
      process: o.process,
      invokeTime: o.invokeTime,
      completeTime: this.#stamp(),
      outcome: 'fail',
      error,
    }));
  }

  /**
   * The operation may or may not have taken effect. It stays open until the
   * end of the history, and its process is retired (as Jepsen does), because
   * a process whose last request may still be in flight is no longer sequential.
   */
  unknown(id: number, error: string): void {
    const process = this.#open.get(id)?.process;
    this.#close(id, (o) => ({
      ...o.input,
      id,
      process: o.process,
      invokeTime: o.invokeTime,
      completeTime: Infinity,
      outcome: 'unknown',
      error,
    }));
    if (process !== undefined) this.#retired.add(process);
  }

  /** Whether the process has no open operation and was not retired. */
  isIdle(process: number): boolean {
    return !this.#busy.has(process) && !this.#retired.has(process);
  }

  get openCount(): number {
    return this.#open.size;
  }

  /**
   * The history so far, ordered by id. Operations still open are reported as
   * 'unknown' (their fate is not known when the history is taken).
   */
  history(): RegisterOp[] {
    const still: RegisterOp[] = [...this.#open.values()].map((o) => ({
      ...o.input,
      id: o.id,
      process: o.process,
      invokeTime: o.invokeTime,
      completeTime: Infinity,
      outcome: 'unknown',
      error: 'still open when the history was taken',
    }));
    return [...this.#ops, ...still].sort((a, b) => a.id - b.id);
  }

  #close(id: number, make: (o: OpenOp) => RegisterOp): void {
    const o = this.#open.get(id);
    if (o === undefined)
      throw new UnknownOperationError(
        id,
        this.#nextId > id ? 'it was already completed' : 'it was never invoked',
      );
    this.#open.delete(id);
    this.#busy.delete(o.process);
    const op = make(o);
    if (op.outcome !== 'unknown' && op.completeTime < op.invokeTime) {
      throw new Error(
        `invariant: operation ${id} completes at ${op.completeTime} before its invocation at ${op.invokeTime}; the clock went backwards`,
      );
    }
    this.#ops.push(op);
  }
}
