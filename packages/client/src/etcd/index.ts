// @flotilla/client/etcd: the backend on a real etcd v3 cluster. A subpath of
// its own so that importing @flotilla/client does not load etcd3 and gRPC
// (≈ 0.3 s of start-up the CLI and the server would pay for nothing); etcd3
// is an optional peer dependency, installed only by those who use this.
export { etcdKv, type EtcdKvOptions } from './etcd-backend.js';
