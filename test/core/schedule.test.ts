/**
 * The handshake order of one address, without sockets: what the schedule starts, closes uncounted, counts and
 * pauses for, given what came back. Actions read `start 1.2#1` (attempt 1 of TLS 1.2), `count 1.3#2`, …
 */
import { describe, expect, it } from 'vitest';
import {
  AT_ONCE,
  HandshakeSchedule,
  type HandshakeEnd,
  type ScheduleAction,
  type ScheduleOptions,
  versionsToConfirm,
} from '../../packages/probe-core/src/core/schedule.js';
import type { TlsFailureKind } from '../../packages/probe-core/src/types.js';

type How = 'stapled' | 'bare' | TlsFailureKind;

function drive(options: Partial<ScheduleOptions> = {}) {
  const schedule = new HandshakeSchedule({ versions: ['1.2', '1.3'], attempts: 3, atOnce: AT_ONCE, ...options });
  const labels = new Map<number, string>();
  /** The latest handshake started under each label (a version's first attempt may be started twice). */
  const latest = new Map<string, number>();
  const show = (actions: readonly ScheduleAction[]) =>
    actions.map((a) => {
      if (a.type === 'start') {
        const label = `${a.version}#${a.attempt}`;
        labels.set(a.id, label);
        latest.set(label, a.id);
        return `start ${label}${a.watchStaple ? ' (staple)' : ''}`;
      }
      if (a.type === 'count') {
        // A handshake counts as the attempt it was started for.
        expect(labels.get(a.id)).toBe(`${a.version}#${a.attempt}`);
        return `count ${a.version}#${a.attempt}`;
      }
      if (a.type === 'close') return `close ${a.ids.map((id) => labels.get(id)).join(' ')}`;
      return a.type;
    });
  const id = (label: string) => {
    const found = latest.get(label);
    if (found === undefined) throw new Error(`${label} was never started`);
    return found;
  };
  const endOf = (how: How): HandshakeEnd => (how === 'stapled' || how === 'bare' ? { ok: true, stapled: how === 'stapled' } : { ok: false, kind: how });
  return {
    start: () => show(schedule.start()),
    end: (label: string, how: How) => show(schedule.on({ type: 'ended', id: id(label), end: endOf(how) })),
    /** Several handshakes end, one after another; the actions of all. */
    ends: (list: readonly (readonly [string, How])[]) => list.flatMap(([label, how]) => show(schedule.on({ type: 'ended', id: id(label), end: endOf(how) }))),
    staple: (label: string) => show(schedule.on({ type: 'stapled', id: id(label) })),
    resume: () => show(schedule.on({ type: 'resumed' })),
    abort: () => show(schedule.on({ type: 'aborted' })),
  };
}

const ROUND = ['start 1.2#1 (staple)', 'start 1.2#2', 'start 1.2#3', 'start 1.3#1', 'start 1.3#2', 'start 1.3#3'];

