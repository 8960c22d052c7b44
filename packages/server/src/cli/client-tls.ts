// etcdctl's TLS flags for every client command: --cacert, --cert, --key,
// --insecure-skip-tls-verify. The remote KV client takes them as its `tls`
// option; the CLI's own HTTP calls (member, endpoint, snapshot save) go
// through undici's fetch with an Agent built from the same files, because
// Node's built-in fetch cannot be given a CA or a client certificate.
// undici is loaded only when TLS flags are given (it takes a while to load).
import { readPemFile } from '@flotilla/transport';
import type { Dispatcher, fetch as undiciFetch } from 'undici';
import { CliError, UsageError } from './errors.js';

/** etcdctl's names; the shape remoteKv's `tls` option takes. */
export interface CliTlsOptions {
  readonly cacert?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly insecureSkipTlsVerify?: boolean;
}

type Text = (flag: string, envName: string) => string | undefined;

/** The TLS flags (or FLOTILLA_CACERT, FLOTILLA_CERT, FLOTILLA_KEY, FLOTILLA_INSECURE_SKIP_TLS_VERIFY); undefined when none is given. */
export function cliTlsOf(
  text: Text,
  insecureFlag: unknown,
  env: NodeJS.ProcessEnv,
): CliTlsOptions | undefined {
  const cacert = text('cacert', 'FLOTILLA_CACERT');
  const cert = text('cert', 'FLOTILLA_CERT');
  const key = text('key', 'FLOTILLA_KEY');
  const insecureEnv = env['FLOTILLA_INSECURE_SKIP_TLS_VERIFY'];
  if (insecureEnv !== undefined && !['', 'true', 'false', '1', '0'].includes(insecureEnv)) {
    throw new UsageError(
      `FLOTILLA_INSECURE_SKIP_TLS_VERIFY must be true or false, got ${JSON.stringify(insecureEnv)}`,
    );
  }
  const insecure = insecureFlag === true || insecureEnv === 'true' || insecureEnv === '1';
  if ((cert === undefined) !== (key === undefined)) {
    throw new UsageError(
      `a client certificate needs both --cert and --key; missing: ${cert === undefined ? '--cert' : '--key'}`,
    );
  }
  if (cacert === undefined && cert === undefined && !insecure) return undefined;
  return {
    ...(cacert !== undefined ? { cacert } : {}),
    ...(cert !== undefined ? { cert, key: key! } : {}),
    ...(insecure ? { insecureSkipTlsVerify: true } : {}),
  };
}

function pem(file: string, what: string): Buffer {
  try {
    return readPemFile(file, what);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}

/** fetch and an undici Agent that speaks to https:// endpoints as the flags say. */
export interface TlsFetch {
  readonly fetch: typeof undiciFetch;
  readonly dispatcher: Dispatcher;
}

/** The PEM contents of the TLS flags, read at once so a bad file fails the command before any request. */
export interface TlsFiles {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly rejectUnauthorized: boolean;
}

export function readTlsFiles(tls: CliTlsOptions | undefined): TlsFiles | undefined {
  if (tls === undefined) return undefined;
  return {
    ...(tls.cacert !== undefined ? { ca: pem(tls.cacert, 'CA file (--cacert)') } : {}),
    ...(tls.cert !== undefined ? { cert: pem(tls.cert, 'client certificate (--cert)') } : {}),
    ...(tls.key !== undefined ? { key: pem(tls.key, 'client key (--key)') } : {}),
    rejectUnauthorized: tls.insecureSkipTlsVerify !== true,
  };
}

/** undefined without TLS flags: the built-in fetch and its default agent do. */
export async function tlsFetch(files: TlsFiles | undefined): Promise<TlsFetch | undefined> {
  if (files === undefined) return undefined;
  const { Agent, fetch } = await import('undici');
  return { fetch, dispatcher: new Agent({ connect: { ...files } }) };
}
