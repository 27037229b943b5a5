/** The handshake deadline counts silence only: an answer already waiting when the deadline fires wins. */
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { handshake } from '../../packages/probe-core/src/shell/tls.js';

/** Does a TCP connect to 127.0.0.1:port get refused? */
const refused = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });

/**
 * A closed port that stays closed: one below the kernel's ephemeral range, where no test listens (they all
 * take port 0) and a connect's own source port never lands (no TCP self-connect).
 */
async function closedPort(): Promise<number> {
  let low = 32768;
  try {
    low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || low;
  } catch {
    // Not Linux: the usual default.
  }
  for (let i = 0; i < 20; i++) {
    const port = 10_000 + Math.floor(Math.random() * Math.max(1, low - 10_000));
    if (await refused(port)) return port;
  }
  throw new Error('no refused port found below the ephemeral range');
}

describe('a deadline that passes while the process cannot run', () => {
  it('a refusal already waiting when the deadline fires is a refusal, not a timeout (what a loaded machine made of the leak test)', async () => {
    const port = await closedPort();
    const pending = handshake({ address: '127.0.0.1', port, servername: null, tlsVersion: '1.3', timeoutMs: 20 });
    // Keep the event loop from running past the deadline, as a loaded machine or a large batch of handshakes
    // does: the refusal arrives meanwhile, and timers run before the I/O phase that delivers it.
    const until = performance.now() + 100;
    while (performance.now() < until);
    const outcome = await pending;
    expect(outcome.ok ? 'a handshake' : outcome.error.kind).toBe('refused');
  });
});
