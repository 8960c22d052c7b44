import { type LevelStorage, openLevelStorage, type Storage } from '../src/index.js';
import { storageConformance } from './conformance.js';
import { tempDir } from './helpers.js';

storageConformance('LevelStorage (classic-level)', async () => {
  const tmp = await tempDir('conf');
  const open = (): Promise<LevelStorage> =>
    openLevelStorage({ dir: tmp.dir, clusterId: 'c1', nodeId: 1 });
  let current = await open();
  return {
    get storage(): Storage {
      return current;
    },
    restart: async () => {
      await current.close();
      return (current = await open());
    },
    dispose: async () => {
      await current.close();
      await tmp.remove();
    },
  };
});
