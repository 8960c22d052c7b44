// etcdctl's txn input, read from stdin: compares, a blank line, success
// requests, a blank line, failure requests. For example:
//   mod("key1") > "0"
//   value("key2") = "v"
//
//   put key1 "new value"
//
//   get key1
import type { CompareSpec, CompareTarget, KeyRange, OpSpec, TxnSpec } from '@flotilla/client';
import { UsageError } from './errors.js';
import { parseHexId } from './ids.js';

const TARGETS: Record<string, CompareTarget> = {
  value: 'VALUE',
  val: 'VALUE',
  version: 'VERSION',
  ver: 'VERSION',
  create: 'CREATE',
  c: 'CREATE',
  mod: 'MOD',
  m: 'MOD',
  lease: 'LEASE',
};

const unescape = (s: string): string => s.replace(/\\(.)/g, '$1');

/** Splits a line into words; double-quoted words may hold spaces and \" escapes. */
export function words(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line))
    out.push(m[1] !== undefined ? unescape(m[1]) : (m[2] ?? ''));
  return out;
}

export function parseCompare(line: string, lineNo: number): CompareSpec {
  const m = /^\s*(\w+)\("((?:[^"\\]|\\.)*)"\)\s*(=|!=|<|>)\s*"((?:[^"\\]|\\.)*)"\s*$/.exec(line);
  const target = m ? TARGETS[m[1] ?? ''] : undefined;
  if (!m || !target) {
    throw new UsageError(
      `txn line ${lineNo}: cannot read compare ${JSON.stringify(line)}; write e.g. value("key") = "v" or mod("key") > "3"`,
    );
  }
  const result = m[3] as '=' | '!=' | '<' | '>';
  const key = unescape(m[2] ?? '');
  const operand = unescape(m[4] ?? '');
  if (target === 'VALUE') return { key, target, result, value: operand };
  if (target === 'LEASE')
    return {
      key,
      target,
      result,
      number: operand === '0' ? 0 : parseHexId(operand, `txn line ${lineNo}: lease`),
    };
  if (!/^\d+$/.test(operand))
    throw new UsageError(
      `txn line ${lineNo}: ${m[1]}() compares with a number, got ${JSON.stringify(operand)}`,
    );
  return { key, target, result, number: Number(operand) };
}

export function parseOp(line: string, lineNo: number): OpSpec {
  const [verb, ...rest] = words(line);
  const flags = rest.filter((w) => w.startsWith('--'));
  const args = rest.filter((w) => !w.startsWith('--'));
  const unknown = flags.find((f) => f !== '--prefix');
  if (unknown) throw new UsageError(`txn line ${lineNo}: unknown flag ${unknown}`);
  const range = (): KeyRange => {
    const key = args[0];
    if (key === undefined) throw new UsageError(`txn line ${lineNo}: ${verb} needs a key`);
    if (flags.includes('--prefix')) return { prefix: key };
    return args[1] === undefined ? { key } : { key, rangeEnd: args[1] };
  };
  switch (verb) {
    case 'put':
      if (args.length !== 2)
        throw new UsageError(
          `txn line ${lineNo}: put needs a key and a value (quote values with spaces)`,
        );
      return { put: { key: args[0]!, value: args[1]! } };
    case 'get':
      return { range: range() };
    case 'del':
      return { delete: range() };
    default:
      throw new UsageError(
        `txn line ${lineNo}: unknown request ${JSON.stringify(verb ?? '')}; use put, get or del`,
      );
  }
}

/** The three blank-line-separated sections of etcdctl's txn input. */
export function parseTxnInput(input: string): Required<TxnSpec> {
  const sections: { line: string; no: number }[][] = [[]];
  input.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') {
      if (sections.length < 3) sections.push([]);
      return;
    }
    sections[sections.length - 1]!.push({ line, no: i + 1 });
  });
  return {
    compare: (sections[0] ?? []).map((l) => parseCompare(l.line, l.no)),
    success: (sections[1] ?? []).map((l) => parseOp(l.line, l.no)),
    failure: (sections[2] ?? []).map((l) => parseOp(l.line, l.no)),
  };
}
