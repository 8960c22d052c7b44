// Errors from the worker, re-created on the host as the same classes: kv's
// and the node's request errors through the node-to-node wire format
// (errorFromWire); storage's, transport's (a locked data directory, an
// insecure listener, bad TLS files...) and the node's option and invariant
// errors by class name, with their fields and message, so `instanceof` and
// mapping by name work as with an inline node; a system error keeps its code.
import * as storage from '@flotilla/storage';
import * as transport from '@flotilla/transport';
import {
  errorFromWire,
  NodeFailedError,
  NodeInvariantError,
  NodeOptionsError,
  type WireError,
} from '../errors.js';
import { NodeWorkerExitedError } from './worker-exited-error.js';

type ErrorClass = abstract new (...args: never[]) => Error;

const BY_NAME = new Map<string, ErrorClass>();
const OWN = [NodeOptionsError, NodeInvariantError, NodeFailedError, NodeWorkerExitedError];
for (const value of [...Object.values(storage), ...Object.values(transport), ...OWN]) {
  if (typeof value === 'function' && value.prototype instanceof Error)
    BY_NAME.set(value.name, value as ErrorClass);
}

export function reviveError(data: WireError): Error {
  const cls = data.kv === undefined ? BY_NAME.get(data.name) : undefined;
  if (cls === undefined && data.kv === undefined && typeof data.fields['code'] === 'string') {
    // A system error (EADDRINUSE on the peer port, EACCES on the data directory...): its code,
    // syscall and address, so a caller tells them apart as it would inline.
    const err = new Error(data.message);
    Object.assign(err, data.fields);
    err.name = data.name;
    return err;
  }
  if (cls === undefined) return errorFromWire(data);
  const err = Object.create(cls.prototype) as Error;
  Object.assign(err, data.fields, { message: data.message });
  return err;
}
