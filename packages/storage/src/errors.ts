// Typed errors for the failures a caller is expected to handle. Each message
// says what was wrong and what to do about it.
import { type ErrorCategory, FlotillaError } from '@flotilla/errors';

/** Stored data failed its checksum or could not be decoded. Never returned as data. */
export class CorruptionError extends FlotillaError {
  readonly category: ErrorCategory = 'environment';
  override readonly name = 'CorruptionError';
  constructor(
    /** What was being read, e.g. "log entry 42" or "snapshot file snap-…". */
    readonly where: string,
    readonly reason: string,
    /** The log index concerned, when the record is a log entry. */
    readonly index?: number,
  ) {
    super(
      `corrupt ${where}: ${reason}. The data directory is damaged; restore this member from a ` +
        `snapshot or replace it with a fresh member (new data directory) and let it catch up.`,
    );
  }
}

/** The data directory was created for another node or another cluster. */
export class IdentityMismatchError extends FlotillaError {
  readonly category: ErrorCategory = 'environment';
  override readonly name = 'IdentityMismatchError';
  constructor(
    readonly dir: string,
    /** Which id differs; `nodeId` is reported when both do, because it is checked first. */
    readonly field: 'nodeId' | 'clusterId',
    readonly stored: { readonly clusterId: string; readonly nodeId: number },
    readonly given: { readonly clusterId: string; readonly nodeId: number },
  ) {
    const what =
      field === 'nodeId'
        ? `node id ${given.nodeId} was given but the directory holds node ${stored.nodeId}`
        : `cluster id "${given.clusterId}" was given but the directory holds cluster "${stored.clusterId}"`;
    super(
      `${what}: this data directory (${dir}) belongs to node ${stored.nodeId} of cluster ` +
        `"${stored.clusterId}". Copying a member's data directory does not make a new member; ` +
        `use a fresh --data-dir for a new member, or start this directory with ` +
        `--node-id ${stored.nodeId} --cluster-id ${stored.clusterId}.`,
    );
  }
}

/** Another process (or another open handle in this process) holds the data directory. */
export class DirectoryLockedError extends FlotillaError {
  readonly category: ErrorCategory = 'environment';
  override readonly name = 'DirectoryLockedError';
  constructor(
    readonly dir: string,
    detail: string,
  ) {
    super(
      `data directory ${dir} is already open (${detail}). Only one process may use a data ` +
        `directory at a time: stop the other process, or give this one its own --data-dir.`,
    );
  }
}

/** The directory was written in a storage format this code cannot read. */
export class FormatVersionError extends FlotillaError {
  readonly category: ErrorCategory = 'environment';
  override readonly name = 'FormatVersionError';
  constructor(
    readonly dir: string,
    readonly storedVersion: number,
    readonly supportedVersion: number,
  ) {
    super(
      storedVersion > supportedVersion
        ? `data directory ${dir} uses storage format ${storedVersion}, written by a newer Flotilla; ` +
            `this version reads format ${supportedVersion} at most. Upgrade Flotilla to open it ` +
            `(a downgrade in place is not supported).`
        : `data directory ${dir} uses storage format ${storedVersion} and there is no upgrade ` +
            `step from it to format ${supportedVersion}. Restore the member from a snapshot into a fresh data directory.`,
    );
  }
}

/** `create: false` was given and the directory holds no Flotilla data. */
export class MissingDataDirError extends FlotillaError {
  readonly category: ErrorCategory = 'environment';
  override readonly name = 'MissingDataDirError';
  constructor(readonly dir: string) {
    super(
      `data directory ${dir} holds no Flotilla data and create was false. Check the --data-dir ` +
        `path, or open with create: true to initialise a new member.`,
    );
  }
}

/** The requested entries were discarded by log compaction. */
export class LogCompactedError extends FlotillaError {
  readonly category: ErrorCategory = 'badInput';
  override readonly name = 'LogCompactedError';
  constructor(
    readonly index: number,
    readonly firstIndex: number,
  ) {
    super(
      `log index ${index} is compacted (the log starts at ${firstIndex}); ` +
        `send a snapshot instead of entries.`,
    );
  }
}

/** The requested entries are beyond the end of the log. */
export class EntryUnavailableError extends FlotillaError {
  readonly category: ErrorCategory = 'badInput';
  override readonly name = 'EntryUnavailableError';
  constructor(
    readonly index: number,
    readonly lastIndex: number,
  ) {
    super(`log index ${index} is beyond the last index ${lastIndex}; ask only for stored entries.`);
  }
}

/** The storage handle was used after close(). */
export class StorageClosedError extends FlotillaError {
  readonly category: ErrorCategory = 'notApplied';
  override readonly name = 'StorageClosedError';
  constructor(what: string) {
    super(`${what} was called on a closed storage handle; open the storage again.`);
  }
}
