// One member process of the busy-host benchmark (forked by busy-host.ts): a
// "service" that embeds one Flotilla member with openNode, writes through it
// and stalls its own event loop. Driven by the parent over IPC
// (busy-host-protocol.ts): open → ready, run → report, close → exit.
import { openNode, type FlotillaNode, type OpenNodeOptions } from '@flotilla/node';
import { runMemberPhase } from './busy-host-load.js';
import type { ChildMessage, MemberConfig, ParentMessage, PhasePlan } from './busy-host-protocol.js';

const READY_TIMEOUT_MS = 30_000;
let node: FlotillaNode | undefined;
let config: MemberConfig | undefined;

function send(message: ChildMessage): void {
  process.send?.(message);
}

async function open(c: MemberConfig): Promise<void> {
  config = c;
  const options: OpenNodeOptions = {
    id: c.id,
    clusterId: c.clusterId,
    dataDir: c.dataDir,
    listen: { host: '127.0.0.1', port: c.port },
    peers: Object.fromEntries(
      Object.entries(c.peers).map(([id, port]) => [id, { host: '127.0.0.1', port }]),
    ),
  };
  // `thread` is openNode's worker-thread option from issue #15 (consensus in its own
  // worker_threads worker, or 'inline' in the host's loop). It is passed only when the
  // benchmark was asked for it, through a cast, so this also runs on builds without it.
  node = await openNode(
    (c.thread === undefined ? options : { ...options, thread: c.thread }) as OpenNodeOptions,
  );
  await node.ready({ timeoutMs: READY_TIMEOUT_MS });
  const s = node.status();
  send({ type: 'ready', view: { term: s.term, leader: s.leader } });
}

async function run(plan: PhasePlan): Promise<void> {
  if (node === undefined || config === undefined) throw new Error('run before open');
  const measured = await runMemberPhase(node, config.id, plan);
  send({ type: 'report', report: { id: config.id, pid: process.pid, ...measured } });
}

async function close(): Promise<void> {
  await node?.close();
  process.exit(0); // the parent waits for this exit
}

async function handle(message: ParentMessage): Promise<void> {
  if (message.type === 'open') await open(message.config);
  else if (message.type === 'run') await run(message.plan);
  else await close();
}

process.on('message', (message: ParentMessage) => {
  handle(message).catch((err: unknown) => {
    send({
      type: 'error',
      message: err instanceof Error ? (err.stack ?? err.message) : String(err),
    });
  });
});
// The parent gone (killed, crashed): never linger as a stray member holding ports.
process.on('disconnect', () => process.exit(0));
