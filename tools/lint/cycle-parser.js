// The TypeScript parser, with `import type` / `export type` read as plain
// imports and exports, for the no-cycle rule only. import-x/no-cycle skips
// type-only imports by design; this repository counts them (docs/conventions.md,
// convention 13): two modules that each need the other's types cannot be read
// or moved one at a time either. Only the top-level import and export
// statements change; nothing else in the tree is touched.
import tsParser from '@typescript-eslint/parser';

const MODULE_STATEMENTS = new Set([
  'ImportDeclaration',
  'ExportNamedDeclaration',
  'ExportAllDeclaration',
]);

function markAsValue(statement) {
  if (statement.importKind === 'type') statement.importKind = 'value';
  if (statement.exportKind === 'type') statement.exportKind = 'value';
  for (const s of statement.specifiers ?? []) {
    if (s.importKind === 'type') s.importKind = 'value';
    if (s.exportKind === 'type') s.exportKind = 'value';
  }
}

export function parseForESLint(code, options) {
  const result = tsParser.parseForESLint(code, options);
  for (const statement of result.ast.body) {
    if (MODULE_STATEMENTS.has(statement.type)) markAsValue(statement);
  }
  return result;
}

export const meta = { name: 'flotilla-cycle-parser' };
