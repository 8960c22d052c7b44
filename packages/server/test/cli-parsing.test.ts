import { describe, expect, it } from 'vitest';
import { fromEnv, parseInitialCluster, resolveStartConfig, envName } from '../src/cli/config.js';
import { UsageError } from '../src/cli/errors.js';
import { hexId, memberIdOf, parseHexId } from '../src/cli/ids.js';
import { extractGlobals } from '../src/cli/globals.js';
import { parseTxnInput, words } from '../src/cli/txn-parse.js';

describe('member ids', () => {
  it('derive from the name alone, so order in --initial-cluster does not matter', () => {
    const a = parseInitialCluster('n1=http://127.0.0.1:1,n2=http://127.0.0.1:2');
    const b2 = parseInitialCluster('n2=http://127.0.0.1:2,n1=http://127.0.0.1:1');
    expect(a.find((m) => m.name === 'n1')?.id).toBe(b2.find((m) => m.name === 'n1')?.id);
    expect(memberIdOf('n1')).not.toBe(memberIdOf('n2'));
    expect(memberIdOf('n1')).toBeGreaterThan(0);
  });

  it('print and parse as hex like etcdctl', () => {
    const id = memberIdOf('n3');
    expect(parseHexId(hexId(id), 'id')).toBe(id);
    expect(() => parseHexId('xyz', 'member id')).toThrow(UsageError);
  });
});

describe('start configuration', () => {
  const cluster = 'n1=http://127.0.0.1:2380,n2=http://127.0.0.1:2480';

  it('takes flags over environment over file', () => {
    const file = { name: 'n1', dataDir: '/file', logLevel: 'debug', initialCluster: cluster };
    const env = fromEnv({ FLOTILLA_DATA_DIR: '/env', FLOTILLA_LOG_LEVEL: 'error' });
    const config = resolveStartConfig({ dataDir: '/flag' }, env, file);
    expect(config.dataDir).toBe('/flag');
    expect(config.logLevel).toBe('error');
    expect(config.name).toBe('n1');
    expect(config.id).toBe(memberIdOf('n1'));
    expect(config.listenPeer.port).toBe('2380');
    expect(envName('initialClusterState')).toBe('FLOTILLA_INITIAL_CLUSTER_STATE');
  });

  it('refuses a name missing from the cluster, a peer port that disagrees, and bad values', () => {
    expect(() => resolveStartConfig({ name: 'n9', initialCluster: cluster }, {}, {})).toThrow(/not in --initial-cluster/);
    expect(() => resolveStartConfig({ name: 'n1', initialCluster: cluster, listenPeer: 'http://127.0.0.1:9999' }, {}, {})).toThrow(/differs/);
    expect(() => resolveStartConfig({ name: 'n1', initialCluster: 'n1=nonsense' }, {}, {})).toThrow(UsageError);
    expect(() => resolveStartConfig({ name: 'n1', initialCluster: cluster, tickMs: '0' }, {}, {})).toThrow(/tick-ms/);
    expect(() => resolveStartConfig({ name: 'n1', initialCluster: cluster, logLevel: 'loud' }, {}, {})).toThrow(/log-level/);
    expect(() => parseInitialCluster('n1=http://127.0.0.1:1,n1=http://127.0.0.1:2')).toThrow(/twice/);
  });

  it('knows its own client URL for member list, and others from --initial-cluster-clients', () => {
    const config = resolveStartConfig({ name: 'n1', initialCluster: cluster, listenClient: 'http://127.0.0.1:2379', initialClusterClients: 'n2=http://127.0.0.1:2479' }, {}, {});
    expect(config.clientUrls.get('n1')).toBe('http://127.0.0.1:2379');
    expect(config.clientUrls.get('n2')).toBe('http://127.0.0.1:2479');
  });
});

describe('global flags', () => {
  it('are taken from anywhere in the arguments, with the environment as default', () => {
    const g = extractGlobals(['get', '--endpoints=http://a:1,http://b:2', 'k', '--command-timeout', '500'], { FLOTILLA_ENDPOINTS: 'http://c:3' });
    expect(g).toEqual({ endpoints: ['http://a:1', 'http://b:2'], timeoutMs: 500, rest: ['get', 'k'] });
    expect(extractGlobals(['get'], { FLOTILLA_ENDPOINTS: 'http://c:3' }).endpoints).toEqual(['http://c:3']);
    expect(() => extractGlobals(['get', '--endpoints'], {})).toThrow(UsageError);
  });
});

describe('txn input (etcdctl format)', () => {
  it('reads compares, success and failure sections', () => {
    const txn = parseTxnInput('mod("k") > "0"\nvalue("k") = "a b"\n\nput k "new value"\nget k\n\ndel k --prefix\n');
    expect(txn.compare).toEqual([
      { key: 'k', target: 'MOD', result: '>', number: 0 },
      { key: 'k', target: 'VALUE', result: '=', value: 'a b' },
    ]);
    expect(txn.success).toEqual([{ put: { key: 'k', value: 'new value' } }, { range: { key: 'k' } }]);
    expect(txn.failure).toEqual([{ delete: { prefix: 'k' } }]);
  });

  it('splits quoted words with escapes', () => {
    expect(words('put "a key" "say \\"hi\\""')).toEqual(['put', 'a key', 'say "hi"']);
  });

  it('names the line of a mistake', () => {
    expect(() => parseTxnInput('nonsense\n')).toThrow(/line 1/);
    expect(() => parseTxnInput('\n\nfrobnicate k\n')).toThrow(/line 3/);
    expect(() => parseTxnInput('version("k") = "x"\n')).toThrow(/number/);
    expect(() => parseTxnInput('\nget k --bogus\n')).toThrow(/unknown flag/);
  });
});
