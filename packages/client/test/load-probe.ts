// Run as a child process by entry-points.test.ts: imports the module named on
// the command line and prints which of etcd3 and gRPC got loaded (etcd3 and
// @grpc/grpc-js are CommonJS, so they land in require.cache however imported).
import { createRequire } from 'node:module';

const specifier = process.argv[2]!;
await import(specifier);
const loaded = Object.keys(createRequire(import.meta.url).cache);
console.log(
  JSON.stringify({
    etcd3: loaded.some((f) => f.includes('/etcd3/')),
    grpc: loaded.some((f) => f.includes('/@grpc/grpc-js/')),
  }),
);
