// The codec of the JSON gateway (etcd's grpc-gateway spelling: bytes as
// base64, 64-bit numbers as strings), shared by the remote backend's calls
// and its watches.
import { WireCodec, jsonStyle } from '../wire.js';

export const jsonCodec = new WireCodec(jsonStyle);
