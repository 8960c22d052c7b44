// Fenced code blocks of a markdown file, with the marker that may precede
// each: `<!-- not-run: reason -->` (a deliberate snippet, never run) or
// `<!-- run: key=value ... -->` (how to run it: fixtures and ports, see
// run-block.ts). Pure: text in, blocks out.

/** Languages whose blocks must either run or carry a not-run marker. */
export const RUNNABLE_LANGS = new Set([
  'ts',
  'typescript',
  'js',
  'javascript',
  'mjs',
  'sh',
  'bash',
  'shell',
  'console',
]);

export type Marker =
  | { readonly kind: 'not-run'; readonly reason: string }
  | { readonly kind: 'run'; readonly options: Readonly<Record<string, string>> };

export interface CodeBlock {
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly lang: string;
  readonly code: string;
  /** The nearest heading above the block, without its #s. */
  readonly heading: string;
  readonly marker: Marker | undefined;
}

export class MarkerSyntaxError extends Error {
  override readonly name = 'MarkerSyntaxError';
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/;
const MARKER = /^<!--\s*(not-run|run)\s*:(.*?)-->\s*$/;

export function parseMarker(line: string, where: string): Marker | undefined {
  const m = MARKER.exec(line.trim());
  if (!m) return undefined;
  const body = m[2]!.trim();
  if (m[1] === 'not-run') {
    if (body === '')
      throw new MarkerSyntaxError(`${where}: <!-- not-run: --> needs a reason after the colon`);
    return { kind: 'not-run', reason: body };
  }
  const options: Record<string, string> = {};
  for (const pair of body.split(/\s+/).filter((p) => p !== '')) {
    const eq = pair.indexOf('=');
    if (eq <= 0)
      throw new MarkerSyntaxError(
        `${where}: run marker option ${JSON.stringify(pair)} is not key=value`,
      );
    options[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return { kind: 'run', options };
}

export function extractBlocks(markdown: string, file: string): CodeBlock[] {
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  let heading = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const h = /^#{1,6}\s+(.*)$/.exec(line);
    if (h) heading = h[1]!.trim();
    const open = FENCE.exec(line);
    if (!open) continue;
    const [, indent, fence, lang] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const close = lines[j]!;
      if (close.trim().startsWith(fence!) && close.trim().replace(/[`~]/g, '') === '') break;
      body.push(close.startsWith(indent!) ? close.slice(indent!.length) : close);
    }
    let k = i - 1;
    while (k >= 0 && lines[k]!.trim() === '') k--;
    const marker = k >= 0 ? parseMarker(lines[k]!, `${file}:${k + 1}`) : undefined;
    blocks.push({
      file,
      line: i + 1,
      lang: lang!.toLowerCase(),
      code: body.join('\n'),
      heading,
      marker,
    });
    i = j;
  }
  return blocks;
}

/** The first block of `lang` under the heading `heading` (exact text), e.g. README's "Embedding". */
export function blockUnder(
  blocks: readonly CodeBlock[],
  heading: string,
  langs: readonly string[],
): CodeBlock {
  const found = blocks.find((b) => b.heading === heading && langs.includes(b.lang));
  if (!found) throw new Error(`no ${langs.join('/')} block under the heading "${heading}"`);
  return found;
}
