// What stepping a message returns. In a module of its own so that step.ts and
// the role step functions it calls (step-leader.ts, step-follower.ts) share it
// without importing each other.
import type { StepRejectedError } from './errors.js';

export type StepResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly error: StepRejectedError };
