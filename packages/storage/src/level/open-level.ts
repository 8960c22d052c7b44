// Opening a data directory: lock it, check (or write) its format and
// identity, read the log bounds and hard state, open the snapshot store.
import { existsSync } from 'node:fs';
import { mkdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import type { SnapshotMeta } from '@flotilla/raft';
import { decodeHardState, decodeSnapshotMeta } from '../codec.js';
import { CorruptionError, MissingDataDirError } from '../errors.js';
import { invariant } from '../invariant.js';
import { indexKey, keyIndex } from '../keys.js';
import type { LogBounds } from '../plan.js';
import { decodeRecord, encodeRecord } from '../record.js';
import { FileSnapshotStore } from '../snapshot/file-snapshot-store.js';
import { DEFAULT_SNAPSHOT_KEEP_COUNT } from '../snapshot/naming.js';
import { EMPTY_HARD_STATE } from '../types.js';
import { claimDir, lockErrorOf, releaseDir } from './dir-lock.js';
import { FORMAT_VERSION, upgradeFormat, type UpgradeStep } from './format.js';
import { checkIdentity, checkIdentityArgs, decodeIdentity } from './identity.js';
import {
  createRoot,
  HARD_STATE,
  type Levels,
  levelsOf,
  META_FORMAT,
  META_IDENTITY,
  META_SNAPSHOT,
} from './level-db.js';
import { LevelStorage, type LevelStorageState } from './level-storage.js';

export interface OpenLevelStorageOptions {
  /** The member's data directory; LevelDB lives in <dir>/db, snapshots in <dir>/snapshots. */
  readonly dir: string;
  readonly clusterId: string;
  readonly nodeId: number;
  /** Initialise an empty or missing directory. Default true; false refuses with MissingDataDirError. */
  readonly create?: boolean;
  /** Snapshot files kept after each create. Default 2. */
  readonly snapshotKeepCount?: number;
  /**
   * TEST ONLY: wait this long after every synced write, to model a slow disk
   * (the "slow disk" nemesis). Default 0; never set it in production.
   */
  readonly fsyncDelayMs?: number;
  /** Format upgrade steps keyed by the version they upgrade from; defaults to this release's steps. */
  readonly upgrades?: ReadonlyMap<number, UpgradeStep>;
}

/** This release's upgrade steps. Format 1 is the first format, so there are none yet. */
export const FORMAT_UPGRADES: ReadonlyMap<number, UpgradeStep> = new Map();

export async function openLevelStorage(options: OpenLevelStorageOptions): Promise<LevelStorage> {
  const identity = { clusterId: options.clusterId, nodeId: options.nodeId };
  checkIdentityArgs(identity);
  const fsyncDelayMs = options.fsyncDelayMs ?? 0;
  invariant(fsyncDelayMs >= 0, `fsyncDelayMs must be ≥ 0, got ${fsyncDelayMs}`);
  const create = options.create ?? true;
  const given = path.resolve(options.dir);
  if (!create && !existsSync(path.join(given, 'db'))) throw new MissingDataDirError(given);
  await mkdir(given, { recursive: true });
  const dir = await realpath(given);
  claimDir(dir);
  let levels: Levels | undefined;
  try {
    const root = createRoot(path.join(dir, 'db'), create);
    await root.open().catch((err: unknown) => {
      throw lockErrorOf(err, dir) ?? err;
    });
    levels = levelsOf(root);
    await initFormatAndIdentity(levels, dir, identity, create, options.upgrades ?? FORMAT_UPGRADES);
    const state = await readState(levels);
    const snapshots = await FileSnapshotStore.open(
      path.join(dir, 'snapshots'),
      options.snapshotKeepCount ?? DEFAULT_SNAPSHOT_KEEP_COUNT,
    );
    return new LevelStorage(dir, levels, snapshots, state, fsyncDelayMs, () => releaseDir(dir));
  } catch (err) {
    await levels?.root.close().catch(() => undefined);
    releaseDir(dir);
    throw err;
  }
}

async function initFormatAndIdentity(
  levels: Levels,
  dir: string,
  identity: { clusterId: string; nodeId: number },
  create: boolean,
  upgrades: ReadonlyMap<number, UpgradeStep>,
): Promise<void> {
  const { meta } = levels;
  const [formatRecord, identityRecord] = await meta.getMany([META_FORMAT, META_IDENTITY]);
  if (formatRecord === undefined) {
    if (!create) throw new MissingDataDirError(dir);
    // A database that holds data but no format record was not written by us (or lost its meta).
    if (!(await isEmpty(levels))) {
      throw new CorruptionError(
        `data directory ${dir}`,
        'it holds data but no format record (not a Flotilla directory?)',
      );
    }
    await levels.root
      .batch()
      .put(META_FORMAT, encodeRecord({ version: FORMAT_VERSION }), { sublevel: meta })
      .put(META_IDENTITY, encodeRecord(identity), { sublevel: meta })
      .write({ sync: true });
    return;
  }
  const stored = decodeRecord(formatRecord, 'format version') as { version?: unknown } | null;
  if (typeof stored?.version !== 'number')
    throw new CorruptionError('format version', 'record holds no version');
  await upgradeFormat({
    dir,
    stored: stored.version,
    current: FORMAT_VERSION,
    upgrades,
    record: (version) =>
      levels.root
        .batch()
        .put(META_FORMAT, encodeRecord({ version }), { sublevel: meta })
        .write({ sync: true }),
  });
  if (identityRecord === undefined)
    throw new CorruptionError('identity', 'missing from an initialised data directory');
  checkIdentity(dir, decodeIdentity(identityRecord), identity);
}

async function isEmpty(levels: Levels): Promise<boolean> {
  for await (const key of levels.root.keys({ limit: 1 })) return key === undefined;
  return true;
}

async function readState(levels: Levels): Promise<LevelStorageState> {
  const [hardRecord, snapRecord] = await Promise.all([
    levels.hard.get(HARD_STATE),
    levels.meta.get(META_SNAPSHOT),
  ]);
  const hardState = hardRecord === undefined ? EMPTY_HARD_STATE : decodeHardState(hardRecord);
  const snapshotMeta: SnapshotMeta | undefined =
    snapRecord === undefined ? undefined : decodeSnapshotMeta(snapRecord, 'snapshot metadata');
  const compaction = snapshotMeta?.index ?? 0;
  // A crash between a compaction's meta write and its cleanup leaves entries at or below the compaction point.
  await levels.log.clear({ lte: indexKey(compaction) });
  let lastIndex = compaction;
  for await (const key of levels.log.keys({ reverse: true, limit: 1 })) lastIndex = keyIndex(key);
  const bounds: LogBounds = { snapshotMeta, lastIndex };
  return { bounds, hardState };
}
