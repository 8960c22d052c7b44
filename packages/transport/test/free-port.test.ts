import { expect, it } from 'vitest';
import { freePort } from '../src/tcp/free-port.js';

it('never hands out the same port twice, though the kernel reuses released ones', async () => {
  // Without the memory of handed-out ports, 2,000 calls here repeat hundreds of ports.
  const ports: number[] = [];
  for (let i = 0; i < 2_000; i++) ports.push(await freePort());
  expect(new Set(ports).size).toBe(ports.length);
  for (const port of ports) expect(port).toBeGreaterThan(0);
});
