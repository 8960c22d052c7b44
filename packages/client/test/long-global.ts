// Imported first by tests that use the etcd3 client against a real etcd: protobufjs (under
// etcd3's gRPC) finds the `long` package through an eval'd require, which a vitest worker does
// not have, and then decodes int64 fields (lease ids) to JS numbers, losing the low bits of
// etcd's 63-bit lease ids ("requested lease not found"). It also looks for a global Long first,
// so one is set here before protobufjs loads. Plain Node programs need none of this.
import { createRequire } from 'node:module';

const fromEtcd3 = createRequire(createRequire(import.meta.url).resolve('etcd3'));
const fromProtobuf = createRequire(fromEtcd3.resolve('@grpc/proto-loader'));
const g = globalThis as { Long?: unknown };
const long = createRequire(fromProtobuf.resolve('protobufjs'))('long') as { default?: unknown };
g.Long ??= long.default ?? long;
