import { describe, expect, it } from 'vitest';
import {
  categoryOf,
  type ErrorCategory,
  FlotillaError,
  isBadInput,
  isBug,
  isEnvironment,
  isExpected,
  isNotApplied,
  isOutcomeUnknown,
} from '../src/index.js';

class Refused extends FlotillaError {
  override readonly name = 'Refused';
  readonly category: ErrorCategory = 'notApplied';
}

class Broken extends FlotillaError {
  override readonly name = 'Broken';
  readonly category: ErrorCategory = 'bug';
}

describe('error categories', () => {
  it('reads the category an error class declares', () => {
    expect(categoryOf(new Refused('x'))).toBe('notApplied');
    expect(isNotApplied(new Refused('x'))).toBe(true);
    expect(isOutcomeUnknown(new Refused('x'))).toBe(false);
    expect(isBug(new Broken('x'))).toBe(true);
  });

  it('classifies an error re-created elsewhere by its category property alone', () => {
    const copy = Object.assign(new Error('from another thread'), { category: 'outcomeUnknown' });
    expect(isOutcomeUnknown(copy)).toBe(true);
    expect(isExpected(copy)).toBe(true);
  });

  it('gives no category to plain errors, non-errors or made-up categories', () => {
    expect(categoryOf(new Error('plain'))).toBeUndefined();
    expect(categoryOf({ category: 'notApplied' })).toBeUndefined();
    expect(categoryOf(Object.assign(new Error('x'), { category: 'sometimes' }))).toBeUndefined();
    expect(isExpected(new Error('plain'))).toBe(false);
  });

  it('counts every category but a bug as expected', () => {
    const of = (category: ErrorCategory) => Object.assign(new Error(category), { category });
    expect(isExpected(of('badInput'))).toBe(true);
    expect(isExpected(of('environment'))).toBe(true);
    expect(isBadInput(of('badInput'))).toBe(true);
    expect(isEnvironment(of('environment'))).toBe(true);
    expect(isExpected(of('bug'))).toBe(false);
  });
});
