// Certificates for the TLS tests, made at test time in a temporary directory
// (tools/gen-certs.js, with openssl) and removed afterwards; none is committed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { NodeId } from '@flotilla/raft';
import { makeTestPki, type TestPki } from '../../../tools/gen-certs.js';
import type { PeerTlsOptions } from '../src/index.js';

export interface Pki extends TestPki {
  /** Peer TLS options for node `id` with the certificate named `certName` (default: the id), trusting the first CA. */
  peer(id: NodeId | string, extra?: Partial<PeerTlsOptions>): PeerTlsOptions;
  remove(): void;
}

/** A CA with certificates named 1..3 and `client`, and another CA with the same names. */
export function testPki(names: readonly string[] = ['1', '2', '3']): Pki {
  const root = mkdtempSync(path.join(tmpdir(), 'flotilla-pki-'));
  const pki = makeTestPki(root, names);
  return {
    ...pki,
    // By path, so certificates made later in the test's directory (makeCert) are found too.
    peer: (name, extra = {}) => ({
      certFile: path.join(pki.dir, `${name}.crt`),
      keyFile: path.join(pki.dir, `${name}.key`),
      trustedCaFile: pki.ca,
      ...extra,
    }),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}
