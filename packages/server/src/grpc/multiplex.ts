// gRPC on the HTTP client port: a grpc-js server with etcd's services that
// takes connections accepted by the HTTP server's listener (see preface.ts).
import { ServerCredentials } from '@grpc/grpc-js';
import type { Socket } from 'node:net';
import { withFixedAuthority } from './authority.js';
import { createGrpcServer, type GrpcServerOptions } from './server.js';

export interface GrpcOnHttpPort {
  /** Serves gRPC on an HTTP/2 connection accepted elsewhere. */
  inject(socket: Socket): void;
  close(): void;
}

export function grpcOnHttpPort(options: Omit<GrpcServerOptions, 'host' | 'port'>): GrpcOnHttpPort {
  const server = createGrpcServer(options);
  const injector = server.createConnectionInjector(ServerCredentials.createInsecure());
  return {
    // Through the authority fixer: etcdctl sends whole URLs as :authority (see authority.ts).
    inject: (socket) => injector.injectConnection(withFixedAuthority(socket)),
    close() {
      injector.destroy();
      server.forceShutdown();
    },
  };
}
