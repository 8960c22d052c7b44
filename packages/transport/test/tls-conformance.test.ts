// The transport conformance suite again, with mutual TLS on every link.
import { afterAll, beforeAll } from 'vitest';
import { transportConformance } from './conformance.js';
import { tcpHarness } from './tcp-harness.js';
import { testPki, type Pki } from './tls-pki.js';

let pki: Pki;
beforeAll(() => {
  pki = testPki();
});
afterAll(() => pki.remove());

transportConformance('tcp over mutual TLS', () => tcpHarness((id) => ({ tls: pki.peer(id) })));
