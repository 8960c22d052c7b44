// Loopback TCP benchmark of @flotilla/transport: round-trip latency of a
// small message, and throughput of AppendEntries-sized batches, each with
// TCP_NODELAY on and off. Writes benchmarks/results/transport.json.
// Run: cd benchmarks && node --conditions=source --import tsx transport/loopback.ts
import { cpus, platform } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Entry, Message } from '@flotilla/raft';
import { TcpTransport } from '@flotilla/transport';

const HOST = '127.0.0.1';
const RTT_WARMUP = 500;
const RTT_SAMPLES = 5000;
const ENTRIES_PER_APPEND = 64;
const ENTRY_BYTES = 256;
const APPEND_WINDOW = 32;
const THROUGHPUT_MS = 3000;

const quantile = (sorted: readonly number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);

async function pair(noDelay: boolean): Promise<[TcpTransport, TcpTransport]> {
  const two = new TcpTransport({
    id: 2,
    clusterId: 'bench',
    listen: { host: HOST, port: 0 },
    noDelay,
  });
  const port2 = (await two.listening()).port;
  const one = new TcpTransport({
    id: 1,
    clusterId: 'bench',
    listen: { host: HOST, port: 0 },
    noDelay,
    peers: { 2: { host: HOST, port: port2 } },
  });
  two.addPeer(1, { host: HOST, port: (await one.listening()).port });
  const deadline = Date.now() + 5000;
  while (!one.peers().get(2)!.connected || !two.peers().get(1)!.connected) {
    if (Date.now() > deadline) throw new Error('transports did not connect within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return [one, two];
}

/** Ping-pong of a heartbeat and its response, one at a time. */
async function roundTrip(
  one: TcpTransport,
  two: TcpTransport,
): Promise<{ medianUs: number; p99Us: number; samples: number }> {
  two.onMessage((ms) =>
    two.send(
      1,
      ms.map(
        (m) => ({ type: 'heartbeatResp', from: 2, to: 1, term: m.term, context: '' }) as Message,
      ),
    ),
  );
  const samples: number[] = [];
  let sentAt = 0;
  let i = 0;
  await new Promise<void>((resolve) => {
    const ping = (): void => {
      sentAt = nowUs();
      one.send(2, [{ type: 'heartbeat', from: 1, to: 2, term: i, commit: 0, context: '' }]);
    };
    one.onMessage(() => {
      if (i >= RTT_WARMUP) samples.push(nowUs() - sentAt);
      if (++i === RTT_WARMUP + RTT_SAMPLES) resolve();
      else ping();
    });
    ping();
  });
  samples.sort((a, b) => a - b);
  return {
    medianUs: quantile(samples, 0.5),
    p99Us: quantile(samples, 0.99),
    samples: samples.length,
  };
}

/** Appends of 64 × 256-byte entries, at most 32 unacknowledged, for a fixed time. */
async function throughput(one: TcpTransport, two: TcpTransport): Promise<Record<string, number>> {
  const data = new Uint8Array(ENTRY_BYTES).fill(7);
  let index = 0;
  const append = (): Message => {
    const entries: Entry[] = Array.from({ length: ENTRIES_PER_APPEND }, () => ({
      type: 'normal',
      term: 1,
      index: ++index,
      data,
    }));
    return {
      type: 'append',
      from: 1,
      to: 2,
      term: 1,
      prevIndex: index - ENTRIES_PER_APPEND,
      prevTerm: 1,
      commit: 0,
      entries,
    };
  };
  two.onMessage((ms) => {
    const last = ms[ms.length - 1]!;
    const lastIndex = last.type === 'append' ? last.prevIndex + last.entries.length : 0;
    two.send(1, [
      {
        type: 'appendResp',
        from: 2,
        to: 1,
        term: 1,
        reject: false,
        index: lastIndex,
        rejectHint: 0,
        hintTerm: 0,
      },
    ]);
  });
  const sentAt = new Map<number, number>();
  const latencies: number[] = [];
  let acked = 0;
  const start = nowUs();
  const end = start + THROUGHPUT_MS * 1000;
  await new Promise<void>((resolve) => {
    const fill = (): void => {
      while (sentAt.size < APPEND_WINDOW && nowUs() < end) {
        const m = append();
        sentAt.set(index, nowUs());
        one.send(2, [m]);
      }
      if (sentAt.size === 0) resolve();
    };
    one.onMessage((ms) => {
      for (const m of ms) {
        if (m.type !== 'appendResp') continue;
        const t = sentAt.get(m.index);
        if (t === undefined) continue;
        sentAt.delete(m.index);
        latencies.push(nowUs() - t);
        acked++;
      }
      fill();
    });
    fill();
  });
  const seconds = (nowUs() - start) / 1e6;
  latencies.sort((a, b) => a - b);
  const stats = one.stats();
  return {
    appendsPerSec: Math.round(acked / seconds),
    entriesPerSec: Math.round((acked * ENTRIES_PER_APPEND) / seconds),
    payloadMiBPerSec: Number(
      ((acked * ENTRIES_PER_APPEND * ENTRY_BYTES) / seconds / 2 ** 20).toFixed(1),
    ),
    appendLatencyMedianUs: quantile(latencies, 0.5),
    appendLatencyP99Us: quantile(latencies, 0.99),
    appendsAcked: acked,
    dropped: Object.values(stats.dropped).reduce((a, b) => a + b, 0),
  };
}

async function main(): Promise<void> {
  const runs = [];
  for (const noDelay of [true, false]) {
    const [one, two] = await pair(noDelay);
    const rtt = await roundTrip(one, two);
    const tput = await throughput(one, two);
    await one.close();
    await two.close();
    runs.push({ noDelay, roundTrip: rtt, throughput: tput });
    console.log(
      `noDelay=${noDelay}: RTT median ${rtt.medianUs} µs (p99 ${rtt.p99Us}); ${tput.appendsPerSec} appends/s = ${tput.entriesPerSec} entries/s = ${tput.payloadMiBPerSec} MiB/s, append latency median ${tput.appendLatencyMedianUs} µs`,
    );
  }
  const cpu = cpus();
  const result = {
    benchmark: 'transport/loopback',
    date: new Date().toISOString(),
    setup: {
      node: process.version,
      cpu: cpu[0]?.model ?? 'unknown',
      cores: cpu.length,
      platform: platform(),
    },
    params: {
      rttWarmup: RTT_WARMUP,
      rttSamples: RTT_SAMPLES,
      entriesPerAppend: ENTRIES_PER_APPEND,
      entryBytes: ENTRY_BYTES,
      appendWindow: APPEND_WINDOW,
      throughputMs: THROUGHPUT_MS,
    },
    note: 'One run; both transports in one process on 127.0.0.1. RTT = heartbeat → heartbeatResp, one outstanding. Throughput = append of 64 × 256 B entries, 32 unacknowledged at most, each acknowledged by an appendResp.',
    runs,
  };
  const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'results', 'transport.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${out}`);
}

await main();
