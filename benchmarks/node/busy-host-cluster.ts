// The parent's side of one busy-host phase: fork three member processes
// (busy-host-member.ts), form one cluster on loopback, run the phase in all
// three at once and collect their reports over IPC. Every child is killed at
// the end, on error, and when this process exits.
import { fork, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@flotilla/transport';
import { BLOCK_JITTER_MS, BLOCK_PERIOD_MS } from './busy-host-load.js';
import type {
  BlockKind,
  ChildMessage,
  MemberReport,
  ParentMessage,
  PhasePlan,
} from './busy-host-protocol.js';

const MEMBER_SCRIPT = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  'busy-host-member.ts',
);
const IDS = [1, 2, 3] as const;
export const CLUSTER_ID = 'busy-host';
/** Fork, tsx start-up, openNode and the first election. */
const READY_TIMEOUT_MS = 90_000;
/** On top of warm-up + window + drain, for a report to arrive. */
const REPORT_SLACK_MS = 30_000;
const CLOSE_TIMEOUT_MS = 10_000;

export interface PhaseSettings {
  readonly blockMs: number;
  readonly blockKind: BlockKind;
  readonly rateHz: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly drainMs: number;
  readonly thread: 'worker' | 'inline' | undefined;
  /** The phase's data directories go under here and are removed after it. */
  readonly dataDir: string;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Kills every member process still running (synchronous: usable in an exit handler). */
export function killAllMembers(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', killAllMembers);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAllMembers();
      process.exit(130);
    });
  }
}

class MemberProcess {
  readonly child: ChildProcess;
  private readonly exited: Promise<void>;

  constructor(readonly id: number) {
    this.child = fork(MEMBER_SCRIPT, [], {
      execArgv: ['--conditions=source', '--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    live.add(this.child);
    // A send to a member that already died fails here; its exit is what expect() reports.
    this.child.on('error', () => {});
    this.exited = new Promise((resolve) =>
      this.child.once('exit', () => {
        live.delete(this.child);
        resolve();
      }),
    );
  }

  send(message: ParentMessage): void {
    this.child.send(message);
  }

  /** The next message of `type` (register before sending what it answers). */
  expect<T extends ChildMessage['type']>(
    type: T,
    timeoutMs: number,
  ): Promise<Extract<ChildMessage, { type: T }>> {
    const child = this.child;
    return new Promise((resolve, reject) => {
      const done = (err: Error | undefined, message?: ChildMessage): void => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        if (err) reject(err);
        else resolve(message as Extract<ChildMessage, { type: T }>);
      };
      const onMessage = (m: ChildMessage): void => {
        if (m.type === type) done(undefined, m);
        else if (m.type === 'error') done(new Error(`member ${this.id}: ${m.message}`));
      };
      const onExit = (code: number | null, signal: string | null): void =>
        done(new Error(`member ${this.id} exited (${code ?? signal}) before its ${type}`));
      const timer = setTimeout(
        () => done(new Error(`member ${this.id}: no ${type} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  }

  /** Asks the member to close its node; kills it if it has not exited in time (or at once). */
  async stop(gracefully: boolean): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    if (gracefully && this.child.connected) {
      this.send({ type: 'close' });
      const timer = setTimeout(() => this.child.kill('SIGKILL'), CLOSE_TIMEOUT_MS);
      await this.exited;
      clearTimeout(timer);
    } else {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}

/** Each member's first block falls in its own third of the period, so the blocks do not line up. */
function firstBlockAtMs(index: number): number {
  return (index * BLOCK_PERIOD_MS) / IDS.length + Math.random() * BLOCK_JITTER_MS;
}

export async function runClusterPhase(s: PhaseSettings): Promise<MemberReport[]> {
  installExitHook();
  const ports = new Map<number, number>();
  for (const id of IDS) ports.set(id, await freePort());
  const dir = path.join(s.dataDir, `block-${s.blockMs}`);
  const members = IDS.map((id) => new MemberProcess(id));
  let ok = false;
  try {
    const ready = members.map((m) => m.expect('ready', READY_TIMEOUT_MS));
    for (const m of members) {
      const peers = Object.fromEntries([...ports].filter(([id]) => id !== m.id));
      const config = {
        id: m.id,
        clusterId: CLUSTER_ID,
        dataDir: path.join(dir, `n${m.id}`),
        port: ports.get(m.id)!,
        peers,
        thread: s.thread,
      };
      m.send({ type: 'open', config });
    }
    await Promise.all(ready);
    const reportTimeoutMs = s.warmupMs + s.durationMs + s.drainMs + REPORT_SLACK_MS;
    const reports = members.map((m) => m.expect('report', reportTimeoutMs));
    members.forEach((m, i) => {
      const plan: PhasePlan = {
        blockMs: s.blockMs,
        blockKind: s.blockKind,
        rateHz: s.rateHz,
        warmupMs: s.warmupMs,
        durationMs: s.durationMs,
        firstBlockAtMs: firstBlockAtMs(i),
        drainMs: s.drainMs,
      };
      m.send({ type: 'run', plan });
    });
    const got = (await Promise.all(reports)).map((m) => m.report);
    ok = true;
    return got;
  } finally {
    await Promise.all(members.map((m) => m.stop(ok)));
    await rm(dir, { recursive: true, force: true });
  }
}
