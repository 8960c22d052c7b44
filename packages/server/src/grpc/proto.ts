// etcd's v3 service definitions, loaded at run time from the .proto files the
// `etcd3` package ships (rpc.proto, kv.proto, auth.proto), so the wire
// contract is etcd's own and is not copied into this repository.
//
// Messages are converted to proto3-JSON-like objects: proto field names,
// int64s as decimal strings, bytes as base64 strings, unset fields absent;
// enums as numbers, because etcd3's copies rename etcd's enum values
// (`Equal` for EQUAL, `Noput` for NOPUT) while the numbers are etcd's. That is exactly the shape the HTTP gateway decodes and
// encodes, so the gRPC services reuse its validation and encoders unchanged.
import { createRequire } from 'node:module';
import path from 'node:path';
import {
  loadPackageDefinition,
  type GrpcObject,
  type ServiceClientConstructor,
  type ServiceDefinition,
} from '@grpc/grpc-js';
import { loadSync, type Options } from '@grpc/proto-loader';

export const LOADER_OPTIONS: Options = {
  keepCase: true,
  longs: String,
  enums: Number,
  bytes: String,
  defaults: false,
  oneofs: false,
};

/** The directory of etcd's .proto files inside the installed `etcd3` package. */
export function etcdProtoDir(): string {
  return path.join(
    path.dirname(createRequire(import.meta.url).resolve('etcd3/package.json')),
    'proto',
  );
}

export interface EtcdServices {
  readonly KV: ServiceDefinition;
  readonly Watch: ServiceDefinition;
  readonly Lease: ServiceDefinition;
  readonly Cluster: ServiceDefinition;
  readonly Maintenance: ServiceDefinition;
  readonly Auth: ServiceDefinition;
}

let loaded: EtcdServices | undefined;

/**
 * etcd3's copies of the protos keep the `(google.api.http)` options but drop
 * the google/api and gogoproto imports; protobufjs parses options it cannot
 * resolve without complaint, so no annotation files are needed.
 */
export function etcdServices(): EtcdServices {
  if (loaded) return loaded;
  const dir = etcdProtoDir();
  const definition = loadSync(path.join(dir, 'rpc.proto'), {
    ...LOADER_OPTIONS,
    includeDirs: [dir],
  });
  const pkg = loadPackageDefinition(definition)['etcdserverpb'] as GrpcObject;
  const service = (name: string): ServiceDefinition =>
    (pkg[name] as ServiceClientConstructor).service;
  loaded = {
    KV: service('KV'),
    Watch: service('Watch'),
    Lease: service('Lease'),
    Cluster: service('Cluster'),
    Maintenance: service('Maintenance'),
    Auth: service('Auth'),
  };
  return loaded;
}
