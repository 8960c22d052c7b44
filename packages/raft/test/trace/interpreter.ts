// Runs trace commands against real RawNodes (harness.ts's SimNode: a memory
// log, a toy state machine) over a FIFO network that only moves when told to.
// Every command returns what it printed, so a trace file shows exactly which
// messages and Ready batches a scenario produces. Commands (args in order):
//
//   add-nodes N [learners=4,5] [pre-vote] [check-quorum] [lease-reads]
//             [election=E] [heartbeat=H] [lease-guard]   voters 1..N, learners after
//   add-node ID voters=1,2,3                              a node booted later
//   campaign ID | tick ID [N] | restart ID | compact ID
//   propose ID TEXT | propose-conf ID addVoter(4) removeNode(2) [joint] | leave-joint ID
//   read-index ID CTX | transfer ID TO | report-unreachable ID PEER
//   process-ready [ID...]   one Ready per node (all nodes when none named)
//   deliver [ID...]         the queued messages to those recipients (all when none)
//   stabilize [ID...]       process-ready and deliver until nothing moves
//   partition A,B C         split into groups; messages across groups are dropped
//   heal | status ID | log ID
import type { ConfChangeSingle, Message, NodeId } from '@flotilla/raft';
import { bytes, type NodeOptions, SimNode } from '../harness.js';
import { printEntry, printMessage, printProgress, printReady } from './print.js';

interface Args {
  readonly positional: string[];
  readonly flags: Map<string, string>;
}

function parseArgs(words: string[]): Args {
  const positional: string[] = [];
  const flags = new Map<string, string>();
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq > 0) flags.set(w.slice(0, eq), w.slice(eq + 1));
    else if (/^[a-z-]+$/.test(w) && !/^\d/.test(w)) flags.set(w, 'true');
    else positional.push(w);
  }
  return { positional, flags };
}

const ids = (s: string | undefined): NodeId[] =>
  s === undefined || s === '' ? [] : s.split(',').map((x) => intArg(x, 'node id'));

function intArg(s: string | undefined, what: string): number {
  const n = Number(s);
  if (s === undefined || !Number.isInteger(n)) throw new Error(`expected ${what}, got '${s}'`);
  return n;
}

export class TraceNetwork {
  private readonly nodes = new Map<NodeId, SimNode>();
  private queue: Message[] = [];
  private groups: NodeId[][] = [];
  private options: NodeOptions = {};

  run(command: string): string {
    const [name, ...words] = command.trim().split(/\s+/);
    const a = parseArgs(words);
    const out = this.dispatch(name ?? '', a, words);
    return out.length === 0 ? 'ok' : out.join('\n');
  }

  private dispatch(name: string, a: Args, words: string[]): string[] {
    const p = a.positional;
    switch (name) {
      case 'add-nodes':
        return this.addNodes(intArg(p[0], 'a node count'), a.flags);
      case 'add-node':
        return this.addNode(intArg(p[0], 'a node id'), ids(a.flags.get('voters')));
      case 'campaign':
        this.node(p[0]).raw.campaign();
        return [];
      case 'tick': {
        const n = this.node(p[0]);
        for (let i = 0; i < (p[1] === undefined ? 1 : intArg(p[1], 'a tick count')); i++)
          n.raw.tick();
        return [];
      }
      case 'restart':
        this.node(p[0]).restart();
        return [];
      case 'compact': {
        const meta = this.node(p[0]).compact();
        return [`compacted to ${meta.term}/${meta.index}`];
      }
      case 'propose':
        return this.result(this.node(p[0]).raw.propose(bytes(words.slice(1).join(' '))));
      case 'propose-conf':
        return this.result(
          this.node(p[0]).raw.proposeConfChange({
            changes: p.slice(1).map(parseChange),
            ...(a.flags.has('joint') ? { joint: true } : {}),
          }),
        );
      case 'leave-joint':
        return this.result(this.node(p[0]).raw.proposeConfChange({ changes: [] }));
      case 'read-index':
        return this.result(this.node(p[0]).raw.readIndex(words[1] ?? ''));
      case 'transfer':
        return this.result(this.node(p[0]).raw.transferLeadership(intArg(p[1], 'a node id')));
      case 'report-unreachable':
        this.node(p[0]).raw.reportUnreachable(intArg(p[1], 'a node id'));
        return [];
      case 'process-ready':
        return this.processReady(this.targets(p));
      case 'deliver':
        return this.deliver(this.targets(p));
      case 'stabilize':
        return this.stabilize(this.targets(p));
      case 'partition':
        this.groups = p.map(ids);
        return [];
      case 'heal':
        this.groups = [];
        return [];
      case 'status':
        return this.status(this.node(p[0]));
      case 'log':
        return this.log(this.node(p[0]));
      default:
        throw new Error(`unknown trace command '${name}'`);
    }
  }

