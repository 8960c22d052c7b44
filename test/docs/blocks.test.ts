// The README runner's pure parts: finding blocks and markers, which ports a
// block names, and how a shell block's servers are put in the background.
import { describe, expect, it } from 'vitest';
import { blockUnder, extractBlocks, MarkerSyntaxError } from './blocks.js';
import { fixedPorts, withServersInBackground } from './run-block.js';

const MD = [
  '# Title',
  '## Embedding',
  '',
  '<!-- run: members=1@7001,2@7002 as=1 -->',
  '```ts',
  'const a = 1;',
  '```',
  '<!-- not-run: partial: x comes from elsewhere -->',
  '',
  '```sh',
  'echo $x',
  '```',
  '```',
  'plain text',
  '```',
].join('\n');

describe('extractBlocks', () => {
  it('finds each block with its language, line, heading and marker', () => {
    const blocks = extractBlocks(MD, 'X.md');
    expect(blocks.map((b) => [b.lang, b.line, b.heading, b.code])).toEqual([
      ['ts', 5, 'Embedding', 'const a = 1;'],
      ['sh', 10, 'Embedding', 'echo $x'],
      ['', 13, 'Embedding', 'plain text'],
    ]);
    expect(blocks[0]!.marker).toEqual({
      kind: 'run',
      options: { members: '1@7001,2@7002', as: '1' },
    });
    expect(blocks[1]!.marker).toEqual({
      kind: 'not-run',
      reason: 'partial: x comes from elsewhere',
    });
    expect(blocks[2]!.marker).toBeUndefined();
    expect(blockUnder(blocks, 'Embedding', ['ts']).line).toBe(5);
  });

  it('a marker applies only to the block right after it', () => {
    const blocks = extractBlocks('<!-- not-run: r -->\n\ntext\n```ts\nx\n```', 'Y.md');
    expect(blocks[0]!.marker).toBeUndefined();
  });

  it('refuses a not-run marker without a reason and a malformed run option', () => {
    expect(() => extractBlocks('<!-- not-run: -->\n```ts\nx\n```', 'Z.md')).toThrow(
      MarkerSyntaxError,
    );
    expect(() => extractBlocks('<!-- run: members -->\n```ts\nx\n```', 'Z.md')).toThrow(
      /key=value/,
    );
  });

  it('blockUnder names the heading it could not find', () => {
    expect(() => blockUnder(extractBlocks(MD, 'X.md'), 'Nope', ['ts'])).toThrow(/Nope/);
  });
});

describe('fixedPorts', () => {
  it('finds loopback URLs and port fields, not other numbers', () => {
    expect(
      fixedPorts(
        "listen: { host: '127.0.0.1', port: 7001 }, peers: { 2: { port: 7002 } }; x = 2379; 'http://localhost:2380'; port: 0",
      ).sort(),
    ).toEqual([2380, 7001, 7002]);
  });
});

describe('withServersInBackground', () => {
  it('backgrounds flotilla start lines (continued or not) and waits for their client URLs before the next command', () => {
    const out = withServersInBackground(
      [
        'node packages/server/bin/flotilla.js start --name n1 \\',
        '  --listen-client http://127.0.0.1:2379',
        'flotilla start --name n2 --listen-client http://127.0.0.1:2479   # second',
        '',
        'flotilla put a b',
        'flotilla get a',
      ].join('\n'),
    );
    expect(out).toEqual([
      'node packages/server/bin/flotilla.js start --name n1 --listen-client http://127.0.0.1:2379 > server-1.log 2>&1 &',
      'flotilla start --name n2 --listen-client http://127.0.0.1:2479 > server-2.log 2>&1 &',
      '',
      '__ready "http://127.0.0.1:2379" "http://127.0.0.1:2479"',
      'flotilla put a b',
      'flotilla get a',
    ]);
  });

  it('leaves a server line that already ends in & as written, and still waits for it', () => {
    expect(
      withServersInBackground(
        'flotilla start --listen-client=http://127.0.0.1:1 &\nflotilla get a',
      ),
    ).toEqual([
      'flotilla start --listen-client=http://127.0.0.1:1 &',
      '__ready "http://127.0.0.1:1"',
      'flotilla get a',
    ]);
  });

  it('asks an https:// member with client-cert auth for /health with its own certificate', () => {
    expect(
      withServersInBackground(
        'flotilla start --listen-client https://127.0.0.1:1 --cert-file certs/n1.crt --key-file certs/n1.key --client-cert-auth\nflotilla get a',
      ),
    ).toEqual([
      'flotilla start --listen-client https://127.0.0.1:1 --cert-file certs/n1.crt --key-file certs/n1.key --client-cert-auth > server-1.log 2>&1 &',
      '__CURL_TLS=(--cert "certs/n1.crt" --key "certs/n1.key")',
      '__ready "https://127.0.0.1:1"',
      'flotilla get a',
    ]);
  });

  it('starts every member before waiting: lines that only note a server (echo $!) run before the wait', () => {
    expect(
      withServersInBackground(
        'node flotilla.js start --listen-client http://127.0.0.1:1 2> n1.log &\necho $! >> pids\n' +
          'node flotilla.js start --listen-client http://127.0.0.1:2 2> n2.log &\necho $! >> pids\nflotilla put a b',
      ),
    ).toEqual([
      'node flotilla.js start --listen-client http://127.0.0.1:1 2> n1.log &',
      'echo $! >> pids',
      'node flotilla.js start --listen-client http://127.0.0.1:2 2> n2.log &',
      'echo $! >> pids',
      '__ready "http://127.0.0.1:1" "http://127.0.0.1:2"',
      'flotilla put a b',
    ]);
  });
});
