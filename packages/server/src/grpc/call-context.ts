// The HandlerContext of one gRPC call: the request message as the HTTP
// layer's JSON body, the exactly-once identity and lease-read flag from the
// call's metadata, and etcd's response header.
import type { Metadata } from '@grpc/grpc-js';
import type { JsonObject } from '../codec/json-reader.js';
import { CLIENT_ID_HEADER, makeHeader, READ_CONSISTENCY_HEADER, readLeaseRead, readWriteContext, SEQ_HEADER, type HandlerContext } from '../http/context.js';
import type { ServedNode } from '../http/served-node.js';
import { metadataHeaders } from './status.js';

const METADATA_NAMES = [CLIENT_ID_HEADER, SEQ_HEADER, READ_CONSISTENCY_HEADER] as const;

export function callContext(node: ServedNode, request: unknown, metadata: Metadata): HandlerContext {
  const headers = metadataHeaders(metadata, METADATA_NAMES);
  return {
    node,
    body: (request ?? {}) as JsonObject,
    write: readWriteContext(headers),
    leaseRead: readLeaseRead(headers),
    header: (revision) => makeHeader(node, revision),
  };
}
