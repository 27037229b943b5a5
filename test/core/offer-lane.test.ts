/**
 * core/offer-lane.ts without sockets: which handshakes an offer's lane starts, given what each one got and
 * what the default offer of its version got.
 */
import { describe, expect, it } from 'vitest';
import { runOfferLane } from '../../packages/probe-core/src/core/offer-lane.js';
import type { HandshakeEnd } from '../../packages/probe-core/src/core/schedule.js';

type Got = { end: HandshakeEnd; leaf: string | null };
const stapled = (leaf = 'B'): Got => ({ end: { ok: true, stapled: true }, leaf });
const bare = (leaf = 'B'): Got => ({ end: { ok: true, stapled: false }, leaf });
const refused: Got = { end: { ok: false, kind: 'handshake' }, leaf: null };

/** Run a lane whose handshakes get `gots` in turn; the log of what it did. */
async function lane(gots: Got[], options: { attempts?: number; defaultLeaf?: string | null; stopAfter?: number } = {}): Promise<string[]> {
  const log: string[] = [];
  let started = 0;
  await runOfferLane({
    attempts: options.attempts ?? 3,
    start: async (attempt) => {
      started++;
      log.push(`start ${attempt}`);
      return gots[attempt - 1] ?? stapled();
    },
    defaultLeaf: async () => {
      log.push('asks default');
      return options.defaultLeaf === undefined ? 'A' : options.defaultLeaf;
    },
    pause: async () => {
      log.push('pause');
    },
    stopped: () => options.stopAfter !== undefined && started >= options.stopAfter,
  });
  return log;
}

describe('an offer lane', () => {
  it('ends after one handshake when the server refuses the offer: it has no certificate of that kind', async () => {
    expect(await lane([refused])).toEqual(['start 1']);
  });

  it("ends after one handshake when it got the default offer's certificate: the default offer judges that one", async () => {
    expect(await lane([bare('A')])).toEqual(['start 1', 'asks default']);
  });

  it('goes on for a certificate of its own: every attempt, without a pause while it staples', async () => {
    expect(await lane([stapled(), stapled(), stapled()])).toEqual(['start 1', 'asks default', 'start 2', 'start 3']);
  });

  it('pauses after each unstapled handshake but the last, as for a lazy server', async () => {
    expect(await lane([bare(), bare(), stapled()])).toEqual(['start 1', 'asks default', 'pause', 'start 2', 'pause', 'start 3']);
    expect(await lane([bare(), stapled(), bare()])).toEqual(['start 1', 'asks default', 'pause', 'start 2', 'start 3']);
  });

  it('goes on when the default offer got no certificate at all', async () => {
    expect(await lane([stapled()], { attempts: 2, defaultLeaf: null })).toEqual(['start 1', 'asks default', 'start 2']);
  });

  it('stops after a failed handshake, and when the caller gives up', async () => {
    expect(await lane([stapled(), refused, stapled()])).toEqual(['start 1', 'asks default', 'start 2']);
    expect(await lane([bare(), bare(), bare()], { stopAfter: 1 })).toEqual(['start 1', 'asks default', 'pause']);
    expect(await lane([], { stopAfter: 0, attempts: 0 })).toEqual([]);
  });
});
