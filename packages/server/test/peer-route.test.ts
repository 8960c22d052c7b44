// `flotilla start --peer-route NAME=URL`: a local dial route wins over the peer
// URL announced for a member (member add, a peer announcement), and is never
// what member list reports. The node is a recording stand-in: what matters is
// the address the adapter hands to the transport.
import { describe, expect, it } from 'vitest';
import type { FlotillaNode } from '@flotilla/node';
import type { ConfChange, ConfState } from '@flotilla/raft';
import { MemberDirectory } from '../src/cluster/directory.js';
import { memberIdOf } from '../src/cluster/member-id.js';
import { servedNode } from '../src/cluster/node-adapter.js';
import { fromEnv, parsePeerRoutes, resolveStartConfig } from '../src/cli/config.js';
import { UsageError } from '../src/cli/errors.js';

const N1 = memberIdOf('n1');
const N2 = memberIdOf('n2');
const N3 = memberIdOf('n3');

/** Just enough of a FlotillaNode for membership: a configuration that conf changes edit, and the addPeer calls. */
function recordingNode(voters: number[]): { node: FlotillaNode; dialled: [number, string][] } {
  const dialled: [number, string][] = [];
  let conf: ConfState = { voters, votersOutgoing: [], learners: [], learnersNext: [] };
  const fake = {
    id: N1,
    clusterId: 'routes',
    status: () => ({ id: N1, confState: conf }),
    addPeer: (id: number, a: { host: string; port: number }) =>
      dialled.push([id, `${a.host}:${a.port}`]),
    confChange: async (change: ConfChange) => {
      for (const c of change.changes)
        if (c.op === 'addVoter') conf = { ...conf, voters: [...conf.voters, c.nodeId] };
      return conf;
    },
    addMember(m: { id: number; isLearner: boolean }, a: { host: string; port: number }) {
      fake.addPeer(m.id, a);
      return fake.confChange({ changes: [{ op: 'addVoter', nodeId: m.id }] });
    },
    members: { get: () => undefined },
  };
  return { node: fake as unknown as FlotillaNode, dialled };
}

describe('--peer-route', () => {
  it('a route wins over the peer URL announced by member add, and member list still shows the announced URL', async () => {
    const { node, dialled } = recordingNode([N1, N2]);
    const directory = new MemberDirectory([], new Map([[N3, 'http://127.0.0.1:7013']]));
    const served = servedNode(node, { directory });
    await served.addMember({ name: 'n3', peerUrls: ['http://127.0.0.1:2380'], isLearner: false });
    expect(dialled).toEqual([[N3, '127.0.0.1:7013']]);
    const listed = (await served.members()).find((m) => m.id === N3);
    expect(listed?.peerUrls).toEqual(['http://127.0.0.1:2380']);
  });

  it('a route wins over a peer announced by another member; a member without a route is dialled where announced', () => {
    const { node, dialled } = recordingNode([N1, N2, N3]);
    const served = servedNode(node, {
      directory: new MemberDirectory([], new Map([[N3, 'http://127.0.0.1:7013']])),
    });
    served.learnPeer({ id: N3, name: 'n3', peerUrls: ['http://127.0.0.1:2380'], clientUrls: [] });
    served.learnPeer({ id: N2, name: 'n2', peerUrls: ['http://127.0.0.1:2480'], clientUrls: [] });
    expect(dialled).toEqual([
      [N3, '127.0.0.1:7013'],
      [N2, '127.0.0.1:2480'],
    ]);
  });

  it('is read from the flag, the environment or the file, keyed by member id', () => {
    const config = resolveStartConfig(
      {
        name: 'n1',
        initialCluster: 'n1=http://127.0.0.1:2380,n2=http://127.0.0.1:2480',
        peerRoute: 'n2=http://127.0.0.1:7012/, n3=http://localhost:7013',
      },
      {},
      {},
    );
    expect(config.peerRoutes).toEqual([
      { name: 'n2', id: N2, url: 'http://127.0.0.1:7012' },
      { name: 'n3', id: N3, url: 'http://localhost:7013' },
    ]);
    expect(resolveStartConfig({ name: 'n1' }, {}, {}).peerRoutes).toEqual([]);
    const fromEnvOnly = resolveStartConfig(
      { name: 'n1' },
      fromEnv({ FLOTILLA_PEER_ROUTE: 'n2=http://127.0.0.1:7022' }),
      { peerRoute: 'n2=http://127.0.0.1:7032' },
    );
    expect(fromEnvOnly.peerRoutes.map((r) => r.url)).toEqual(['http://127.0.0.1:7022']);
    expect(
      resolveStartConfig(
        { name: 'n1' },
        {},
        { peerRoute: 'n2=http://127.0.0.1:7032' },
      ).peerRoutes.map((r) => r.url),
    ).toEqual(['http://127.0.0.1:7032']);
  });

  it('refuses a malformed value with a UsageError that says what to write', () => {
    const cases: [string, RegExp][] = [
      ['n2', /entries are NAME=URL/],
      ['=http://127.0.0.1:1', /entries are NAME=URL/],
      ['n2=127.0.0.1:7012', /--peer-route URL of n2 must be a URL/],
      ['n2=http://127.0.0.1', /with a port/],
      ['n2=http://127.0.0.1:1,n2=http://127.0.0.1:2', /names n2 twice/],
      ['n1=http://127.0.0.1:1', /names this member \(n1\)/],
    ];
    for (const [text, message] of cases) {
      expect(() => parsePeerRoutes(text, 'n1'), text).toThrow(UsageError);
      expect(() => parsePeerRoutes(text, 'n1'), text).toThrow(message);
    }
  });
});
