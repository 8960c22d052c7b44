export * from './types.js';
export * from './rng.js';
