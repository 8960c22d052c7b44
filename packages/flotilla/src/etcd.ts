// flotilla/etcd: the KV interface on a real etcd v3 cluster (needs the etcd3
// package next to this one: npm install etcd3).
export { etcdKv, type EtcdKvOptions } from '@flotilla/client/etcd';
