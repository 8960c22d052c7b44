// Typed errors of the backup package. Each names what was wrong and what to
// do; verifyBackup turns the file errors into a verdict, restoreBackup and
// forceNewCluster throw them.
import { type ErrorCategory, FlotillaError } from '@flotilla/errors';

/** Base of every error a bad backup file produces (verify reports these as a FAILED verdict). */
export abstract class BackupFileError extends FlotillaError {
  readonly category: ErrorCategory = 'environment';
  /** One word for the verdict line and for scripts. */
  abstract readonly kind:
    | 'foreign'
    | 'unsupported'
    | 'truncated'
    | 'corrupt'
    | 'mismatch'
    | 'unreadable';
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
  }
}

/** Not a Flotilla backup at all (wrong magic). */
export class BackupFormatError extends BackupFileError {
  override readonly name = 'BackupFormatError';
  readonly kind = 'foreign';
  constructor(
    file: string,
    readonly detail: string,
  ) {
    super(
      file,
      `${file} is not a Flotilla backup (${detail}); give a file written by "flotilla snapshot save" or saveBackup()`,
    );
  }
}

/** A Flotilla backup of a format version this build does not read. */
export class BackupVersionError extends BackupFileError {
  override readonly name = 'BackupVersionError';
  readonly kind = 'unsupported';
  constructor(
    file: string,
    readonly version: number,
    readonly supported: number,
  ) {
    super(
      file,
      `${file} is a Flotilla backup of format ${version}, this build reads format ${supported}; ` +
        (version > supported
          ? 'use a newer Flotilla to read it'
          : 'it is too old to read; restore it with the Flotilla version that wrote it'),
    );
  }
}

/** The file ends early: a copy or a save was cut short. */
export class BackupTruncatedError extends BackupFileError {
  override readonly name = 'BackupTruncatedError';
  readonly kind = 'truncated';
  constructor(
    file: string,
    readonly detail: string,
  ) {
    super(
      file,
      `${file} is truncated (${detail}); the save or copy was cut short: take the backup again or use an older one`,
    );
  }
}

/** A checksum failed or the content does not parse: the bytes were damaged. */
export class BackupCorruptError extends BackupFileError {
  override readonly name = 'BackupCorruptError';
  readonly kind = 'corrupt';
  constructor(
    file: string,
    readonly detail: string,
  ) {
    super(file, `${file} is corrupt (${detail}); do not restore it: use another backup`);
  }
}

/** The content restored fine but does not match what the manifest promises. */
export class BackupMismatchError extends BackupFileError {
  override readonly name = 'BackupMismatchError';
  readonly kind = 'mismatch';
  constructor(
    file: string,
    readonly field: string,
    readonly expected: string | number,
    readonly actual: string | number,
  ) {
    super(
      file,
      `${file} does not restore to what its manifest says: ${field} is ${String(actual)}, manifest says ${String(expected)}; do not restore it: use another backup`,
    );
  }
}

/** The file cannot be read at all (missing, a directory, no permission). */
export class BackupUnreadableError extends BackupFileError {
  override readonly name = 'BackupUnreadableError';
  readonly kind = 'unreadable';
  constructor(
    file: string,
    readonly detail: string,
  ) {
    super(file, `cannot read ${file} (${detail}); check the path and permissions`);
  }
}

/** Restore would overwrite a data directory that holds something. */
export class DataDirNotEmptyError extends FlotillaError {
  readonly category: ErrorCategory = 'environment';
  override readonly name = 'DataDirNotEmptyError';
  constructor(readonly dir: string) {
    super(
      `data directory ${dir} is not empty; restore never overwrites data: give an empty or new directory, or pass force to replace its contents`,
    );
  }
}

/** Bad arguments to a backup, restore or recovery call. */
export class BackupOptionsError extends FlotillaError {
  readonly category: ErrorCategory = 'badInput';
  override readonly name = 'BackupOptionsError';
}

/** The source could not give a consistent backup (e.g. a compaction raced it); nothing was written. */
export class BackupSourceError extends FlotillaError {
  readonly category: ErrorCategory = 'notApplied';
  override readonly name = 'BackupSourceError';
}

/** A data directory cannot be recovered with force-new-cluster. */
export class ForceNewClusterError extends FlotillaError {
  readonly category: ErrorCategory = 'environment';
  override readonly name = 'ForceNewClusterError';
}