  private addNodes(count: number, flags: Map<string, string>): string[] {
    const voters = Array.from({ length: count }, (_, i) => i + 1);
    const learners = ids(flags.get('learners'));
    this.options = {
      electionTicks: flags.has('election') ? intArg(flags.get('election'), 'ticks') : 10,
      heartbeatTicks: flags.has('heartbeat') ? intArg(flags.get('heartbeat'), 'ticks') : 1,
      preVote: flags.has('pre-vote'),
      checkQuorum: flags.has('check-quorum') || flags.has('lease-reads'),
      leaseGuardAtRestart: flags.has('lease-guard'),
      ...(flags.has('lease-reads') ? { readOnly: 'leaseBased' as const } : {}),
    };
    const conf = { voters, votersOutgoing: [], learners, learnersNext: [] };
    for (const id of [...voters, ...learners])
      this.nodes.set(id, new SimNode(id, conf, this.options, id));
    return [
      `voters=${voters.join(',')}${learners.length > 0 ? ` learners=${learners.join(',')}` : ''}`,
    ];
  }

  private addNode(id: NodeId, voters: NodeId[]): string[] {
    const conf = { voters, votersOutgoing: [], learners: [], learnersNext: [] };
    this.nodes.set(id, new SimNode(id, conf, this.options, id));
    return [];
  }

  private node(s: string | undefined): SimNode {
    const n = this.nodes.get(intArg(s, 'a node id'));
    if (n === undefined) throw new Error(`no node ${s}`);
    return n;
  }

  private targets(p: string[]): NodeId[] {
    return p.length === 0
      ? [...this.nodes.keys()].sort((x, y) => x - y)
      : p.map((s) => this.node(s).id);
  }

  private result(
    r: { ok: true; index?: number; term?: number } | { ok: false; error: Error },
  ): string[] {
    if (r.ok) return r.index === undefined ? [] : [`accepted at ${r.term}/${r.index}`];
    return [`refused: ${r.error.name}: ${r.error.message}`];
  }

  private processReady(targets: NodeId[]): string[] {
    const out: string[] = [];
    for (const id of targets) {
      const n = this.nodes.get(id)!;
      if (!n.raw.hasReady()) continue;
      const rd = n.raw.ready();
      out.push(...printReady(id, rd));
      this.enqueue(n, rd.earlyMessages);
      n.persist(rd.snapshot, rd.entries, rd.hardState);
      this.enqueue(n, rd.messages);
      n.apply(rd.snapshot, rd.committedEntries);
      n.raw.advance(rd);
    }
    return out;
  }

  private enqueue(from: SimNode, msgs: readonly Message[]): void {
    for (const m of msgs) {
      if (m.type !== 'snapshot') {
        this.queue.push(m);
        continue;
      }
      // The driver's part of the contract: fill in the data, report the send.
      const snap = from.storage.snapshot!;
      this.queue.push({ ...m, snapshot: { meta: m.snapshot.meta, data: snap.data } });
      from.raw.reportSnapshot(m.to, true);
    }
  }

  private cut(m: Message): boolean {
    if (this.groups.length === 0) return false;
    const g = (id: NodeId) => this.groups.findIndex((grp) => grp.includes(id));
    return g(m.from) !== g(m.to);
  }

  private deliver(targets: NodeId[]): string[] {
    const now = this.queue.filter((m) => targets.includes(m.to));
    this.queue = this.queue.filter((m) => !targets.includes(m.to));
    const out: string[] = [];
    for (const m of now) {
      const to = this.nodes.get(m.to);
      if (to === undefined || this.cut(m)) {
        out.push(`  dropped: ${printMessage(m)}`);
        continue;
      }
      const r = to.raw.step(m);
      out.push(`  deliver: ${printMessage(m)}${r.ok ? '' : ` (refused: ${r.error.message})`}`);
    }
    return out;
  }

  private stabilize(targets: NodeId[]): string[] {
    const out: string[] = [];
    for (let round = 0; round < 1000; round++) {
      const ready = this.processReady(targets);
      const delivered = this.deliver(targets);
      if (ready.length === 0 && delivered.length === 0) return out;
      out.push(...ready, ...delivered);
    }
    throw new Error('stabilize: still moving after 1000 rounds');
  }

  private status(n: SimNode): string[] {
    const s = n.raw.status();
    const conf = s.confState;
    const out = [
      `${n.id}: role=${s.softState.role} term=${s.hardState.term} vote=${s.hardState.vote} leader=${s.softState.leader}`,
      `  commit=${s.hardState.commit} applied=${s.applied} log=${s.firstIndex}..${s.lastIndex}`,
      `  voters=${conf.voters.join(',')}${conf.votersOutgoing.length > 0 ? ` outgoing=${conf.votersOutgoing.join(',')}` : ''}${conf.learners.length > 0 ? ` learners=${conf.learners.join(',')}` : ''}`,
    ];
    for (const [id, p] of [...(s.progress ?? new Map())].sort((x, y) => x[0] - y[0])) {
      out.push(printProgress(id, p));
    }
    return out;
  }

  private log(n: SimNode): string[] {
    const snap = n.storage.snapshot;
    const out = snap === undefined ? [] : [`snapshot ${snap.meta.term}/${snap.meta.index}`];
    out.push(...n.storage.entries.map(printEntry));
    out.push(`applied: [${n.applied.join(', ')}]`);
    return out;
  }
}

function parseChange(s: string): ConfChangeSingle {
  const m = /^(addVoter|addLearner|removeNode)\((\d+)\)$/.exec(s);
  if (m === null)
    throw new Error(`expected addVoter(N), addLearner(N) or removeNode(N), got '${s}'`);
  return { op: m[1] as ConfChangeSingle['op'], nodeId: Number(m[2]) };
}
