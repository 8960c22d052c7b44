#!/usr/bin/env node
// Certificates for a test cluster, made with the `openssl` command: one CA,
// and for each member name a certificate usable both as a TLS server and as a
// TLS client (peer mTLS and the client port). Each member certificate carries
// the member's name twice: as its subject CN and as the SAN URI
// `urn:flotilla:member:<name>`, which is where Flotilla reads a peer's
// identity (docs/security.md). Keys are EC P-256, unencrypted: for tests and
// trials, not for a production CA.
//
//   node tools/gen-certs.js <dir> n1 n2 n3 [--host 10.0.0.5 --host db.example]
//
// writes <dir>/ca.crt, ca.key and <name>.crt, <name>.key for each name.
import { execFileSync } from 'node:child_process';
import { mkdirSync, realpathSync, writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The SAN URI prefix that names a member (see docs/security.md). */
export const MEMBER_URI_PREFIX = 'urn:flotilla:member:';

const DAYS = '825';

function openssl(args, cwd) {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const detail = err.stderr?.toString().trim() || err.message;
    throw new Error(
      `openssl ${args[0]} failed: ${detail}. gen-certs needs the openssl command (OpenSSL 1.1.1 or later) on PATH`,
    );
  }
}

function checkName(name) {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(name))
    throw new Error(`certificate name '${name}' must be 1-63 letters, digits, '.', '_' or '-'`);
}

/** Makes a CA in `dir` (ca.crt, ca.key). */
export function makeCa(dir, caName = 'flotilla test CA') {
  mkdirSync(dir, { recursive: true });
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      DAYS,
      '-subj',
      `/CN=${caName}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  return { cert: path.join(dir, 'ca.crt'), key: path.join(dir, 'ca.key') };
}

/**
 * Makes `<name>.crt`/`<name>.key` in `dir`, signed by the CA in `dir`.
 * `cn` (default: the name) is the subject CN; `uriName` (default: the name)
 * goes into the SAN URI; `hosts` are the DNS names and IP addresses it is valid for.
 */
export function makeCert(
  dir,
  name,
  { cn = name, uriName = name, hosts = ['127.0.0.1', 'localhost'] } = {},
) {
  checkName(name);
  const sans = hosts.map((h) => (/^[0-9.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`));
  if (uriName !== null) sans.push(`URI:${MEMBER_URI_PREFIX}${uriName}`);
  const ext = `${name}.ext`;
  writeFileSync(
    path.join(dir, ext),
    [
      `subjectAltName=${sans.join(',')}`,
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth,clientAuth',
      '',
    ].join('\n'),
  );
  openssl(
    [
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${cn}`,
    ],
    dir,
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      DAYS,
      '-extfile',
      ext,
    ],
    dir,
  );
  rmSync(path.join(dir, `${name}.csr`));
  rmSync(path.join(dir, ext));
  return { cert: path.join(dir, `${name}.crt`), key: path.join(dir, `${name}.key`) };
}

/** A CA and one certificate per name, in `dir`. */
export function generateCerts(dir, names, options = {}) {
  const ca = makeCa(dir, options.caName);
  const certs = {};
  for (const name of names) certs[name] = makeCert(dir, name, { hosts: options.hosts });
  return { ca: ca.cert, certs };
}

/**
 * For tests: under `root`, a CA in `ca/` with a certificate per name plus
 * `client`, and ANOTHER CA in `other/` with the same names (valid-looking
 * certificates that the first CA does not trust). Nothing is committed: tests
 * call this in a temporary directory.
 */
export function makeTestPki(root, names) {
  const trusted = generateCerts(path.join(root, 'ca'), [...names, 'client']);
  const other = generateCerts(path.join(root, 'other'), [...names, 'client'], {
    caName: 'another CA',
  });
  return {
    ca: trusted.ca,
    certs: trusted.certs,
    otherCa: other.ca,
    otherCerts: other.certs,
    dir: path.join(root, 'ca'),
  };
}

function main(argv) {
  const hosts = ['127.0.0.1', 'localhost'];
  const names = [];
  let dir;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--host') hosts.push(argv[++i] ?? '');
    else if (dir === undefined) dir = argv[i];
    else names.push(argv[i]);
  }
  if (dir === undefined || names.length === 0) {
    process.stderr.write(
      'usage: node tools/gen-certs.js <dir> <name>... [--host <dns-or-ip>]...\n',
    );
    process.exit(2);
  }
  const out = generateCerts(path.resolve(dir), names, { hosts });
  process.stdout.write(`CA: ${out.ca}\n`);
  for (const [name, c] of Object.entries(out.certs))
    process.stdout.write(`${name}: ${c.cert} ${c.key}\n`);
}

// realpath: run through a symlink (the docs tests link tools/ into their directory), argv[1] is the link.
if (
  process.argv[1] &&
  realpathSync(path.resolve(process.argv[1])) === fileURLToPath(import.meta.url)
) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}
