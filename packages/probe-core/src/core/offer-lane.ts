import type { HandshakeEnd } from './schedule.js';

/**
 * One offer of one TLS version at one address: a hello that leaves the server only RSA, or only ECDSA, to
 * choose (a server with both certificates serves each to the clients that can take only it).
 *
 * The lane's first handshake starts with the address's first round, and finds out which certificate that
 * offer gets. A failure (the server has no certificate of that kind) ends the lane: refusing an offer is not
 * a fault. So does the certificate the default offer of the same version got: its own handshakes judge it.
 * A certificate only this offer gets is judged on this lane's handshakes, which then go on as the default
 * offer's do when its round did not stand (see `HandshakeSchedule`): up to `attempts` in all, one after
 * another, a pause after each unstapled one that is not the last (a lazy server's time to fetch), none
 * after a failure. Pure: the caller starts the handshakes, sleeps, and says what the default offer got.
 */
export interface OfferLaneSteps {
  readonly attempts: number;
  /** Start attempt `attempt` of the lane; resolves when it has ended. */
  start(attempt: number): Promise<{ readonly end: HandshakeEnd; readonly leaf: string | null }>;
  /** The leaf (sha256) the default offer of the same version got; null when it got none. */
  defaultLeaf(): Promise<string | null>;
  /** The pause after an unstapled handshake. */
  pause(): Promise<void>;
  /** Whether to stop starting handshakes (the caller gave up). */
  stopped(): boolean;
}

/** Run one offer's lane; resolves when its last handshake has ended. */
export async function runOfferLane(steps: OfferLaneSteps): Promise<void> {
  if (steps.attempts < 1 || steps.stopped()) return;
  const first = await steps.start(1);
  if (!first.end.ok || first.leaf === null) return;
  if ((await steps.defaultLeaf()) === first.leaf) return;
  let last: HandshakeEnd = first.end;
  for (let attempt = 2; attempt <= steps.attempts; attempt++) {
    // Retrying a failed handshake tells nothing new, as in the default offer's lanes.
    if (!last.ok) return;
    if (!last.stapled) await steps.pause();
    if (steps.stopped()) return;
    last = (await steps.start(attempt)).end;
  }
}
