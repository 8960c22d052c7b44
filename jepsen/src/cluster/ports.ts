// Ports for the nodes under test, picked below the kernel's ephemeral range.
// A killed node must be able to bind its port again when it restarts; a port
// from the ephemeral range (what `listen(0)` and every outgoing connection
// use) can be taken by some client socket in the meantime, and the restart
// then fails with EADDRINUSE. Outgoing connections never use these ports.
import fs from 'node:fs';
import net from 'node:net';

const FALLBACK_EPHEMERAL_LOW = 32_768;
const PORT_LOW = 10_000;
const TRIES_MAX = 200;
const handedOut = new Set<number>();

function ephemeralLow(): number {
  try {
    const [low] = fs
      .readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    return low !== undefined && Number.isInteger(low) && low > PORT_LOW + 1_000
      ? low
      : FALLBACK_EPHEMERAL_LOW;
  } catch {
    return FALLBACK_EPHEMERAL_LOW;
  }
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export class NoFreePortError extends Error {
  override readonly name = 'NoFreePortError';
}

/** A free loopback port outside the ephemeral range, not handed out before by this process. */
export async function stablePort(): Promise<number> {
  const high = ephemeralLow() - 1;
  for (let i = 0; i < TRIES_MAX; i++) {
    const port = PORT_LOW + Math.floor(Math.random() * (high - PORT_LOW));
    if (handedOut.has(port)) continue;
    if (await canBind(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new NoFreePortError(
    `no free port found in ${PORT_LOW}–${high} after ${TRIES_MAX} tries; too many processes listen there, stop some`,
  );
}
