import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  bytes,
  CompactedError,
  LeaseNotFoundError,
  InvalidRequestError,
  SessionExpiredError,
} from '@flotilla/kv';
import { LeaderChangedError } from '@flotilla/node';
import { errorFromAnswer } from '../../client/src/remote/http.js';
import { decodeBase64, encodeBase64 } from '../src/codec/base64.js';
import { decodePutRequest, decodeRangeRequest, decodeTxnRequest } from '../src/codec/decode-kv.js';
import {
  encodeHeader,
  encodeKeyValue,
  encodeRangeBody,
  encodeTxnBody,
} from '../src/codec/encode-kv.js';
import { toGatewayError } from '../src/codec/error-map.js';
import { GatewayError } from '../src/codec/gateway-error.js';
import { parseJsonBody, readInt64 } from '../src/codec/json-reader.js';

const b = (s: string): string => Buffer.from(s).toString('base64');

function gatewayErrorOf(fn: () => unknown): GatewayError {
  try {
    fn();
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error('expected a GatewayError');
}

describe('base64 fields', () => {
  it('round-trips any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (data) => {
        expect(decodeBase64(encodeBase64(data), 'f')).toEqual(new Uint8Array(data));
      }),
    );
  });

  it('decodes into a buffer of its own, not a slice of the shared pool', () => {
    // A pooled slice would drag the whole 8 KiB pool along (into the node's worker, say).
    for (const n of [0, 1, 3, 300, 5000]) {
      const out = decodeBase64(Buffer.alloc(n, 7).toString('base64'), 'f');
      expect(out.byteLength).toBe(n);
      expect(out.buffer.byteLength).toBe(n);
      expect(out.constructor).toBe(Uint8Array);
    }
  });

  it('accepts the URL-safe alphabet like grpc-gateway', () => {
    expect(decodeBase64('-_8=', 'f')).toEqual(new Uint8Array([0xfb, 0xff]));
  });

  it.each(['!!!', 'YQ', 'Y Q==', 'YQ==='])(
    'rejects malformed base64 %j as InvalidArgument',
    (text) => {
      const err = gatewayErrorOf(() => decodeBase64(text, 'range.key'));
      expect(err.code).toBe(3);
      expect(err.httpStatus).toBe(400);
      expect(err.message).toContain('range.key');
    },
  );
});

describe('int64 fields', () => {
  it('accepts decimal strings and integral numbers, under either field spelling', () => {
    expect(readInt64({ limit: '12' }, 'limit', 'r')).toBe(12);
    expect(readInt64({ limit: 12 }, 'limit', 'r')).toBe(12);
    expect(readInt64({ create_revision: '7' }, 'create_revision', 'r')).toBe(7);
    expect(readInt64({ createRevision: 7 }, 'create_revision', 'r')).toBe(7);
    expect(readInt64({ limit: null }, 'limit', 'r')).toBeUndefined();
  });

  it.each([[1.5], ['1.5'], [true], ['abc'], ['99999999999999999999'], [[1]]])(
    'rejects %j',
    (value) => {
      expect(gatewayErrorOf(() => readInt64({ limit: value }, 'limit', 'range')).code).toBe(3);
    },
  );
});

describe('request decoding', () => {
  it('decodes a range with snake_case fields, string int64s and enum names or numbers', () => {
    const req = decodeRangeRequest({
      key: b('a'),
      range_end: b('b'),
      limit: '2',
      revision: 3,
      sort_order: 2,
      sortTarget: 'MOD',
      keys_only: true,
    });
    expect(req).toEqual({
      key: bytes('a'),
      rangeEnd: bytes('b'),
      limit: 2,
      revision: 3,
      sortOrder: 'DESCEND',
      sortTarget: 'MOD',
      keysOnly: true,
    });
  });

  it("refuses a missing or empty key with etcd's message", () => {
    for (const json of [{}, { key: '' }, { key: null }]) {
      const err = gatewayErrorOf(() => decodePutRequest(json));
      expect(err.body()).toEqual({
        error: 'etcdserver: key is not provided',
        message: 'etcdserver: key is not provided',
        code: 3,
      });
    }
  });

  it('decodes a txn with compares and nested ops, defaulting the compare to VERSION EQUAL', () => {
    const txn = decodeTxnRequest({
      compare: [
        { key: b('k'), version: '0' },
        { key: b('k'), result: 'GREATER', target: 'MOD', mod_revision: '4' },
      ],
      success: [{ request_put: { key: b('k'), value: b('v'), prev_kv: true } }],
      failure: [
        { requestRange: { key: b('k') } },
        { request_txn: { success: [{ request_delete_range: { key: b('k') } }] } },
      ],
    });
    expect(txn.compare).toEqual([
      { result: 'EQUAL', target: 'VERSION', key: bytes('k'), version: 0 },
      { result: 'GREATER', target: 'MOD', key: bytes('k'), modRevision: 4 },
    ]);
    expect(txn.success).toEqual([
      { requestPut: { key: bytes('k'), value: bytes('v'), prevKv: true } },
    ]);
    expect(txn.failure[1]).toEqual({
      requestTxn: {
        compare: [],
        success: [{ requestDeleteRange: { key: bytes('k') } }],
        failure: [],
      },
    });
  });

  it('rejects an unknown enum name and an op that sets nothing', () => {
    expect(
      gatewayErrorOf(() => decodeTxnRequest({ compare: [{ key: b('k'), target: 'BOGUS' }] }))
        .message,
    ).toContain('BOGUS');
    expect(gatewayErrorOf(() => decodeTxnRequest({ success: [{}] })).code).toBe(3);
  });

  it('rejects bodies that are not JSON objects', () => {
    for (const text of ['{"key":', '[1]', '"x"', '5'])
      expect(gatewayErrorOf(() => parseJsonBody(text)).code).toBe(3);
    expect(parseJsonBody('')).toEqual({});
  });
});

