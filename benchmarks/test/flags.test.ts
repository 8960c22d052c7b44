import { describe, expect, it } from 'vitest';
import { FlagError, keyOf, parseFlags, SCENARIO_NAMES, TARGET_NAMES } from '../suite/flags.js';

describe('parseFlags', () => {
  it('defaults to the full run of every scenario against every target', () => {
    const s = parseFlags([]);
    expect(s).toMatchObject({
      mode: 'full',
      clients: [1, 16, 64, 256],
      failoverTrials: 30,
      memoryKeys: [100_000, 1_000_000],
      keySizeBytes: 8,
      valSizeBytes: 256,
      rate: 0,
    });
    expect(s.targets).toEqual([...TARGET_NAMES]);
    expect(s.scenarios).toEqual([...SCENARIO_NAMES]);
  });

  it('quick mode keeps the 1..256 sweep but measures 100,000 keys only and fewer trials', () => {
    expect(parseFlags(['--quick'])).toMatchObject({
      mode: 'quick',
      clients: [1, 16, 64, 256],
      memoryKeys: [100_000],
      failoverTrials: 3,
    });
  });

  it('accepts etcd benchmark style flags in both --flag value and --flag=value forms', () => {
    const s = parseFlags([
      '--clients=1,64',
      '--total',
      '500',
      '--key-size',
      '16',
      '--val-size=1024',
      '--key-space-size',
      '1_000',
      '--rate',
      '250.5',
      '--target',
      'etcd,flotilla',
      '--',
    ]);
    expect(s).toMatchObject({
      clients: [1, 64],
      total: 500,
      keySizeBytes: 16,
      valSizeBytes: 1024,
      keySpaceSize: 1000,
      rate: 250.5,
      targets: ['etcd', 'flotilla'],
    });
  });

  it('--duration replaces the sequential total; giving both is an error', () => {
    expect(parseFlags(['--duration', '5'])).toMatchObject({ durationS: 5, total: undefined });
    expect(() => parseFlags(['--duration', '5', '--total', '9'])).toThrow(FlagError);
  });

  it.each([
    [['--target', 'zookeeper'], /unknown "zookeeper"/],
    [['--clients', '0'], /positive whole number/],
    [['--clients'], /needs a value/],
    [['--bogus', '1'], /unknown flag --bogus/],
    [['--quick=yes'], /takes no value/],
    [['positional'], /unexpected argument/],
    [['--key-size', '2', '--key-space-size', '1000'], /needs keys of more than 2 bytes/],
    [['--rate', '-3'], /needs a value|number ≥ 0/],
  ])('rejects %j with a message saying what to fix', (argv, message) => {
    expect(() => parseFlags(argv)).toThrow(message);
  });

  it('keys are zero-padded decimals of exactly the key size, wrapped into the key space', () => {
    const s = { keySizeBytes: 8, keySpaceSize: 1000 };
    expect(keyOf(7, s)).toBe('00000007');
    expect(keyOf(1007, s)).toBe('00000007');
    expect(keyOf(5, s, 'r')).toBe('r0000005');
  });
});
