// CPU time spent on a load by every process of a target: the members and
// the client (this benchmark process, which also holds flotilla-embedded's n1).
// Child processes from /proc/<pid>/stat (utime + stime, all their threads:
// libuv's pool, etcd's goroutines); this process from process.cpuUsage().
// Per committed write = the sum ÷ the writes acknowledged in the load.
// threadCpuUs: one thread's own CPU (node/hop-encoding.ts splits host and worker).
import fs from 'node:fs';
import { round } from './histogram.js';

/** USER_HZ: the unit of /proc/<pid>/stat's times. 100 on every Linux this runs on (getconf CLK_TCK). */
const CLOCK_TICKS_PER_S = 100;

export interface CpuRecord {
  /** CPU time of all processes (members + client) per acknowledged write, in µs. */
  readonly usPerWrite: number;
  /** CPU ms per process over the load: "client" is this process, then "member i". */
  readonly byProcessMs: Readonly<Record<string, number>>;
  /** Wall time of the load (s): byProcessMs ÷ this ÷ 1000 is how busy each process was (cores). */
  readonly seconds: number;
}

/** CPU ms used so far by a child process, or undefined if it is gone or this is not Linux. */
export function procCpuMs(pid: number): number | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Field 2 (comm) is in parentheses and may hold spaces: count fields after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state): utime is field 14, stime field 15.
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return ((utime + stime) * 1000) / CLOCK_TICKS_PER_S;
}

const selfCpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

export interface CpuMark {
  readonly atMs: number;
  readonly self: number;
  readonly members: readonly (number | undefined)[];
}

/** Reads every process's CPU time now. `pids`: the target's members (this process's pid for an in-process one). */
export function cpuMark(pids: readonly (number | undefined)[]): CpuMark {
  return {
    atMs: performance.now(),
    self: selfCpuMs(),
    members: pids.map((pid) =>
      pid === undefined || pid === process.pid ? undefined : procCpuMs(pid),
    ),
  };
}

/** CPU between two marks, per acknowledged write. Members that ran in this process are in "client". */
export function cpuBetween(a: CpuMark, b: CpuMark, writes: number): CpuRecord {
  const byProcessMs: Record<string, number> = { client: round(b.self - a.self) };
  let members = 0;
  b.members.forEach((end, i) => {
    const start = a.members[i];
    if (end === undefined || start === undefined) return;
    byProcessMs[`member ${i}`] = round(end - start);
    members += end - start;
  });
  const total = b.self - a.self + members;
  const per = (ms: number): number => (writes > 0 ? round((ms * 1000) / writes) : 0);
  return { usPerWrite: per(total), byProcessMs, seconds: round((b.atMs - a.atMs) / 1000) };
}

/**
 * CPU µs used so far by the calling thread (a worker's own, unlike process.cpuUsage()), from the
 * scheduler's nanosecond count in /proc/thread-self/schedstat; undefined where that is missing.
 */
export function threadCpuUs(): number | undefined {
  let text: string;
  try {
    text = fs.readFileSync('/proc/thread-self/schedstat', 'utf8');
  } catch {
    return undefined;
  }
  const ns = Number(text.split(' ')[0]);
  return Number.isFinite(ns) ? ns / 1000 : undefined;
}
