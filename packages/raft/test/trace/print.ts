// One-line renderings of the core's data for trace files. Short and stable:
// a trace's diff should read like a protocol description, so every field is
// named and bytes are shown as text.
import type {
  ConfChange,
  Entry,
  HardState,
  Message,
  ProgressStatus,
  Ready,
  SoftState,
} from '@flotilla/raft';

const dec = new TextDecoder();

export function printConfChange(cc: ConfChange): string {
  if (cc.changes.length === 0) return 'leave-joint';
  const parts = cc.changes.map((c) => `${c.op}(${c.nodeId})`);
  return `${cc.joint === true ? 'joint ' : ''}${parts.join(' ')}`;
}

export function printEntry(e: Entry): string {
  if (e.type === 'confChange') return `${e.term}/${e.index} conf ${printConfChange(e.change)}`;
  return e.data.length === 0
    ? `${e.term}/${e.index} no-op`
    : `${e.term}/${e.index} "${dec.decode(e.data)}"`;
}

function entries(es: readonly Entry[]): string {
  return `[${es.map(printEntry).join(', ')}]`;
}

export function printMessage(m: Message): string {
  const head = `${m.from}->${m.to} ${m.type} term=${m.term}`;
  switch (m.type) {
    case 'preVote':
      return `${head} log=${m.lastLogTerm}/${m.lastLogIndex}`;
    case 'vote':
      return `${head} log=${m.lastLogTerm}/${m.lastLogIndex}${m.transfer ? ' transfer' : ''}`;
    case 'preVoteResp':
    case 'voteResp':
      return `${head}${m.reject ? ' reject' : ''}`;
    case 'append':
      return `${head} prev=${m.prevTerm}/${m.prevIndex} commit=${m.commit} ${entries(m.entries)}`;
    case 'appendResp':
      return m.reject
        ? `${head} reject index=${m.index} hint=${m.hintTerm}/${m.rejectHint}`
        : `${head} index=${m.index}`;
    case 'heartbeat':
      return `${head} commit=${m.commit}${m.context === '' ? '' : ` ctx=${m.context}`}`;
    case 'heartbeatResp':
      return `${head}${m.context === '' ? '' : ` ctx=${m.context}`}`;
    case 'snapshot': {
      const meta = m.snapshot.meta;
      return `${head} snapshot=${meta.term}/${meta.index} voters=${meta.confState.voters.join(',')}`;
    }
    case 'timeoutNow':
      return head;
    case 'readIndex':
      return `${head} ctx=${m.context}`;
    case 'readIndexResp':
      return `${head} ctx=${m.context} index=${m.index}${m.reject ? ' reject' : ''}`;
  }
}

function printSoft(s: SoftState): string {
  return `role=${s.role} leader=${s.leader}`;
}

function printHard(h: HardState): string {
  return `term=${h.term} vote=${h.vote} commit=${h.commit}`;
}

/** The Ready's non-empty parts, one per line, indented under the node's header. */
export function printReady(id: number, rd: Ready): string[] {
  const out = [`> ${id} ready${rd.mustSync ? ' (sync)' : ''}`];
  if (rd.softState !== undefined) out.push(`  soft: ${printSoft(rd.softState)}`);
  if (rd.hardState !== undefined) out.push(`  hard: ${printHard(rd.hardState)}`);
  if (rd.snapshot !== undefined) {
    const meta = rd.snapshot.meta;
    out.push(`  snapshot: ${meta.term}/${meta.index} voters=${meta.confState.voters.join(',')}`);
  }
  if (rd.entries.length > 0) out.push(`  persist: ${entries(rd.entries)}`);
  if (rd.committedEntries.length > 0) out.push(`  apply: ${entries(rd.committedEntries)}`);
  for (const m of rd.earlyMessages) out.push(`  send early: ${printMessage(m)}`);
  for (const m of rd.messages) out.push(`  send: ${printMessage(m)}`);
  for (const r of rd.readStates) out.push(`  read ready: ctx=${r.context} index=${r.index}`);
  for (const r of rd.droppedReads) out.push(`  read dropped: ctx=${r.context} ${r.reason}`);
  // hasReady() is conservative (a pending flush may send nothing): show it.
  if (out.length === 1) out.push('  (empty)');
  return out;
}

export function printProgress(id: number, p: ProgressStatus): string {
  const flags = `${p.isLearner ? ' learner' : ''}${p.recentActive ? ' active' : ''}`;
  return `  ${id}: match=${p.match} next=${p.next} ${p.state} inflight=${p.inflight}${flags}`;
}
