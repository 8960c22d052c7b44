// The simulator's parts on their own: the station (frames kept across a
// node's restart, as TCP send queues keep them) and the mutual-exclusion check.
import { describe, expect, it } from 'vitest';
import type { Message } from '@flotilla/raft';
import { seededRng } from '@flotilla/raft';
import { MemoryNetwork, VirtualClock } from '@flotilla/transport';
import { checkMutex, type LockHold } from '../src/checker/mutex.js';
import { Station } from '../src/cluster-sim/station.js';

const heartbeat = (from: number, to: number, term: number): Message =>
  ({ type: 'heartbeat', from, to, term, commit: 0 }) as unknown as Message;

function setup(reconnectMsMax: number, backlogMessagesMax = 100) {
  const clock = new VirtualClock();
  const network = new MemoryNetwork({ clock, rng: seededRng(1) });
  const sender = network.transport(1);
  const station = new Station(network, 2, clock, seededRng(2), {
    reconnectMsMax,
    backlogMessagesMax,
  });
  return { clock, sender, station };
}

describe('station', () => {
  it('delivers at once to a running incarnation', () => {
    const { clock, sender, station } = setup(50);
    const got: number[] = [];
    station.attach().onMessage((ms) => got.push(...ms.map((m) => m.term)));
    sender.send(2, [heartbeat(1, 2, 1)]);
    clock.runUntil(0);
    expect(got).toEqual([1]);
  });

  it('keeps frames sent while the node is down and delivers them, in order and before newer ones, to the next incarnation', async () => {
    const { clock, sender, station } = setup(30);
    const old: number[] = [];
    const first = station.attach();
    first.onMessage((ms) => old.push(...ms.map((m) => m.term)));
    sender.send(2, [heartbeat(1, 2, 1)]);
    clock.runUntil(1);
    await first.close();
    sender.send(2, [heartbeat(1, 2, 2), heartbeat(1, 2, 3)]);
    clock.runUntil(10);
    const got: number[] = [];
    station.attach().onMessage((ms) => got.push(...ms.map((m) => m.term)));
    sender.send(2, [heartbeat(1, 2, 4)]);
    clock.runUntil(10);
    expect(got).toEqual([]); // the link is still reconnecting: newer frames queue behind the backlog
    clock.runUntil(50);
    expect(old).toEqual([1]);
    expect(got).toEqual([2, 3, 4]);
    expect(station.replayed).toBe(3);
  });

  it('bounds the backlog like a send queue: the oldest frames go first', async () => {
    const { clock, sender, station } = setup(0, 2);
    await station.attach().close();
    for (let t = 1; t <= 5; t++) sender.send(2, [heartbeat(1, 2, t)]);
    clock.runUntil(5);
    const got: number[] = [];
    station.attach().onMessage((ms) => got.push(...ms.map((m) => m.term)));
    clock.runUntil(10);
    expect(got).toEqual([4, 5]);
  });
});

describe('checkMutex', () => {
  const hold = (client: number, acquiredMs: number, endMs: number): LockHold => ({
    client,
    leaseId: client,
    revision: client,
    acquiredMs,
    endMs,
    endedBy: 'release',
  });

  it('flags two holds that overlap, in either order of acquisition', () => {
    expect(checkMutex([hold(1, 0, 100), hold(2, 50, 150)])).toHaveLength(1);
    expect(checkMutex([hold(2, 50, 60), hold(1, 0, 100)])).toHaveLength(1);
    expect(checkMutex([hold(1, 0, 100), hold(2, 0, 10), hold(3, 5, 6)])).toHaveLength(3);
  });

  it('accepts holds that follow each other or only touch', () => {
    expect(checkMutex([hold(1, 0, 100), hold(2, 100, 200), hold(3, 250, 300)])).toEqual([]);
    expect(checkMutex([hold(1, 0, 0), hold(2, 0, 10)])).toEqual([]);
  });
});
