// Fuzzing the TCP frame decoder (and the payload decoder behind it): whatever
// bytes arrive, in whatever chunks, it never throws, never holds more than one
// frame's worth of bytes, and ends in frames or one clear typed error.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  EmptyFrameError,
  FrameDecodeError,
  FrameTooLargeError,
  PeerProtocolError,
  TruncatedFrameError,
} from '../src/index.js';
import { everyKind } from './messages.js';
import { createPackr, decodeBatch, encodeBatch } from '../src/codec.js';
import { encodeFrame, FrameDecoder, FRAME_HEADER_BYTES } from '../src/framing.js';

const MAX = 1024;

/** Cuts `bytes` into chunks at the given (sorted, deduplicated) positions. */
function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((x, y) => x - y);
  const chunks: Uint8Array[] = [];
  let last = 0;
  for (const p of [...points, bytes.length]) {
    chunks.push(bytes.subarray(last, p));
    last = p;
  }
  return chunks;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const payloadArb = fc.uint8Array({ minLength: 1, maxLength: 200 });

describe('FrameDecoder fuzzing', () => {
  it('random bytes in random chunks: no throw, bounded buffering, frames within the max, any error is a typed PeerProtocolError and final', () => {
    const packr = createPackr();
    // Segments of garbage mixed with well-framed garbage, so both the framing and the payload decoder get exercised.
    const segment = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      payloadArb.map(encodeFrame),
      fc
        .array(
          fc.oneof(
            fc.constant(0x91),
            fc.constant(0x81),
            fc.constant(0xa4),
            fc.constant(0xc4),
            fc.integer({ min: 0, max: 255 }),
          ),
          { minLength: 1, maxLength: 40 },
        )
        .map((b) => encodeFrame(new Uint8Array(b))),
    );
    const streamArb = fc.array(segment, { maxLength: 10 }).map(concat);
    fc.assert(
      fc.property(
        streamArb,
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.integer({ min: 1, max: 2048 }),
        (bytes, cuts, max) => {
          const decoder = new FrameDecoder(max);
          let error: PeerProtocolError | undefined;
          let frameBytes = 0;
          for (const chunk of split(bytes, cuts)) {
            const result = decoder.push(chunk);
            for (const frame of result.frames) {
              expect(frame.length).toBeGreaterThan(0);
              expect(frame.length).toBeLessThanOrEqual(max);
              frameBytes += FRAME_HEADER_BYTES + frame.length;
              // Whatever a frame holds, the payload decoder answers with messages or a FrameDecodeError.
              try {
                decodeBatch(packr, frame);
              } catch (err) {
                expect(err).toBeInstanceOf(FrameDecodeError);
              }
            }
            if (error !== undefined) expect(result.error).toBe(error);
            error = result.error;
            expect(decoder.bufferedBytes).toBeLessThanOrEqual(max + FRAME_HEADER_BYTES);
          }
          expect(frameBytes).toBeLessThanOrEqual(bytes.length);
          const end = decoder.end();
          if (end !== undefined) expect(end).toBeInstanceOf(PeerProtocolError);
          if (error === undefined && end === undefined) expect(frameBytes).toBe(bytes.length);
        },
      ),
      { numRuns: 10_000 },
    );
  });

  it('valid frames split at every byte boundary decode to the same payloads', () => {
    fc.assert(
      fc.property(fc.array(payloadArb, { minLength: 1, maxLength: 4 }), (payloads) => {
        const stream = concat(payloads.map(encodeFrame));
        for (let cut = 0; cut <= stream.length; cut++) {
          const decoder = new FrameDecoder(MAX);
          const a = decoder.push(stream.subarray(0, cut));
          const b = decoder.push(stream.subarray(cut));
          expect(a.error ?? b.error).toBeUndefined();
          expect([...a.frames, ...b.frames].map((f) => [...f])).toEqual(
            payloads.map((p) => [...p]),
          );
          expect(decoder.end()).toBeUndefined();
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a stream fed one byte at a time decodes the same as in one piece', () => {
    fc.assert(
      fc.property(fc.array(payloadArb, { minLength: 1, maxLength: 6 }), (payloads) => {
        const stream = concat(payloads.map(encodeFrame));
        const decoder = new FrameDecoder(MAX);
        const frames: Uint8Array[] = [];
        for (let i = 0; i < stream.length; i++)
          frames.push(...decoder.push(stream.subarray(i, i + 1)).frames);
        expect(frames.map((f) => [...f])).toEqual(payloads.map((p) => [...p]));
      }),
      { numRuns: 300 },
    );
  });

  it('a huge length prefix is refused before any payload is buffered', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: MAX + 1, max: 0xffff_ffff }),
        fc.uint8Array({ maxLength: 64 }),
        (length, rest) => {
          const header = new Uint8Array(4);
          new DataView(header.buffer).setUint32(0, length);
          const decoder = new FrameDecoder(MAX);
          const { frames, error } = decoder.push(concat([header, rest]));
          expect(frames).toEqual([]);
          expect(error).toBeInstanceOf(FrameTooLargeError);
          expect((error as FrameTooLargeError).frameBytes).toBe(length);
          expect(decoder.bufferedBytes).toBe(0);
          expect(decoder.push(new Uint8Array([1])).error).toBe(error);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a truncated stream yields its complete frames, then a TruncatedFrameError saying how much is missing', () => {
    fc.assert(
      fc.property(
        fc.array(payloadArb, { minLength: 1, maxLength: 4 }),
        fc.nat(),
        (payloads, cutSeed) => {
          const stream = concat(payloads.map(encodeFrame));
          const cut = 1 + (cutSeed % (stream.length - 1));
          const decoder = new FrameDecoder(MAX);
          const { frames, error } = decoder.push(stream.subarray(0, cut));
          expect(error).toBeUndefined();
          let complete = 0;
          let offset = 0;
          for (const p of payloads) {
            if (offset + FRAME_HEADER_BYTES + p.length > cut) break;
            offset += FRAME_HEADER_BYTES + p.length;
            complete++;
          }
          expect(frames.length).toBe(complete);
          const end = decoder.end();
          if (offset === cut) {
            expect(end).toBeUndefined();
          } else {
            expect(end).toBeInstanceOf(TruncatedFrameError);
            expect((end as TruncatedFrameError).bytesMissing).toBeGreaterThan(0);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a zero length prefix is an EmptyFrameError', () => {
    expect(new FrameDecoder(MAX).push(new Uint8Array([0, 0, 0, 0, 1])).error).toBeInstanceOf(
      EmptyFrameError,
    );
  });

  it('a frame exactly at the maximum is accepted, one byte over is refused', () => {
    expect(new FrameDecoder(8).push(encodeFrame(new Uint8Array(8))).frames).toHaveLength(1);
    expect(new FrameDecoder(8).push(encodeFrame(new Uint8Array(9))).error).toBeInstanceOf(
      FrameTooLargeError,
    );
  });

  it('message batches survive encode → frame → split → decode', () => {
    const packr = createPackr();
    const batch = everyKind(1, 2);
    const stream = encodeFrame(encodeBatch(packr, batch));
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 10 }), (cuts) => {
        const decoder = new FrameDecoder(1 << 20);
        const frames = split(stream, cuts).flatMap((c) => decoder.push(c).frames);
        expect(frames).toHaveLength(1);
        expect(decodeBatch(packr, frames[0]!)).toEqual(batch);
      }),
      { numRuns: 100 },
    );
  });
});
