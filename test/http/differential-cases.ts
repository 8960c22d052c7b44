// The requests the differential test sends, in order, to etcd and to Flotilla.
// Both start empty, so revisions must agree exactly; each case uses its own
// key prefix. Lease ids are chosen explicitly so they agree too.

export interface WireRequest {
  readonly path: string;
  /** A JSON value, or a raw string sent as is (for malformed bodies). */
  readonly body: unknown;
  readonly method?: string;
  /** What to compare: the whole normalised body (default), or status and gRPC code only. */
  readonly compare?: 'body' | 'status-and-code' | 'status';
}

export interface DifferentialCase {
  readonly name: string;
  readonly requests: readonly WireRequest[];
}

export const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

const put = (key: string, value: string, extra: object = {}): WireRequest => ({
  path: '/v3/kv/put',
  body: { key: b64(key), value: b64(value), ...extra },
});
const range = (body: object): WireRequest => ({ path: '/v3/kv/range', body });

export const CASES: readonly DifferentialCase[] = [
  {
    name: 'put: plain, overwrite with prev_kv, empty value, unknown lease',
    requests: [
      put('put/a', '1'),
      put('put/a', '2', { prev_kv: true }),
      put('put/b', ''),
      range({ key: b64('put/b') }),
      put('put/c', 'x', { lease: '424242' }),
      put('put/c', 'x', { prev_kv: true }),
    ],
  },
  {
    name: 'range: prefix, limit with more/count, past revision, keys_only, count_only, sort, future revision',
    requests: [
      put('rng/a', 'va'),
      put('rng/b', 'vb'),
      put('rng/c', 'vc'),
      put('rng/b', 'vb2'),
      range({ key: b64('rng/'), range_end: b64('rng0') }),
      range({ key: b64('rng/'), range_end: b64('rng0'), limit: '2' }),
      range({
        key: b64('rng/'),
        range_end: b64('rng0'),
        limit: 1,
        sort_order: 'DESCEND',
        sort_target: 'MOD',
      }),
      range({ key: b64('rng/b'), revision: '8' }),
      range({ key: b64('rng/'), range_end: b64('rng0'), revision: 7 }),
      range({ key: b64('rng/'), range_end: b64('rng0'), keys_only: true }),
      range({ key: b64('rng/'), range_end: b64('rng0'), count_only: true }),
      range({ key: b64('rng/'), range_end: b64('rng0'), sort_order: 2, sort_target: 'VALUE' }),
      range({ key: b64('rng/zzz') }),
      range({ key: b64('rng/a'), revision: '100000' }),
    ],
  },
  {
    name: 'delete: with prev_kv, missing key, prefix',
    requests: [
      put('del/a', '1'),
      put('del/b', '2'),
      put('del/c', '3'),
      { path: '/v3/kv/deleterange', body: { key: b64('del/a'), prev_kv: true } },
      { path: '/v3/kv/deleterange', body: { key: b64('del/a'), prev_kv: true } },
      { path: '/v3/kv/deleterange', body: { key: b64('del/'), range_end: b64('del0') } },
      range({ key: b64('del/'), range_end: b64('del0') }),
    ],
  },
  {
    name: 'txn: compares on value, version, create and mod revision; both branches; nested ops',
    requests: [
      put('txn/a', 'v1'),
      {
        path: '/v3/kv/txn',
        body: {
          compare: [{ key: b64('txn/a'), result: 'EQUAL', target: 'VALUE', value: b64('v1') }],
          success: [
            { request_put: { key: b64('txn/b'), value: b64('vb'), prev_kv: true } },
            { request_range: { key: b64('txn/a') } },
          ],
          failure: [{ request_delete_range: { key: b64('txn/a') } }],
        },
      },
      {
        path: '/v3/kv/txn',
        body: {
          compare: [{ key: b64('txn/a'), result: 'GREATER', target: 'VERSION', version: '5' }],
          success: [{ request_put: { key: b64('txn/x'), value: b64('no') } }],
          failure: [
            { request_delete_range: { key: b64('txn/b'), prev_kv: true } },
            { request_range: { key: b64('txn/'), range_end: b64('txn0') } },
          ],
        },
      },
      {
        path: '/v3/kv/txn',
        body: {
          compare: [{ key: b64('txn/new'), target: 'CREATE', create_revision: '0' }],
          success: [{ request_put: { key: b64('txn/new'), value: b64('created') } }],
        },
      },
      {
        path: '/v3/kv/txn',
        body: {
          compare: [{ key: b64('txn/new'), target: 'CREATE', create_revision: '0' }],
          success: [{ request_put: { key: b64('txn/new'), value: b64('again') } }],
          failure: [{ request_range: { key: b64('txn/new') } }],
        },
      },
      {
        path: '/v3/kv/txn',
        body: {
          compare: [
            { key: b64('txn/a'), result: 'LESS', target: 'MOD', mod_revision: '1000' },
            { key: b64('txn/a'), result: 'NOT_EQUAL', target: 'VALUE', value: b64('zz') },
          ],
          success: [
            {
              request_txn: {
                success: [{ request_put: { key: b64('txn/n'), value: b64('nested') } }],
              },
            },
          ],
        },
      },
      { path: '/v3/kv/txn', body: {} },
      {
        path: '/v3/kv/txn',
        body: {
          success: [
            { request_put: { key: b64('txn/d'), value: b64('1') } },
            { request_put: { key: b64('txn/d'), value: b64('2') } },
          ],
        },
      },
    ],
  },
  {
    name: 'lease: grant with id, attach, time-to-live with keys, list, revoke deletes keys, revoke twice',
    requests: [
      { path: '/v3/lease/grant', body: { TTL: '60', ID: '7001' } },
      { path: '/v3/lease/grant', body: { TTL: 60, ID: '7001' }, compare: 'status-and-code' },
      put('lease/a', 'leased', { lease: '7001' }),
      range({ key: b64('lease/a') }),
      { path: '/v3/lease/timetolive', body: { ID: '7001', keys: true } },
      { path: '/v3/lease/timetolive', body: { ID: '7999' } },
      { path: '/v3/lease/leases', body: {} },
      { path: '/v3/lease/revoke', body: { ID: '7001' } },
      range({ key: b64('lease/a') }),
      { path: '/v3/lease/revoke', body: { ID: '7001' } },
    ],
  },
  {
    name: 'compaction: old revisions are gone, compacting again or into the future fails',
    requests: [
      put('cmp/a', '1'),
      put('cmp/a', '2'),
      { path: '/v3/kv/compaction', body: { revision: '5' } },
      range({ key: b64('cmp/a'), revision: '4' }),
      { path: '/v3/kv/compaction', body: { revision: '5' } },
      { path: '/v3/kv/compaction', body: { revision: '100000' } },
    ],
  },
  {
    name: 'bad input: malformed JSON, wrong types, bad base64, missing key, unknown enum, oversized body, unknown path',
    requests: [
      { path: '/v3/kv/put', body: '{"key":', compare: 'status-and-code' },
      { path: '/v3/kv/put', body: '[1]', compare: 'status-and-code' },
      { path: '/v3/kv/range', body: { key: 5 }, compare: 'status-and-code' },
      { path: '/v3/kv/range', body: { key: b64('x'), limit: true }, compare: 'status-and-code' },
      { path: '/v3/kv/range', body: { key: b64('x'), limit: '1.5' }, compare: 'status-and-code' },
      { path: '/v3/kv/put', body: { key: '!!!', value: b64('v') }, compare: 'status-and-code' },
      { path: '/v3/kv/put', body: { key: 'YQ', value: b64('v') }, compare: 'status-and-code' },
      { path: '/v3/kv/put', body: { value: b64('v') } },
      { path: '/v3/kv/range', body: {} },
      {
        path: '/v3/kv/txn',
        body: { compare: [{ key: b64('x'), target: 'BOGUS' }] },
        compare: 'status-and-code',
      },
      {
        path: '/v3/kv/put',
        body: { key: b64('big'), value: 'A'.repeat(4 * 1024 * 1024) },
        compare: 'status-and-code',
      },
      { path: '/v3/kv/nothing', body: {}, compare: 'status' },
      { path: '/v3/kv/range', body: {}, method: 'GET', compare: 'status' },
      range({ key: b64('big') }),
    ],
  },
];
