import { transportConformance } from './conformance.js';
import { tcpHarness } from './tcp-harness.js';

transportConformance('tcp', () => tcpHarness());
