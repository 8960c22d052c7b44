// etcdctl's `-w json` text from the gateway's etcd v3 JSON answers. etcdctl
// marshals etcd's Go structs with encoding/json: fields in the struct's order,
// zero values omitted (omitempty), and every int64/uint64 a JSON number. The
// gateway sends int64s as decimal strings (proto3 JSON); their digits are
// written out unquoted as they came, never through a JS number, since uint64
// ids (cluster, member, lease) exceed 2^53.
import { CliError } from './errors.js';

type Json = Record<string, unknown>;

/** How one field is written: a number, a string, a bool, a nested message, or a list of one of these. */
type Field = 'num' | 'str' | 'bool' | Shape | { readonly list: 'num' | 'str' | Shape };
/**
 * How etcdctl's own structs (the lease printers) differ: `from` is the gateway's name when
 * it differs; `always` writes a zero value (0, "", null for an empty list) as they have no omitempty.
 */
interface FieldOptions {
  readonly from?: string;
  readonly always?: boolean;
}
/** A message: its fields in etcdctl's order (the Go struct's). */
export type Shape = readonly (readonly [name: string, field: Field, options?: FieldOptions])[];

const HEADER: Shape = [
  ['cluster_id', 'num'],
  ['member_id', 'num'],
  ['revision', 'num'],
  ['raft_term', 'num'],
];
const KEY_VALUE: Shape = [
  ['key', 'str'], // bytes: base64 in both
  ['create_revision', 'num'],
  ['mod_revision', 'num'],
  ['version', 'num'],
  ['value', 'str'],
  ['lease', 'num'],
];

export const RANGE: Shape = [
  ['header', HEADER],
  ['kvs', { list: KEY_VALUE }],
  ['more', 'bool'],
  ['count', 'num'],
];
export const PUT: Shape = [
  ['header', HEADER],
  ['prev_kv', KEY_VALUE],
];
export const DELETE_RANGE: Shape = [
  ['header', HEADER],
  ['deleted', 'num'],
  ['prev_kvs', { list: KEY_VALUE }],
];
const MEMBER: Shape = [
  ['ID', 'num'],
  ['name', 'str'],
  ['peerURLs', { list: 'str' }],
  ['clientURLs', { list: 'str' }],
  ['isLearner', 'bool'],
];
/**
 * A txn's response ops as etcdctl prints them: encoding/json writes the oneof as
 * `{"Response":{"ResponsePut":{...}}}` (see `wrapResponses`); the nested responses' headers
 * hold only the revision.
 */
const RESPONSE_OP: Shape = [
  [
    'Response',
    [
      ['ResponseRange', RANGE, { from: 'response_range' }],
      ['ResponsePut', PUT, { from: 'response_put' }],
      ['ResponseDeleteRange', DELETE_RANGE, { from: 'response_delete_range' }],
    ],
  ],
];
export const TXN: Shape = [
  ['header', HEADER],
  ['succeeded', 'bool'],
  ['responses', { list: RESPONSE_OP }],
];

// etcdctl prints leases through structs of its own: the header's fields inlined at the top
// (see `inlineHeader`), then fields without omitempty.
export const LEASE_GRANT: Shape = [
  ...HEADER,
  ['ID', 'num', { always: true }],
  ['TTL', 'num', { always: true }],
  ['Error', 'str', { always: true }],
];
export const LEASE_KEEP_ALIVE: Shape = [
  ...HEADER,
  ['ID', 'num', { always: true }],
  ['TTL', 'num', { always: true }],
];
export const LEASE_TIME_TO_LIVE: Shape = [
  ...HEADER,
  ['id', 'num', { from: 'ID', always: true }],
  ['ttl', 'num', { from: 'TTL', always: true }],
  ['granted-ttl', 'num', { from: 'grantedTTL', always: true }],
  ['keys', { list: 'str' }, { always: true }],
];
export const LEASE_LEASES: Shape = [
  ...HEADER,
  ['leases', { list: [['id', 'num', { from: 'ID', always: true }]] }, { always: true }],
];
export const LEASE_REVOKE: Shape = [['header', HEADER]];

