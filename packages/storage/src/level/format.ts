// The storage format version, written on first open and checked on every
// open. Upgrade steps run in order from the stored version to the current
// one; a directory written by newer code is refused, never guessed at.
import { FormatVersionError } from '../errors.js';

/** The format this code writes. Bump it and add an upgrade step when the layout changes. */
export const FORMAT_VERSION = 1;

/** Rewrites a data directory from format `from` to `from + 1`. */
export type UpgradeStep = (from: number) => Promise<void>;

export interface FormatCheck {
  readonly dir: string;
  readonly stored: number;
  readonly current: number;
  /** Keyed by the version the step upgrades FROM. */
  readonly upgrades: ReadonlyMap<number, UpgradeStep>;
  /** Records a new stored version (after each successful step). */
  readonly record: (version: number) => Promise<void>;
}

/** Brings the stored format up to `current`, or throws FormatVersionError. */
export async function upgradeFormat(check: FormatCheck): Promise<void> {
  if (check.stored > check.current)
    throw new FormatVersionError(check.dir, check.stored, check.current);
  for (let v = check.stored; v < check.current; v++) {
    const step = check.upgrades.get(v);
    if (step === undefined) throw new FormatVersionError(check.dir, check.stored, check.current);
    await step(v);
    await check.record(v + 1);
  }
}
