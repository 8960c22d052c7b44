// Turns `{ file, functions }` entries of tools/mutation/areas.js into Stryker
// `file:startLine-endLine` ranges, so an area names code rather than line
// numbers that go stale as the file changes. A function (or method) runs from
// its declaration line to the first later line that closes it at the same
// indentation; a name that is not found is an error, not a silent skip.
import fs from 'node:fs';

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function functionRange(file, lines, name) {
  // `function name(` at any indentation, or a class member `  [modifiers] name(`
  // (two spaces, not a statement ending in `;`): a bare call of a function in
  // another function's body is not a declaration.
  const fn = new RegExp(`^(\\s*)(?:export\\s+)?(?:async\\s+)?function\\s+${escape(name)}\\s*[(<]`);
  const member = new RegExp(
    `^(  )(?:(?:private|public|protected|async|static)\\s+)*${escape(name)}\\s*[(<]`,
  );
  const isDecl = (line) => fn.test(line) || (member.test(line) && !line.trimEnd().endsWith(';'));
  const start = lines.findIndex(isDecl);
  if (start < 0)
    throw new Error(
      `mutation areas: no function ${name}() in ${file}; update tools/mutation/areas.js`,
    );
  const indent = (fn.exec(lines[start]) ?? member.exec(lines[start]))[1];
  const end = lines.findIndex((line, i) => i > start && line.startsWith(`${indent}}`));
  if (end < 0) throw new Error(`mutation areas: no end of ${name}() in ${file}`);
  return `${file}:${start + 1}-${end + 1}`;
}

export function resolveMutate(entries) {
  return entries.flatMap((entry) => {
    if (typeof entry === 'string') return [entry];
    const lines = fs.readFileSync(entry.file, 'utf8').split('\n');
    return entry.functions.map((name) => functionRange(entry.file, lines, name));
  });
}
