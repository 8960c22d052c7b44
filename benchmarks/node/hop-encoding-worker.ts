// hop-encoding.ts's worker: answers each batch of put calls the way
// packages/node's worker flushes answers (one `res` per call, then the
// status), crossing back the way the host set. No node runs here: what is
// timed is the hop. A batch whose first message is `{ t: 'echo' }` comes back
// as decoded (the fidelity check).
import { parentPort } from 'node:worker_threads';
import { threadCpuUs } from '../suite/cpu.js';
import { putAnswers, REVISION_BASE, type PutCall } from './hop-encoding-batches.js';
import { HopSender, receiveBatch, type Crossing, type HopControl } from './hop-encoding-codec.js';

const port = parentPort!;
const sender = new HopSender(port);
let how: Crossing = 'clone';
let revision = REVISION_BASE;

port.on('message', (data: unknown) => {
  if (!Array.isArray(data) && !(data instanceof Uint8Array)) {
    control(data as HopControl);
    return;
  }
  const batch = receiveBatch(data);
  sender.send((batch[0] as { t?: string }).t === 'echo' ? batch : answer(batch as PutCall[]), how);
});

function answer(calls: PutCall[]): unknown[] {
  // Read what a node reads of each call: its request's bytes.
  let bytes = 0;
  for (const c of calls) bytes += c.args[0].key.byteLength + c.args[0].value.byteLength;
  if (bytes === 0) throw new Error('a put batch arrived without its keys and values');
  const answers = putAnswers(calls, revision);
  revision += calls.length;
  return answers;
}

function control(c: HopControl): void {
  if (c.ctl === 'crossing') how = c.how;
  else port.postMessage({ ctl: 'cpu', us: threadCpuUs() } satisfies HopControl);
}
