// The simulated state machine: it applies entries by extending the chain
// value (see entry-key.ts), so its whole state is (applied index, chain).
// That is enough to check a snapshot against what other nodes applied, and
// small enough to snapshot every few entries.
import { CHAIN_START } from './entry-key.js';
import { SimulationError } from './errors.js';

export interface ChainState {
  readonly index: number;
  readonly chain: number;
}

export const EMPTY_CHAIN_STATE: ChainState = { index: 0, chain: CHAIN_START };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeChainState(s: ChainState): Uint8Array {
  return encoder.encode(JSON.stringify([s.index, s.chain]));
}

export function decodeChainState(data: Uint8Array): ChainState {
  const parsed: unknown = JSON.parse(decoder.decode(data));
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 2 ||
    !parsed.every((x) => Number.isSafeInteger(x))
  ) {
    throw new SimulationError(
      `snapshot data is not a simulated state machine: ${decoder.decode(data).slice(0, 80)}`,
    );
  }
  return { index: parsed[0] as number, chain: parsed[1] as number };
}
