import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  fromEnv,
  fromFile,
  parseInitialCluster,
  resolveStartConfig,
  envName,
} from '../src/cli/config.js';
import { UsageError } from '../src/cli/errors.js';
import { hexId, memberIdOf, parseHexId } from '../src/cli/ids.js';
import type { Command } from 'commander';
import { parseDurationMs } from '../src/cli/duration.js';
import type { GlobalOptions } from '../src/cli/globals.js';
import { buildProgram } from '../src/cli/program.js';
import { Runner } from '../src/cli/runner.js';
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

  it("takes the client port's overload limits (durations for the timeouts) and leaves the rest to their defaults", () => {
    const base = { name: 'n1', initialCluster: cluster };
    expect(resolveStartConfig(base, {}, {}).httpLimits).toBeUndefined();
    const config = resolveStartConfig(
      {
        ...base,
        inflightBodyBytesMax: '16777216',
        headersTimeout: '5s',
        watchStreamsPerConnectionMax: '4',
      },
      fromEnv({ FLOTILLA_CONNECTIONS_MAX: '100' }),
      { requestTimeout: '1m' },
    );
    expect(config.httpLimits).toEqual({
      inflightBodyBytesMax: 16_777_216,
      headersTimeoutMs: 5_000,
      requestTimeoutMs: 60_000,
      connectionsMax: 100,
      watchStreamsPerConnectionMax: 4,
    });
    expect(() => resolveStartConfig({ ...base, headersTimeout: 'soon' }, {}, {})).toThrow(
      /--headers-timeout/,
    );
    expect(() => resolveStartConfig({ ...base, connectionsMax: '-1' }, {}, {})).toThrow(
      /--connections-max must be a positive integer/,
    );
    expect(() => resolveStartConfig({ ...base, inflightBodyBytesMax: '1000' }, {}, {})).toThrow(
      UsageError,
    );
  });

  it('refuses a name missing from the cluster, a peer port that disagrees, and bad values', () => {
    expect(() => resolveStartConfig({ name: 'n9', initialCluster: cluster }, {}, {})).toThrow(
      /not in --initial-cluster/,
    );
    expect(() =>
      resolveStartConfig(
        { name: 'n1', initialCluster: cluster, listenPeer: 'http://127.0.0.1:9999' },
        {},
        {},
      ),
    ).toThrow(/differs/);
    expect(() => resolveStartConfig({ name: 'n1', initialCluster: 'n1=nonsense' }, {}, {})).toThrow(
      UsageError,
    );
    expect(() =>
      resolveStartConfig({ name: 'n1', initialCluster: cluster, tickMs: '0' }, {}, {}),
    ).toThrow(/tick-ms/);
    expect(() =>
      resolveStartConfig({ name: 'n1', initialCluster: cluster, logLevel: 'loud' }, {}, {}),
    ).toThrow(/log-level/);
    expect(() => parseInitialCluster('n1=http://127.0.0.1:1,n1=http://127.0.0.1:2')).toThrow(
      /twice/,
    );
  });

  it('knows its own client URL for member list, and others from --initial-cluster-clients', () => {
    const config = resolveStartConfig(
      {
        name: 'n1',
        initialCluster: cluster,
        listenClient: 'http://127.0.0.1:2379',
        initialClusterClients: 'n2=http://127.0.0.1:2479',
      },
      {},
      {},
    );
    expect(config.clientUrls.get('n1')).toBe('http://127.0.0.1:2379');
    expect(config.clientUrls.get('n2')).toBe('http://127.0.0.1:2479');
  });
});

