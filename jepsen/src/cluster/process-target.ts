// What the Flotilla and etcd targets share: a fixed list of member processes,
// each started at most once at a time and forgotten when it exits, signalled,
// and all killed (paused ones first resumed) on close. Subclasses say how a
// member is started and which client talks to it.
import type { ChildProcess } from 'node:child_process';
import type { Network } from './network.js';
import { isAlive, signalChild, spawnLogged } from './process.js';

export interface ProcessMember {
  readonly name: string;
  readonly clientUrl: string;
  readonly logFile: string;
  child: ChildProcess | undefined;
}

export abstract class ProcessTarget<M extends ProcessMember> {
  readonly memberIndex = new Map<string, number>();

  protected constructor(
    readonly network: Network,
    protected readonly members: readonly M[],
  ) {}

  get size(): number {
    return this.members.length;
  }

  get names(): string[] {
    return this.members.map((m) => m.name);
  }

  protected member(node: number): M {
    const m = this.members[node];
    if (!m) throw new RangeError(`no node ${node} in a cluster of ${this.size}`);
    return m;
  }

  /** Runs `command args` for node `m` unless it is running; the child is forgotten when it exits. */
  protected spawn(m: M, command: string, args: readonly string[]): void {
    if (isAlive(m.child)) return;
    const child = spawnLogged(command, [...args], m.logFile);
    m.child = child;
    child.once('exit', () => {
      if (m.child === child) m.child = undefined;
    });
  }

  async signal(node: number, signal: NodeJS.Signals): Promise<void> {
    await signalChild(this.member(node).child, signal);
  }

  isRunning(node: number): boolean {
    return isAlive(this.member(node).child);
  }

  clientUrl(node: number): string {
    return this.member(node).clientUrl;
  }

  logFile(node: number): string {
    return this.member(node).logFile;
  }

  async close(): Promise<void> {
    await Promise.all(
      this.members.map(async (m) => {
        if (isAlive(m.child)) await signalChild(m.child, 'SIGCONT');
        await signalChild(m.child, 'SIGKILL');
      }),
    );
    await this.network.close();
  }
}
