import { MemoryStorage, type Storage } from '../src/index.js';
import { storageConformance } from './conformance.js';

storageConformance('MemoryStorage', async () => {
  let current = new MemoryStorage();
  return {
    get storage(): Storage {
      return current;
    },
    // Every write in the suite is synced, so a crash without an Rng is a clean restart.
    restart: async () => (current = current.crash()),
    dispose: () => current.close(),
  };
});