export const MEMBER_LIST: Shape = [
  ['header', HEADER],
  ['members', { list: MEMBER }],
];
export const STATUS: Shape = [
  ['header', HEADER],
  ['version', 'str'],
  ['dbSize', 'num'],
  ['leader', 'num'],
  ['raftIndex', 'num'],
  ['raftTerm', 'num'],
  ['raftAppliedIndex', 'num'],
  ['errors', { list: 'str' }],
  ['dbSizeInUse', 'num'],
  ['isLearner', 'bool'],
];
export const HASH_KV: Shape = [
  ['header', HEADER],
  ['hash', 'num'],
  ['compact_revision', 'num'],
];

/** An integer's decimal digits as sent (a string, or a number the gateway wrote as one). */
function digits(value: unknown, name: string): string {
  const s = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  if (typeof s !== 'string' || !/^-?\d+$/.test(s))
    throw new CliError(`the server's answer has ${name}=${JSON.stringify(value)}, not an integer`);
  // Leading zeros are not JSON; "0" itself is omitted before this.
  return s.replace(/^(-?)0+(?=\d)/, '$1');
}

/** The field's text, or undefined where etcdctl omits it (zero, empty, absent). */
function fieldText(value: unknown, field: Field, name: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (field === 'num') {
    const d = digits(value, name);
    return d === '0' || d === '-0' ? undefined : d;
  }
  if (field === 'str') return value === '' ? undefined : JSON.stringify(String(value));
  if (field === 'bool') return value === true ? 'true' : undefined;
  if ('list' in field) {
    if (!Array.isArray(value) || value.length === 0) return undefined;
    const each = field.list;
    // A list keeps its zero elements (encoding/json writes 0, "" and {} inside arrays).
    const items = value.map((v) =>
      each === 'num'
        ? digits(v, name)
        : each === 'str'
          ? JSON.stringify(String(v))
          : message(v, each),
    );
    return `[${items.join(',')}]`;
  }
  return message(value, field);
}

/** What a field without omitempty writes for its zero value. */
function zeroText(field: Field): string {
  if (field === 'num') return '0';
  if (field === 'str') return '""';
  if (field === 'bool') return 'false';
  return 'list' in field ? 'null' : '{}';
}

function message(value: unknown, shape: Shape): string {
  const obj = (typeof value === 'object' && value !== null ? value : {}) as Json;
  const parts: string[] = [];
  for (const [name, field, options] of shape) {
    const from = options?.from ?? name;
    const t = fieldText(obj[from], field, from) ?? (options?.always ? zeroText(field) : undefined);
    if (t !== undefined) parts.push(`${JSON.stringify(name)}:${t}`);
  }
  return `{${parts.join(',')}}`;
}

/** One gateway answer as etcdctl -w json prints it. */
export function etcdctlJson(answer: Json, shape: Shape): string {
  return message(answer, shape);
}

/** A txn answer with each response op inside the `Response` wrapper etcdctl's oneof prints. */
export function wrapResponses(answer: Json): Json {
  const ops = answer['responses'];
  return Array.isArray(ops)
    ? { ...answer, responses: ops.map((op) => ({ Response: op })) }
    : answer;
}

/** The answer with its header's fields at the top, as etcdctl's lease structs embed the header. */
export function inlineHeader(answer: Json): Json {
  const header = answer['header'];
  return typeof header === 'object' && header !== null
    ? { ...(header as Json), ...answer }
    : answer;
}

/** etcdctl's per-endpoint list (endpoint status, hashkv): `[{"Endpoint":...,"<key>":{...}}]`. */
export function etcdctlEndpointsJson(
  rows: readonly { endpoint: string; answer: Json }[],
  key: 'Status' | 'HashKV',
  shape: Shape,
): string {
  const items = rows.map(
    (r) =>
      `{"Endpoint":${JSON.stringify(r.endpoint)},${JSON.stringify(key)}:${message(r.answer, shape)}}`,
  );
  return `[${items.join(',')}]`;
}