describe('response encoding (proto3 JSON)', () => {
  const kv = {
    key: bytes('k'),
    value: bytes('v'),
    createRevision: 2,
    modRevision: 3,
    version: 2,
    lease: 0,
  };

  it('writes int64s as strings and omits zero fields', () => {
    expect(JSON.parse(JSON.stringify(encodeKeyValue(kv)))).toEqual({
      key: b('k'),
      create_revision: '2',
      mod_revision: '3',
      version: '2',
      value: b('v'),
    });
    const header = encodeHeader({ clusterId: '17', memberId: '5', revision: 3, raftTerm: 2 });
    const empty = JSON.parse(
      JSON.stringify(
        encodeRangeBody({ header: { revision: 3 }, kvs: [], more: false, count: 0 }, header),
      ),
    );
    expect(empty).toEqual({
      header: { cluster_id: '17', member_id: '5', revision: '3', raft_term: '2' },
    });
  });

  it('gives nested txn responses a revision-only header and omits succeeded=false', () => {
    const body = encodeTxnBody(
      {
        header: { revision: 4 },
        succeeded: false,
        responses: [
          { responseRange: { header: { revision: 4 }, kvs: [kv], more: false, count: 1 } },
        ],
      },
      { revision: '4' },
    );
    expect(JSON.parse(JSON.stringify(body))).toEqual({
      header: { revision: '4' },
      responses: [
        {
          response_range: {
            header: { revision: '4' },
            kvs: [
              { key: b('k'), create_revision: '2', mod_revision: '3', version: '2', value: b('v') },
            ],
            count: '1',
          },
        },
      ],
    });
  });
});

describe('error mapping', () => {
  it('maps kv errors to etcd codes, HTTP statuses and texts', () => {
    expect(toGatewayError(CompactedError.of(1, 3))?.body()).toEqual({
      error: 'etcdserver: mvcc: required revision has been compacted',
      message: 'etcdserver: mvcc: required revision has been compacted',
      code: 11,
    });
    expect(toGatewayError(LeaseNotFoundError.of(5))?.httpStatus).toBe(404);
    const dup = toGatewayError(
      new InvalidRequestError(
        'duplicate key given in txn request: a txn may change each key at most once',
      ),
    );
    expect(dup?.message).toBe('etcdserver: duplicate key given in txn request');
  });

  it('maps SessionExpiredError to FailedPrecondition with its message, which the remote client turns back into the typed error', () => {
    const mapped = toGatewayError(SessionExpiredError.of('svc.0', 3));
    expect(mapped?.code).toBe(9);
    expect(mapped?.httpStatus).toBe(412);
    expect(mapped?.message).toMatch(/^session expired: .*start a new client id/);
    const back = errorFromAnswer('http://n1', mapped!.httpStatus, JSON.stringify(mapped!.body()));
    expect(back).toBeInstanceOf(SessionExpiredError);
  });

  it('maps the node\'s LeaderChangedError to etcd\'s "leader changed" (Unavailable, 503)', () => {
    const mapped = toGatewayError(new LeaderChangedError('linearizable read'));
    expect(mapped?.httpStatus).toBe(503);
    expect(mapped?.code).toBe(14);
    expect(mapped?.message.startsWith('etcdserver: leader changed')).toBe(true);
  });

  it('leaves unexpected errors unmapped so they are reported as bugs', () => {
    expect(toGatewayError(new TypeError('boom'))).toBeUndefined();
    expect(toGatewayError('text')).toBeUndefined();
  });
});
