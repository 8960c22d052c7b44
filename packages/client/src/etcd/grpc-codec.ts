// etcd3's gRPC objects: bytes as Buffers, enums by number, int64 as strings.

import { WireCodec } from '../wire.js';

export const grpcCodec = new WireCodec({
  encodeBytes: (b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  decodeBytes: (v) => (v instanceof Uint8Array ? Uint8Array.from(v) : new Uint8Array(0)),
  enumNames: false,
});
