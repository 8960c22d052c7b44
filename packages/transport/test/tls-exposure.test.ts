// The start-time exposure check: loud warnings for ports beyond loopback
// without TLS, and the default cluster token refused there.
import { describe, expect, it } from 'vitest';
import { checkExposure, InsecureListenError } from '../src/index.js';
import { recordingLogger, type LogLine } from './tcp-harness.js';
import { isLoopbackHost } from '../src/tcp/exposure.js';

describe('exposure check', () => {
  it('tells loopback from every other address', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', 'LOCALHOST'])
      expect(isLoopbackHost(host)).toBe(true);
    for (const host of [
      '0.0.0.0',
      '',
      '::',
      '10.0.0.5',
      '192.168.1.1',
      'db.example',
      '::ffff:10.0.0.1',
    ])
      expect(isLoopbackHost(host)).toBe(false);
  });

  it('says nothing on loopback, even with the default token and no TLS', () => {
    const log: LogLine[] = [];
    expect(
      checkExposure({
        clusterId: 'flotilla',
        listeners: [
          { port: 'peer', host: '127.0.0.1', tls: false },
          { port: 'client', host: 'localhost', tls: false },
        ],
        logger: recordingLogger(log),
      }),
    ).toEqual([]);
    expect(log).toEqual([]);
  });

  it('refuses the default token beyond loopback, with or without TLS', () => {
    for (const tls of [false, true]) {
      expect(() =>
        checkExposure({
          clusterId: 'flotilla',
          listeners: [{ port: 'peer', host: '0.0.0.0', tls }],
        }),
      ).toThrow(InsecureListenError);
    }
    expect(() =>
      checkExposure({
        clusterId: 'flotilla',
        listeners: [{ port: 'client', host: '10.0.0.5', tls: true }],
      }),
    ).toThrow(
      /client port on 10.0.0.5\) with the default cluster token 'flotilla'.*--initial-cluster-token/,
    );
  });

  it('warns loudly for each port beyond loopback without TLS, and not for one with TLS', () => {
    const log: LogLine[] = [];
    const warnings = checkExposure({
      clusterId: 'prod-eu-1',
      listeners: [
        { port: 'peer', host: '0.0.0.0', tls: false },
        { port: 'client', host: '10.0.0.5', tls: false },
        { port: 'peer', host: '10.0.0.6', tls: true },
      ],
      logger: recordingLogger(log),
    });
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(
      /^SECURITY: the peer port listens on 0.0.0.0 without TLS.*--peer-cert-file/,
    );
    expect(warnings[1]).toMatch(
      /^SECURITY: the client port listens on 10.0.0.5 without TLS.*--client-cert-auth/,
    );
    expect(log.map((l) => [l.level, l.msg])).toEqual(warnings.map((w) => ['warn', w]));
  });
});