describe('start TLS settings', () => {
  const tlsCluster = 'n1=https://127.0.0.1:2380,n2=https://127.0.0.1:2480';
  const peerFiles = { peerCertFile: 'n1.crt', peerKeyFile: 'n1.key', peerTrustedCaFile: 'ca.crt' };
  const clientFiles = { certFile: 'n1.crt', keyFile: 'n1.key', trustedCaFile: 'ca.crt' };

  it("builds client and peer TLS options, peer identities mapped by the names' member ids", () => {
    const config = resolveStartConfig(
      {
        name: 'n1',
        initialCluster: tlsCluster,
        listenClient: 'https://127.0.0.1:2379',
        ...peerFiles,
        ...clientFiles,
        clientCertAuth: 'true',
        peerClientCertAuth: 'true',
        peerCertAllowedCn: 'member',
      },
      {},
      {},
    );
    expect(config.clientTls).toEqual({
      certFile: 'n1.crt',
      keyFile: 'n1.key',
      trustedCaFile: 'ca.crt',
      clientCertAuth: true,
    });
    expect(config.peerTls).toMatchObject({
      certFile: 'n1.crt',
      keyFile: 'n1.key',
      trustedCaFile: 'ca.crt',
      clientCertAuth: true,
      allowedCn: 'member',
    });
    expect(config.peerTls?.memberIdOf?.('n2')).toBe(memberIdOf('n2'));
    expect(config.listenPeer.protocol).toBe('https:');
  });

  it('reads them from the environment and the config file (on/off settings as true/false), and defaults the client URL to https', () => {
    const env = fromEnv({
      FLOTILLA_CERT_FILE: 'n1.crt',
      FLOTILLA_KEY_FILE: 'n1.key',
      FLOTILLA_TRUSTED_CA_FILE: 'ca.crt',
      FLOTILLA_CLIENT_CERT_AUTH: 'true',
    });
    const config = resolveStartConfig({ name: 'n1' }, env, {
      initialCluster: tlsCluster,
      ...peerFiles,
      peerClientCertAuth: 'false',
    });
    expect(config.clientTls?.clientCertAuth).toBe(true);
    expect(config.peerTls?.clientCertAuth).toBe(false);
    expect(config.listenClient.origin).toBe('https://127.0.0.1:2379');
    expect(
      resolveStartConfig({ name: 'n1', initialCluster: 'n1=http://127.0.0.1:2380' }, {}, {})
        .clientTls,
    ).toBeUndefined();
  });

  it('takes JSON booleans for the on/off settings in a config file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-tls-config-'));
    try {
      const file = path.join(dir, 'n1.json');
      fs.writeFileSync(
        file,
        JSON.stringify({
          name: 'n1',
          initialCluster: tlsCluster,
          ...peerFiles,
          peerClientCertAuth: true,
          ...clientFiles,
          clientCertAuth: true,
        }),
      );
      const config = resolveStartConfig({}, {}, fromFile(file));
      expect(config.peerTls?.clientCertAuth).toBe(true);
      expect(config.clientTls?.clientCertAuth).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses partial sets and URLs whose scheme disagrees with the flags, as usage errors', () => {
    const start = (flags: Record<string, string>): unknown =>
      resolveStartConfig({ name: 'n1', initialCluster: tlsCluster, ...flags }, {}, {});
    expect(() => start({ peerCertFile: 'n1.crt' })).toThrow(UsageError);
    expect(() => start({ peerCertFile: 'n1.crt', peerKeyFile: 'n1.key' })).toThrow(
      /missing: --peer-trusted-ca-file/,
    );
    expect(() => start({ ...peerFiles, certFile: 'n1.crt' })).toThrow(/missing: --key-file/);
    expect(() =>
      start({ ...peerFiles, certFile: 'n1.crt', keyFile: 'n1.key', clientCertAuth: 'true' }),
    ).toThrow(/--client-cert-auth needs --trusted-ca-file/);
    expect(() => start({ ...peerFiles, listenClient: 'https://127.0.0.1:2379' })).toThrow(
      /is https:\/\/ but the client port has no TLS/,
    );
    expect(() => start({})).toThrow(/is https:\/\/ but peers have no TLS/);
    expect(() =>
      resolveStartConfig(
        { name: 'n1', initialCluster: 'n1=http://127.0.0.1:2380', ...peerFiles },
        {},
        {},
      ),
    ).toThrow(/is http:\/\/ but .* turn on peer TLS/);
    expect(() => start({ ...peerFiles, peerClientCertAuth: 'maybe' })).toThrow(
      /--peer-client-cert-auth is on or off/,
    );
  });
});

