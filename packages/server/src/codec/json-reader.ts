// Typed reads of proto3-JSON fields, as etcd's gateway accepts them: a field
// may be spelled with its proto name (`prev_kv`) or its lowerCamel JSON name
// (`prevKv`); null means unset; int64s come as strings or integral numbers;
// enums as names or numbers; unknown fields are ignored. Every mistake is a
// GatewayError (InvalidArgument) naming the field.
import { decodeBase64 } from './base64.js';
import { GatewayError } from './gateway-error.js';

export type JsonObject = Record<string, unknown>;

function camel(name: string): string {
  return name.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** The raw value of a field under either spelling; undefined when absent or null. */
export function rawField(obj: JsonObject, name: string): unknown {
  const value = Object.hasOwn(obj, name) ? obj[name] : obj[camel(name)];
  return value === null ? undefined : value;
}

export function asObject(value: unknown, path: string): JsonObject {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw GatewayError.invalidArgument(`${path} must be a JSON object, got ${describe(value)}`);
  }
  return value as JsonObject;
}

export function readObject(obj: JsonObject, name: string, path: string): JsonObject | undefined {
  const value = rawField(obj, name);
  return value === undefined ? undefined : asObject(value, `${path}.${name}`);
}

export function readBytes(obj: JsonObject, name: string, path: string): Uint8Array | undefined {
  const value = rawField(obj, name);
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    throw GatewayError.invalidArgument(
      `${path}.${name} must be a base64 string, got ${describe(value)}`,
    );
  }
  return decodeBase64(value, `${path}.${name}`);
}

const INTEGER = /^-?\d+$/;

/** An int64 (or uint64) field, as a JS safe integer: Flotilla's revisions and ids are safe integers. */
export function readInt64(obj: JsonObject, name: string, path: string): number | undefined {
  const value = rawField(obj, name);
  if (value === undefined) return undefined;
  let n: number;
  if (typeof value === 'number') {
    n = value;
  } else if (typeof value === 'string' && INTEGER.test(value.trim())) {
    n = Number(value.trim());
  } else {
    throw GatewayError.invalidArgument(
      `${path}.${name} must be an integer (a JSON number or a decimal string), got ${describe(value)} ${JSON.stringify(value)}`,
    );
  }
  if (!Number.isInteger(n)) {
    throw GatewayError.invalidArgument(`${path}.${name} must be an integer, got ${String(value)}`);
  }
  if (!Number.isSafeInteger(n)) {
    throw GatewayError.invalidArgument(
      `${path}.${name} is ${String(value)}, outside the range Flotilla supports (|n| ≤ 2^53-1)`,
    );
  }
  return n;
}

export function readUint(obj: JsonObject, name: string, path: string): number | undefined {
  const n = readInt64(obj, name, path);
  if (n !== undefined && n < 0)
    throw GatewayError.invalidArgument(`${path}.${name} must not be negative, got ${n}`);
  return n;
}

export function readBool(obj: JsonObject, name: string, path: string): boolean | undefined {
  const value = rawField(obj, name);
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean')
    throw GatewayError.invalidArgument(
      `${path}.${name} must be true or false, got ${describe(value)}`,
    );
  return value;
}

export function readString(obj: JsonObject, name: string, path: string): string | undefined {
  const value = rawField(obj, name);
  if (value === undefined) return undefined;
  if (typeof value !== 'string')
    throw GatewayError.invalidArgument(`${path}.${name} must be a string, got ${describe(value)}`);
  return value;
}

/** An enum given by name or by its proto number (the index in `values`). */
export function readEnum<T extends string>(
  obj: JsonObject,
  name: string,
  values: readonly T[],
  path: string,
): T | undefined {
  const value = rawField(obj, name);
  if (value === undefined) return undefined;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < values.length)
    return values[value];
  if (typeof value === 'string' && (values as readonly string[]).includes(value)) return value as T;
  throw GatewayError.invalidArgument(
    `${path}.${name} has unknown value ${JSON.stringify(value)}; expected one of ${values.join(', ')}`,
  );
}

export function readArray(obj: JsonObject, name: string, path: string): unknown[] | undefined {
  const value = rawField(obj, name);
  if (value === undefined) return undefined;
  if (!Array.isArray(value))
    throw GatewayError.invalidArgument(`${path}.${name} must be an array, got ${describe(value)}`);
  return value;
}

export function readStringArray(obj: JsonObject, name: string, path: string): string[] | undefined {
  const items = readArray(obj, name, path);
  return items?.map((item, i) => {
    if (typeof item !== 'string')
      throw GatewayError.invalidArgument(
        `${path}.${name}[${i}] must be a string, got ${describe(item)}`,
      );
    return item;
  });
}

/** Parses a request body; an empty body is an empty message, as in etcd. */
export function parseJsonBody(text: string): JsonObject {
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw GatewayError.invalidArgument(`request body is not valid JSON: ${(err as Error).message}`);
  }
  return asObject(value, 'request body');
}
