// One error taxonomy for every Flotilla package. Each error class declares a
// category, and callers decide what to do (retry, report, fix the input) from
// the category instead of from lists of class names. The guards read the
// `category` property structurally, so they also classify an error that was
// re-created on the other side of a thread or process boundary, or that comes
// from another copy of a package.

/**
 * - `notApplied`: the request had no effect; sending it again is safe (no
 *   leader yet, leader changed before the proposal was accepted, overload,
 *   closed node).
 * - `outcomeUnknown`: the request may or may not have taken effect (a timeout
 *   after the proposal was sent, a connection lost mid-request): retry only
 *   with exactly-once ids, or read to find out.
 * - `badInput`: the request, option or command line is wrong; the same request
 *   will fail again (too large, compacted revision, unknown lease, bad flag).
 * - `environment`: the machine or the data on disk is not as required (a
 *   locked, missing, foreign or corrupt data directory, a refused peer); fix
 *   it and start again.
 * - `bug`: an invariant broke; report it.
 */
export type ErrorCategory = 'notApplied' | 'outcomeUnknown' | 'badInput' | 'environment' | 'bug';

export const ERROR_CATEGORIES: readonly ErrorCategory[] = [
  'notApplied',
  'outcomeUnknown',
  'badInput',
  'environment',
  'bug',
];

/** An error that declares its category. Every Flotilla error class extends it. */
export abstract class FlotillaError extends Error {
  abstract readonly category: ErrorCategory;
}

/** The category an error declares, or undefined for an error from elsewhere. */
export function categoryOf(err: unknown): ErrorCategory | undefined {
  if (!(err instanceof Error)) return undefined;
  const c = (err as { category?: unknown }).category;
  return typeof c === 'string' && (ERROR_CATEGORIES as readonly string[]).includes(c)
    ? (c as ErrorCategory)
    : undefined;
}

export type CategorizedError = Error & { readonly category: ErrorCategory };

/** The request had no effect: safe to send again. */
export const isNotApplied = (err: unknown): err is CategorizedError =>
  categoryOf(err) === 'notApplied';

/** The request may have taken effect: retry only under an exactly-once id. */
export const isOutcomeUnknown = (err: unknown): err is CategorizedError =>
  categoryOf(err) === 'outcomeUnknown';

/** The request or configuration is wrong: it fails again as it is. */
export const isBadInput = (err: unknown): err is CategorizedError => categoryOf(err) === 'badInput';

/** The machine or data directory is not as required. */
export const isEnvironment = (err: unknown): err is CategorizedError =>
  categoryOf(err) === 'environment';

/** An invariant broke. */
export const isBug = (err: unknown): err is CategorizedError => categoryOf(err) === 'bug';

/** An expected failure (anything but a bug or an unknown error): report its message, not a stack. */
export const isExpected = (err: unknown): err is CategorizedError => {
  const c = categoryOf(err);
  return c !== undefined && c !== 'bug';
};