describe('handshake schedule', () => {
  it('the first round opens together: the opening (its staple watched) and up to four of each version', () => {
    expect(drive().start()).toEqual(ROUND);
    expect(drive({ attempts: 6 }).start()).toEqual([
      'start 1.2#1 (staple)',
      ...[2, 3, 4].map((a) => `start 1.2#${a}`),
      ...[1, 2, 3, 4].map((a) => `start 1.3#${a}`),
    ]);
  });

  it('the opening stapled: the round stands, each handshake counted as it ends, a version waiting for its first attempt', () => {
    const s = drive();
    s.start();
    expect(s.end('1.3#2', 'bare')).toEqual([]);
    expect(s.end('1.2#1', 'stapled')).toEqual(['count 1.2#1']);
    expect(s.end('1.2#3', 'stapled')).toEqual(['count 1.2#3']);
    expect(s.end('1.3#1', 'stapled')).toEqual(['count 1.3#1', 'count 1.3#2']);
    expect(s.end('1.2#2', 'stapled')).toEqual(['count 1.2#2']);
    expect(s.end('1.3#3', 'stapled')).toEqual(['count 1.3#3', 'done']);
  });

  it('an early staple decides before the opening ends: what has ended is counted at once, and the opening counts even if it then fails', () => {
    const s = drive();
    s.start();
    expect(
      s.ends([
        ['1.2#2', 'stapled'],
        ['1.3#1', 'stapled'],
        ['1.3#2', 'stapled'],
      ]),
    ).toEqual([]);
    expect(s.staple('1.2#1')).toEqual(['count 1.2#2', 'count 1.3#1', 'count 1.3#2']);
    expect(
      s.ends([
        ['1.2#3', 'stapled'],
        ['1.3#3', 'stapled'],
      ]),
    ).toEqual(['count 1.2#3', 'count 1.3#3']);
    // A server that staples and then stalls the handshake: the opening times out, and still counts.
    expect(s.end('1.2#1', 'timeout')).toEqual(['count 1.2#1', 'done']);
  });

  it('without the early staple, an opening that fails after its staple would have sent the address down the failed path', () => {
    const s = drive();
    s.start();
    expect(s.end('1.2#1', 'handshake')).toEqual(['count 1.2#1', 'close 1.2#2 1.2#3']);
  });

  it('attempts beyond the round follow at most four of a version at a time, each batch once the one before has ended', () => {
    const s = drive({ attempts: 10 });
    s.start();
    expect(s.staple('1.2#1')).toEqual([]);
    expect(
      s.ends([
        ['1.2#1', 'stapled'],
        ['1.2#2', 'stapled'],
        ['1.2#3', 'stapled'],
      ]),
    ).toEqual(['count 1.2#1', 'count 1.2#2', 'count 1.2#3']);
    expect(s.end('1.2#4', 'stapled')).toEqual(['count 1.2#4', 'start 1.2#5', 'start 1.2#6', 'start 1.2#7', 'start 1.2#8']);
    expect(
      s.ends([
        ['1.2#5', 'stapled'],
        ['1.2#6', 'stapled'],
        ['1.2#8', 'stapled'],
      ]),
    ).toEqual(['count 1.2#5', 'count 1.2#6', 'count 1.2#8']);
    expect(s.end('1.2#7', 'bare')).toEqual(['count 1.2#7', 'start 1.2#9', 'start 1.2#10']);
    expect(
      s.ends([
        ['1.2#9', 'stapled'],
        ['1.2#10', 'stapled'],
      ]),
    ).toEqual(['count 1.2#9', 'count 1.2#10']);
    // The other version goes on its own, from its first attempt's end.
    expect(
      s.ends([
        ['1.3#2', 'stapled'],
        ['1.3#3', 'stapled'],
        ['1.3#4', 'stapled'],
      ]),
    ).toEqual([]);
    expect(s.end('1.3#1', 'stapled')).toEqual([
      'count 1.3#1',
      'count 1.3#2',
      'count 1.3#3',
      'count 1.3#4',
      'start 1.3#5',
      'start 1.3#6',
      'start 1.3#7',
      'start 1.3#8',
    ]);
    expect(s.ends([5, 6, 7, 8].map((a) => [`1.3#${a}`, 'stapled'] as const))).toEqual(
      [5, 6, 7, 8].map((a) => `count 1.3#${a}`).concat('start 1.3#9', 'start 1.3#10'),
    );
    expect(
      s.ends([
        ['1.3#10', 'stapled'],
        ['1.3#9', 'stapled'],
      ]),
    ).toEqual(['count 1.3#10', 'count 1.3#9', 'done']);
  });

  it('a lazy server: the round is closed uncounted, then one handshake at a time in sequence order, a pause after each unstapled one', () => {
    const s = drive();
    s.start();
    // The round's handshakes that end during the pause are not counted.
    expect(s.end('1.2#1', 'bare')).toEqual(['count 1.2#1', 'pause']);
    expect(
      s.ends([
        ['1.2#2', 'bare'],
        ['1.3#1', 'bare'],
      ]),
    ).toEqual([]);
    expect(s.resume()).toEqual(['close 1.2#3']);
    expect(s.end('1.2#3', 'timeout')).toEqual(['close 1.3#2 1.3#3']);
    expect(s.end('1.3#2', 'timeout')).toEqual([]);
    expect(s.end('1.3#3', 'timeout')).toEqual(['start 1.2#2']);
    expect(s.end('1.2#2', 'bare')).toEqual(['count 1.2#2', 'pause']);
    expect(s.resume()).toEqual(['start 1.2#3']);
    // A version's last attempt is not followed by a pause, unstapled or not.
    expect(s.end('1.2#3', 'bare')).toEqual(['count 1.2#3', 'start 1.3#1']);
    expect(s.end('1.3#1', 'stapled')).toEqual(['count 1.3#1', 'start 1.3#2']);
    expect(s.end('1.3#2', 'bare')).toEqual(['count 1.3#2', 'pause']);
    expect(s.resume()).toEqual(['start 1.3#3']);
    expect(s.end('1.3#3', 'stapled')).toEqual(['count 1.3#3', 'done']);
  });

  it('a lazy server whose round has all ended by the end of the pause: nothing to close, the next handshake starts', () => {
    const s = drive();
    s.start();
    s.end('1.2#1', 'bare');
    s.ends(['1.2#2', '1.2#3', '1.3#1', '1.3#2', '1.3#3'].map((l) => [l, 'stapled'] as const));
    expect(s.resume()).toEqual(['start 1.2#2']);
  });

  it("the opening fails: the next version's first attempt of the round decides, and with a staple its round stands", () => {
    const s = drive();
    s.start();
    expect(
      s.ends([
        ['1.3#2', 'stapled'],
        ['1.3#1', 'stapled'],
      ]),
    ).toEqual([]);
    expect(s.end('1.2#1', 'version')).toEqual(['count 1.2#1', 'close 1.2#2 1.2#3']);
    expect(s.end('1.2#2', 'timeout')).toEqual([]);
    expect(s.end('1.2#3', 'timeout')).toEqual(['count 1.3#1', 'count 1.3#2']);
    expect(s.end('1.3#3', 'bare')).toEqual(['count 1.3#3', 'done']);
  });

  it('the opening fails and the next version decides without a staple: its round closed, a pause, then in turn from its second attempt', () => {
    const s = drive();
    s.start();
    expect(s.end('1.2#1', 'version')).toEqual(['count 1.2#1', 'close 1.2#2 1.2#3']);
    s.ends([
      ['1.2#2', 'timeout'],
      ['1.2#3', 'timeout'],
    ]);
    expect(s.end('1.3#1', 'bare')).toEqual(['count 1.3#1', 'close 1.3#2 1.3#3']);
    expect(
      s.ends([
        ['1.3#2', 'timeout'],
        ['1.3#3', 'timeout'],
      ]),
    ).toEqual(['pause']);
    expect(s.resume()).toEqual(['start 1.3#2']);
    expect(s.end('1.3#2', 'stapled')).toEqual(['count 1.3#2', 'start 1.3#3']);
    expect(s.end('1.3#3', 'stapled')).toEqual(['count 1.3#3', 'done']);
  });

  it('every version fails its first attempt: each counted once, nothing more', () => {
    const s = drive();
    s.start();
    s.end('1.2#1', 'version');
    expect(
      s.ends([
        ['1.2#2', 'version'],
        ['1.2#3', 'version'],
      ]),
    ).toEqual([]);
    expect(s.end('1.3#1', 'handshake')).toEqual(['count 1.3#1', 'close 1.3#2 1.3#3']);
    expect(
      s.ends([
        ['1.3#2', 'handshake'],
        ['1.3#3', 'handshake'],
      ]),
    ).toEqual(['done']);
  });

  it("a version the server refuses fails once while the other's round stands", () => {
    const s = drive();
    s.start();
    s.staple('1.2#1');
    expect(s.end('1.3#1', 'version')).toEqual(['count 1.3#1', 'close 1.3#2 1.3#3']);
    expect(
      s.ends([
        ['1.3#2', 'version'],
        ['1.3#3', 'version'],
      ]),
    ).toEqual([]);
    expect(
      s.ends([
        ['1.2#1', 'stapled'],
        ['1.2#2', 'stapled'],
        ['1.2#3', 'stapled'],
      ]),
    ).toEqual(['count 1.2#1', 'count 1.2#2', 'count 1.2#3', 'done']);
  });

  it('an unreachable address: the opening refused, the other version is closed without a count', () => {
    const s = drive();
    s.start();
    expect(s.end('1.2#1', 'refused')).toEqual(['count 1.2#1', 'close 1.2#2 1.2#3']);
    expect(
      s.ends([
        ['1.2#2', 'refused'],
        ['1.2#3', 'refused'],
      ]),
    ).toEqual(['close 1.3#1 1.3#2 1.3#3']);
    expect(
      s.ends([
        ['1.3#1', 'refused'],
        ['1.3#2', 'refused'],
        ['1.3#3', 'refused'],
      ]),
    ).toEqual(['done']);
  });

  it('an address that dies after a staple: nothing beyond the round is started, for either version', () => {
    const s = drive({ attempts: 6 });
    s.start();
    s.staple('1.2#1');
    expect(
      s.ends([
        ['1.2#1', 'stapled'],
        ['1.2#2', 'stapled'],
        ['1.2#3', 'stapled'],
      ]),
    ).toEqual(['count 1.2#1', 'count 1.2#2', 'count 1.2#3']);
    expect(s.end('1.3#1', 'timeout')).toEqual(['count 1.3#1', 'close 1.3#2 1.3#3 1.3#4']);
    expect(s.end('1.2#4', 'stapled')).toEqual(['count 1.2#4']);
    expect(
      s.ends([
        ['1.3#2', 'timeout'],
        ['1.3#3', 'timeout'],
        ['1.3#4', 'timeout'],
      ]),
    ).toEqual(['done']);
  });

  it('an address that dies while handshakes go in turn: no later version is started', () => {
    const s = drive();
    s.start();
    s.end('1.2#1', 'bare');
    s.ends(['1.2#2', '1.2#3', '1.3#1', '1.3#2', '1.3#3'].map((l) => [l, 'bare'] as const));
    expect(s.resume()).toEqual(['start 1.2#2']);
    expect(s.end('1.2#2', 'timeout')).toEqual(['count 1.2#2', 'done']);
  });

  it('one version, one attempt: a single handshake, no round, no pause', () => {
    const one = drive({ versions: ['1.3'], attempts: 1 });
    expect(one.start()).toEqual(['start 1.3#1 (staple)']);
    expect(one.end('1.3#1', 'bare')).toEqual(['count 1.3#1', 'done']);
    const stapled = drive({ versions: ['1.3'], attempts: 1 });
    stapled.start();
    expect(stapled.staple('1.3#1')).toEqual([]);
    expect(stapled.end('1.3#1', 'stapled')).toEqual(['count 1.3#1', 'done']);
  });

  it("two versions, one attempt, no staple: the other version's round handshake is closed and started again in turn", () => {
    const s = drive({ attempts: 1 });
    expect(s.start()).toEqual(['start 1.2#1 (staple)', 'start 1.3#1']);
    expect(s.end('1.2#1', 'bare')).toEqual(['count 1.2#1', 'close 1.3#1']);
    expect(s.end('1.3#1', 'timeout')).toEqual(['start 1.3#1']);
    expect(s.end('1.3#1', 'bare')).toEqual(['count 1.3#1', 'done']);
  });

  it('no versions or no attempts: done at once', () => {
    expect(drive({ versions: [] }).start()).toEqual(['done']);
    expect(drive({ attempts: 0 }).start()).toEqual(['done']);
  });

  it('an abort stops what has not started: the lanes after a pause start nothing', () => {
    const s = drive();
    s.start();
    s.end('1.2#1', 'bare');
    s.ends(['1.2#2', '1.2#3', '1.3#1', '1.3#2', '1.3#3'].map((l) => [l, 'bare'] as const));
    expect(s.abort()).toEqual([]);
    expect(s.resume()).toEqual(['done']);
  });

  it('an abort before the start: nothing is started', () => {
    const s = drive();
    s.abort();
    expect(s.start()).toEqual(['done']);
  });
});

