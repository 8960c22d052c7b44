import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FrameDecodeError } from '../src/index.js';
import { everyKind } from './messages.js';
import { createPackr, decodeBatch, encodeBatch } from '../src/codec.js';

describe('message codec', () => {
  it('round-trips every message type, byte data as Uint8Array', () => {
    const packr = createPackr();
    const batch = everyKind(1, 2);
    const bytes = encodeBatch(packr, batch);
    const decoded = decodeBatch(packr, new Uint8Array(bytes));
    expect(decoded).toEqual(batch);
    const entry = (decoded[4] as Extract<(typeof decoded)[number], { type: 'append' }>).entries[0]!;
    expect(entry.type === 'normal' && entry.data.constructor).toBe(Uint8Array);
  });

  it('decoded byte data is a copy that does not share the frame buffer', () => {
    const packr = createPackr();
    const frame = new Uint8Array(encodeBatch(packr, everyKind(1, 2)));
    const decoded = decodeBatch(packr, frame);
    frame.fill(0);
    expect(decoded).toEqual(everyKind(1, 2));
  });

  it('anything that is not a list of well-formed messages is a FrameDecodeError, never another error', () => {
    const packr = createPackr();
    const valid = everyKind(1, 2);
    const mutated = fc
      .tuple(fc.nat({ max: valid.length - 1 }), fc.string({ maxLength: 12 }), fc.anything())
      .map(([i, key, value]) => {
        const message = { ...valid[i]!, [key]: value } as Record<string, unknown>;
        return [message];
      });
    fc.assert(
      fc.property(fc.oneof(fc.anything(), mutated), (value) => {
        try {
          const messages = decodeBatch(packr, new Uint8Array(packr.pack(value)));
          expect(messages.length).toBeGreaterThan(0);
        } catch (err) {
          expect(err).toBeInstanceOf(FrameDecodeError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it.each([
    ['an empty list', []],
    ['an unknown type', [{ type: 'gossip', from: 1, to: 2, term: 1 }]],
    ['a missing field', [{ type: 'voteResp', from: 1, to: 2, term: 1 }]],
    [
      'a wrongly typed field',
      [{ type: 'heartbeat', from: 1, to: 2, term: '1', commit: 0, context: '' }],
    ],
    [
      'an entry without bytes',
      [
        {
          type: 'append',
          from: 1,
          to: 2,
          term: 1,
          prevIndex: 0,
          prevTerm: 0,
          commit: 0,
          entries: [{ type: 'normal', term: 1, index: 1, data: 'x' }],
        },
      ],
    ],
    [
      'a snapshot without bytes',
      [{ type: 'snapshot', from: 1, to: 2, term: 1, snapshot: { meta: {} } }],
    ],
  ])('rejects %s', (_what, value) => {
    const packr = createPackr();
    expect(() => decodeBatch(packr, new Uint8Array(packr.pack(value)))).toThrow(FrameDecodeError);
  });
});
