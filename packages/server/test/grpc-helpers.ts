// A raw gRPC client of etcd's services (messages in the gateway's JSON shape,
// as the server loads them), for requests the etcd3 client cannot make:
// metadata, malformed fields, exact status codes.
import { credentials, loadPackageDefinition, Metadata, type Client, type GrpcObject, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import path from 'node:path';
import { etcdProtoDir, LOADER_OPTIONS } from '../src/grpc/proto.js';

let pkg: GrpcObject | undefined;

export function rawClient(endpoint: string, service: 'KV' | 'Watch' | 'Lease' | 'Cluster' | 'Maintenance'): Client {
  if (!pkg) {
    const dir = etcdProtoDir();
    pkg = loadPackageDefinition(loadSync(path.join(dir, 'rpc.proto'), { ...LOADER_OPTIONS, includeDirs: [dir] }))['etcdserverpb'] as GrpcObject;
  }
  const Ctor = pkg[service] as ServiceClientConstructor;
  return new Ctor(endpoint, credentials.createInsecure());
}

export function unaryCall(client: Client, method: string, request: unknown, metadata = new Metadata()): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const fn = (client as unknown as Record<string, (req: unknown, md: Metadata, cb: (err: Error | null, res: unknown) => void) => void>)[method]!;
    fn.call(client, request, metadata, (err, res) => (err ? reject(err) : resolve(res)));
  });
}