describe('durations (Go syntax, as etcdctl takes them)', () => {
  it('read units, compound terms, fractions, and a bare number as milliseconds', () => {
    expect(parseDurationMs('5s', '--command-timeout')).toBe(5_000);
    expect(parseDurationMs('500ms', '--command-timeout')).toBe(500);
    expect(parseDurationMs('1m30s', '--command-timeout')).toBe(90_000);
    expect(parseDurationMs('1.5h', '--command-timeout')).toBe(5_400_000);
    expect(parseDurationMs('250000us', '--command-timeout')).toBe(250);
    expect(parseDurationMs('1500', '--command-timeout')).toBe(1_500);
  });

  it('refuse anything else with a message that shows the forms', () => {
    for (const bad of ['5parsecs', 's', '5 s', '-5s', '', '1d', '5s3']) {
      expect(() => parseDurationMs(bad, '--command-timeout'), bad).toThrow(UsageError);
    }
    expect(() => parseDurationMs('5parsecs', '--command-timeout')).toThrow(
      /--command-timeout: "5parsecs" is not a duration; write e\.g\. 5s/,
    );
    expect(() => parseDurationMs('0', '--dial-timeout')).toThrow(
      /--dial-timeout must be longer than 0/,
    );
  });
});

/** A runner that records what a command would run with, instead of running it. */
class RecordingRunner extends Runner {
  readonly ran: { what: string; globals: GlobalOptions; args: unknown[] }[] = [];
  override async bounded(cmd: Command, what: string): Promise<void> {
    this.ran.push({ what, globals: this.globals(cmd), args: [...cmd.args] });
  }
  override async open(cmd: Command, what: string): Promise<void> {
    this.ran.push({ what, globals: this.globals(cmd), args: [...cmd.args] });
  }
}

