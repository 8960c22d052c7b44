import { describe, expect, it } from 'vitest';
import { lintSource } from '../tools/lint/check.js';

// docs/conventions.md, convention 1: packages/raft/src is pure. These tests prove the
// lint that guards it actually fires, so breaking purity fails CI.
const inCore = 'packages/raft/src/__purity_fixture__.ts';

async function rulesFiredFor(code: string, file = inCore): Promise<string[]> {
  return (await lintSource(code, file)).map((m) => m.rule ?? 'parse-error');
}

describe('purity lint of the Raft core', () => {
  it('rejects node: imports and Node I/O modules', async () => {
    expect(await rulesFiredFor("import fs from 'node:fs';\nexport const x = fs;\n")).toContain(
      'no-restricted-imports',
    );
    expect(await rulesFiredFor("import net from 'net';\nexport const x = net;\n")).toContain(
      'no-restricted-imports',
    );
  });

  it('rejects wall-clock time: Date and performance', async () => {
    expect(await rulesFiredFor('export const t = Date.now();\n')).toContain(
      'no-restricted-globals',
    );
    expect(await rulesFiredFor('export const t = new Date();\n')).toContain(
      'no-restricted-globals',
    );
    expect(await rulesFiredFor('export const t = performance.now();\n')).toContain(
      'no-restricted-globals',
    );
  });

  it('rejects Math.random', async () => {
    expect(await rulesFiredFor('export const r = Math.random();\n')).toContain(
      'no-restricted-properties',
    );
  });

  it('rejects timers', async () => {
    expect(await rulesFiredFor('setTimeout(() => {}, 1);\n')).toContain('no-restricted-globals');
    expect(await rulesFiredFor('setInterval(() => {}, 1);\n')).toContain('no-restricted-globals');
  });

  it('rejects async functions, await and promises', async () => {
    expect(await rulesFiredFor('export async function f() { return 1; }\n')).toContain(
      'no-restricted-syntax',
    );
    expect(await rulesFiredFor('export const f = async () => 1;\n')).toContain(
      'no-restricted-syntax',
    );
    expect(await rulesFiredFor('export const p = Promise.resolve(1);\n')).toContain(
      'no-restricted-globals',
    );
  });

  it('accepts pure code in the core', async () => {
    expect(
      await rulesFiredFor('export function add(a: number, b: number): number { return a + b; }\n'),
    ).toEqual([]);
  });

  it('applies the purity rules to the core only, not to the driver', async () => {
    expect(
      await rulesFiredFor('export const t = Date.now();\n', 'packages/node/src/clock.ts'),
    ).toEqual([]);
  });
});
