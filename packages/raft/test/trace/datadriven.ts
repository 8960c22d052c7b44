// A small data-driven test file format, in the spirit of etcd-io/raft's
// testdata/*.txt: each case is a command line, a `----` separator and the
// output the command must print, ended by a blank line. Lines starting with
// `#` between cases are comments. Output lines never are blank (the printer
// indents instead), so a blank line always ends a case.
//
// With FLOTILLA_TRACE_REWRITE=1 the runner writes the actual output back into
// the file instead of comparing: review the diff before committing it.

export interface TraceCase {
  /** 1-based line of the command, for error messages. */
  readonly line: number;
  readonly command: string;
  readonly expected: string;
}

export interface TraceFile {
  /** Everything in order: comments and blank lines kept for rewriting. */
  readonly parts: readonly (string | TraceCase)[];
}

export function parseTraceFile(text: string, name: string): TraceFile {
  const lines = text.split('\n');
  const parts: (string | TraceCase)[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.trim() === '' || line.startsWith('#')) {
      parts.push(line);
      i++;
      continue;
    }
    const commandLine = i + 1;
    if (lines[i + 1] !== '----') {
      throw new Error(`${name}:${commandLine + 1}: expected '----' after the command '${line}'`);
    }
    let j = i + 2;
    const out: string[] = [];
    while (j < lines.length && lines[j]!.trim() !== '') out.push(lines[j++]!);
    parts.push({ line: commandLine, command: line, expected: out.join('\n') });
    i = j;
  }
  // A trailing newline yields one empty last part; drop it so rewriting is stable.
  if (parts[parts.length - 1] === '') parts.pop();
  return { parts };
}

export function formatTraceFile(file: TraceFile, actual: ReadonlyMap<TraceCase, string>): string {
  const out: string[] = [];
  for (const p of file.parts) {
    if (typeof p === 'string') out.push(p);
    else out.push(p.command, '----', actual.get(p) ?? p.expected);
  }
  return `${out.join('\n')}\n`;
}