describe('versionsToConfirm: one more handshake for a version that may only have met workers that had not fetched', () => {
  const h = (tlsVersion: '1.2' | '1.3', order: number, stapled: boolean | null) => ({ tlsVersion, order, ok: stapled !== null, stapled: stapled === true });

  it('a version whose every completed handshake came before the first staple, none stapled', () => {
    expect(versionsToConfirm([h('1.2', 0, false), h('1.2', 6, false), h('1.2', 7, false), h('1.3', 8, true), h('1.3', 9, true)], 3)).toEqual(['1.2']);
  });

  it('not a version with a staple, nor one with an unstapled handshake after the first staple (a server that does not staple on it)', () => {
    expect(versionsToConfirm([h('1.2', 0, false), h('1.2', 6, true), h('1.3', 7, true)], 3)).toEqual([]);
    expect(versionsToConfirm([h('1.3', 0, true), h('1.2', 1, false), h('1.2', 2, false)], 3)).toEqual([]);
  });

  it('nothing when nothing stapled, with a single attempt, or for a version that only failed', () => {
    expect(versionsToConfirm([h('1.2', 0, false), h('1.3', 1, false)], 3)).toEqual([]);
    expect(versionsToConfirm([h('1.2', 0, false), h('1.3', 1, true)], 1)).toEqual([]);
    expect(versionsToConfirm([h('1.2', 0, null), h('1.3', 1, true)], 3)).toEqual([]);
  });
});