function parseLine(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<RecordingRunner> {
  const help: string[] = [];
  const runner = new RecordingRunner({
    env,
    signal: new AbortController().signal,
    out: () => undefined,
    err: () => undefined,
    readStdin: async () => '',
  });
  const program = buildProgram(runner, { out: (t) => help.push(t), err: (t) => help.push(t) });
  return program.parseAsync(argv, { from: 'user' }).then(() => runner);
}

describe('the command line (commander)', () => {
  it('takes global flags before or after the command, flags over the environment', async () => {
    const before = await parseLine(
      ['--endpoints', 'http://a:1,b:2', '--command-timeout', '5s', 'put', 'k', 'v'],
      { FLOTILLA_ENDPOINTS: 'http://c:3' },
    );
    expect(before.ran).toEqual([
      {
        what: 'put',
        globals: {
          endpoints: ['http://a:1', 'http://b:2'],
          endpointsAsGiven: ['http://a:1', 'b:2'],
          commandTimeoutMs: 5_000,
          dialTimeoutMs: 2_000,
          writeOut: undefined,
        },
        args: ['k', 'v'],
      },
    ]);
    const after = await parseLine([
      'get',
      'k',
      '-w',
      'json',
      '--endpoints=http://a:1',
      '--dial-timeout=250ms',
    ]);
    expect(after.ran[0]?.globals).toEqual({
      endpoints: ['http://a:1'],
      endpointsAsGiven: ['http://a:1'],
      commandTimeoutMs: 10_000,
      dialTimeoutMs: 250,
      writeOut: 'json',
    });
    const fromEnv = await parseLine(['lease', 'list'], {
      FLOTILLA_ENDPOINTS: 'http://c:3',
      FLOTILLA_COMMAND_TIMEOUT: '1m',
    });
    expect(fromEnv.ran[0]).toMatchObject({
      what: 'lease list',
      globals: { endpoints: ['http://c:3'], commandTimeoutMs: 60_000 },
    });
    const between = await parseLine(['lease', '--endpoints', 'http://d:4', 'grant', '60']);
    expect(between.ran[0]).toMatchObject({
      what: 'lease grant',
      globals: { endpoints: ['http://d:4'] },
      args: ['60'],
    });
  });

  it('keeps the etcdctl spellings: keep-alive, --initial-cluster-token, start aliases', async () => {
    expect((await parseLine(['lease', 'keep-alive', 'abc', '--once'])).ran[0]?.what).toBe(
      'lease keepalive',
    );
    expect(
      (await parseLine(['snapshot', 'restore', 'f', '--initial-cluster-token', 't'])).ran[0]?.what,
    ).toBe('snapshot restore');
    expect((await parseLine(['compaction', '12'])).ran[0]).toMatchObject({
      what: 'compaction',
      args: ['12'],
    });
  });

  it("takes etcdctl's TLS flags anywhere on the line, or from FLOTILLA_CACERT, FLOTILLA_CERT, FLOTILLA_KEY", async () => {
    const flags = await parseLine([
      '--cacert',
      'ca.pem',
      'get',
      'k',
      '--cert',
      'c.pem',
      '--key',
      'k.pem',
      '--insecure-skip-tls-verify',
    ]);
    expect(flags.ran[0]?.globals.tls).toEqual({
      cacert: 'ca.pem',
      cert: 'c.pem',
      key: 'k.pem',
      insecureSkipTlsVerify: true,
    });
    const env = await parseLine(['member', 'list'], {
      FLOTILLA_CACERT: 'e-ca.pem',
      FLOTILLA_CERT: 'e-c.pem',
      FLOTILLA_KEY: 'e-k.pem',
    });
    expect(env.ran[0]?.globals.tls).toEqual({
      cacert: 'e-ca.pem',
      cert: 'e-c.pem',
      key: 'e-k.pem',
    });
    expect(
      (await parseLine(['get', 'k'], { FLOTILLA_INSECURE_SKIP_TLS_VERIFY: 'true' })).ran[0]?.globals
        .tls,
    ).toEqual({ insecureSkipTlsVerify: true });
    expect((await parseLine(['get', 'k'])).ran[0]?.globals.tls).toBeUndefined();
    await expect(parseLine(['get', 'k', '--cert', 'c.pem'])).rejects.toThrow(
      /a client certificate needs both --cert and --key; missing: --key/,
    );
    await expect(
      parseLine(['get', 'k'], { FLOTILLA_INSECURE_SKIP_TLS_VERIFY: 'yes' }),
    ).rejects.toThrow(UsageError);
  });

  it('turns every mistake into one UsageError naming the command and its --help', async () => {
    await expect(parseLine(['frobnicate'])).rejects.toThrow(
      /^unknown command 'frobnicate'; see `flotilla --help`$/,
    );
    await expect(parseLine(['get', 'k', '--bogus'])).rejects.toThrow(
      /^get: unknown option '--bogus'; see `flotilla get --help`$/,
    );
    await expect(parseLine(['put', 'k'])).rejects.toThrow(
      /^put: missing required argument 'value'; see `flotilla put --help`$/,
    );
    await expect(parseLine(['lease', 'revoke'])).rejects.toThrow(
      /^lease revoke: missing required argument 'id'/,
    );
    await expect(parseLine(['put', 'k', 'v', 'extra'])).rejects.toThrow(/^put: too many arguments/);
    await expect(parseLine(['put', 'k', 'v', '--command-timeout', '5parsecs'])).rejects.toThrow(
      /not a duration/,
    );
    await expect(parseLine(['put', 'k', 'v', '--endpoints', ' , '])).rejects.toThrow(
      /no URL given/,
    );
    await expect(parseLine(['pu'])).rejects.toThrow(UsageError);
  });
});

describe('txn input (etcdctl format)', () => {
  it('reads compares, success and failure sections', () => {
    const txn = parseTxnInput(
      'mod("k") > "0"\nvalue("k") = "a b"\n\nput k "new value"\nget k\n\ndel k --prefix\n',
    );
    expect(txn.compare).toEqual([
      { key: 'k', target: 'MOD', result: '>', number: 0 },
      { key: 'k', target: 'VALUE', result: '=', value: 'a b' },
    ]);
    expect(txn.success).toEqual([
      { put: { key: 'k', value: 'new value' } },
      { range: { key: 'k' } },
    ]);
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
