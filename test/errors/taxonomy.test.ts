// The error taxonomy across the packages: every error class a package exports
// extends FlotillaError (so it declares a category; the compiler checks that
// the abstract `category` is given), and no two packages export different
// classes under one name — a name means one error, whichever package threw it.
import { FlotillaError } from '@flotilla/errors';
import { describe, expect, it } from 'vitest';

const packages = {
  '@flotilla/raft': () => import('@flotilla/raft'),
  '@flotilla/storage': () => import('@flotilla/storage'),
  '@flotilla/transport': () => import('@flotilla/transport'),
  '@flotilla/kv': () => import('@flotilla/kv'),
  '@flotilla/node': () => import('@flotilla/node'),
  '@flotilla/client': () => import('@flotilla/client'),
  '@flotilla/backup': () => import('@flotilla/backup'),
  '@flotilla/server': () => import('@flotilla/server'),
  '@flotilla/testkit': () => import('@flotilla/testkit'),
};

type ErrorClass = abstract new (...args: never[]) => Error;

function errorClasses(mod: Record<string, unknown>): Map<string, ErrorClass> {
  const out = new Map<string, ErrorClass>();
  for (const [name, value] of Object.entries(mod)) {
    if (typeof value === 'function' && value.prototype instanceof Error) {
      out.set(name, value as ErrorClass);
    }
  }
  return out;
}

describe('error taxonomy', () => {
  it('every exported error class declares a category, and names are unique across packages', async () => {
    const owners = new Map<string, { pkg: string; cls: ErrorClass }>();
    const uncategorized: string[] = [];
    const clashes: string[] = [];
    for (const [pkg, load] of Object.entries(packages)) {
      const classes = errorClasses((await load()) as Record<string, unknown>);
      for (const [name, cls] of classes) {
        if (!(cls.prototype instanceof FlotillaError)) uncategorized.push(`${pkg}: ${name}`);
        const seen = owners.get(name);
        if (seen === undefined) owners.set(name, { pkg, cls });
        else if (seen.cls !== cls) clashes.push(`${name} in ${seen.pkg} and ${pkg}`);
      }
    }
    expect(owners.size).toBeGreaterThan(50);
    expect(uncategorized).toEqual([]);
    expect(clashes).toEqual([]);
  });
});
