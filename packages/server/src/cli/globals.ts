// Global CLI flags: --endpoints and --command-timeout, anywhere on the line.
import { UsageError } from './errors.js';

export interface GlobalOptions {
  readonly endpoints: string[];
  readonly timeoutMs: number;
  readonly rest: string[];
}

/** Takes the global flags out of argv, wherever they appear (etcdctl allows that). */
export function extractGlobals(argv: readonly string[], env: NodeJS.ProcessEnv): GlobalOptions {
  let endpoints = env['FLOTILLA_ENDPOINTS'] ?? 'http://127.0.0.1:2379';
  let timeoutText = env['FLOTILLA_COMMAND_TIMEOUT'] ?? '10000';
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') ? [arg.split('=')[0], arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : undefined] : [arg, undefined];
    if (flag === '--endpoints' || flag === '--command-timeout') {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`${flag} needs a value`);
      if (flag === '--endpoints') endpoints = value;
      else timeoutText = value;
      continue;
    }
    rest.push(arg);
  }
  if (!/^\d+$/.test(timeoutText) || Number(timeoutText) <= 0) throw new UsageError(`--command-timeout must be a positive number of milliseconds, got ${JSON.stringify(timeoutText)}`);
  const list = endpoints.split(',').map((e) => e.trim().replace(/\/+$/, '')).filter((e) => e !== '');
  for (const e of list) {
    if (!URL.canParse(e)) throw new UsageError(`--endpoints: ${JSON.stringify(e)} is not a URL (e.g. http://127.0.0.1:2379)`);
  }
  return { endpoints: list, timeoutMs: Number(timeoutText), rest };
}

