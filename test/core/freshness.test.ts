/** Time rules at their boundaries, with the skew allowance and the operator's thresholds. */
import { describe, expect, it } from 'vitest';
import type { ParsedSingleResponse } from '../../packages/probe-core/src/core/decode.js';
import { checkFreshness, type FreshnessPolicy } from '../../packages/probe-core/src/core/freshness.js';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const S = 1000;
const H = 3600 * S;
const D = 24 * H;
const policy = (over: Partial<FreshnessPolicy> = {}): FreshnessPolicy => ({ now: NOW, skewMs: 300 * S, warnRemainingMs: 2 * D, critRemainingMs: 0, ...over });
const single = (thisUpdate: number, nextUpdate: number | null) => ({ thisUpdate, nextUpdate }) as unknown as ParsedSingleResponse;
const check = (thisUpdate: number, nextUpdate: number | null, producedAt = thisUpdate, over: Partial<FreshnessPolicy> = {}) =>
  checkFreshness(single(thisUpdate, nextUpdate), producedAt, policy(over)).map((p) => p.code);

describe('freshness', () => {
  it('fresh: nothing', () => expect(check(NOW - H, NOW + 6 * D)).toEqual([]));
  it('expired one second beyond the skew: STAPLE_EXPIRED', () => expect(check(NOW - 8 * D, NOW - 301 * S)).toEqual(['STAPLE_EXPIRED']));
  it('expired but within the skew: a warning, not critical', () => expect(check(NOW - 8 * D, NOW - 299 * S)).toEqual(['STAPLE_EXPIRING']));
  // A future thisUpdate drags producedAt with it (future too, or else before thisUpdate), so look for the code.
  it('thisUpdate beyond the skew in the future: STAPLE_NOT_YET_VALID', () => expect(check(NOW + 301 * S, NOW + 7 * D, NOW)).toContain('STAPLE_NOT_YET_VALID'));
  it('thisUpdate within the skew: accepted', () => expect(check(NOW + 299 * S, NOW + 7 * D, NOW + 299 * S)).toEqual([]));
  it('--skew 0 makes a second in the future count', () => expect(check(NOW + S, NOW + 7 * D, NOW, { skewMs: 0 })).toContain('STAPLE_NOT_YET_VALID'));
  it('warning window: 1 day left of 7 with the 2-day default warns', () => expect(check(NOW - 6 * D, NOW + D)).toEqual(['STAPLE_EXPIRING']));
  it('warning window is a flag: 12h threshold does not warn at 1 day left', () =>
    expect(check(NOW - 6 * D, NOW + D, NOW - 6 * D, { warnRemainingMs: 12 * H })).toEqual([]));
  it('critical threshold: 1 day left under a 36h critical threshold', () =>
    expect(check(NOW - 6 * D, NOW + D, NOW - 6 * D, { critRemainingMs: 36 * H })).toEqual(['STAPLE_EXPIRING_CRITICAL']));
  it('warning window scales with a short-lived response: 24h validity, 7h left is quiet (2d would warn)', () =>
    expect(check(NOW - 17 * H, NOW + 7 * H)).toEqual([]));
  it('warning window scales with a short-lived response: 24h validity, 5h left warns below a quarter (6h)', () => {
    const problems = checkFreshness(single(NOW - 19 * H, NOW + 5 * H), NOW - 19 * H, policy());
    expect(problems).toEqual([
      expect.objectContaining({ code: 'STAPLE_EXPIRING', args: expect.objectContaining({ remainingSeconds: 5 * 3600, thresholdSeconds: 6 * 3600 }) }),
    ]);
  });
  it('a 7-day response: the quarter (42h) is below the 2-day default; 41h left warns, 43h does not', () => {
    expect(check(NOW - 7 * D + 41 * H, NOW + 41 * H)).toEqual(['STAPLE_EXPIRING']);
    expect(check(NOW - 7 * D + 43 * H, NOW + 43 * H)).toEqual([]);
  });
  it('a long-lived response keeps --warn-remaining: 10-day validity, 47h left warns under 2d', () =>
    expect(checkFreshness(single(NOW - 10 * D + 47 * H, NOW + 47 * H), NOW - 10 * D + 47 * H, policy())[0]?.args).toMatchObject({
      thresholdSeconds: 2 * 86400,
    }));
  it('the critical threshold is not scaled: 24h validity, 5h left under a 12h critical threshold', () =>
    expect(check(NOW - 19 * H, NOW + 5 * H, NOW - 19 * H, { critRemainingMs: 12 * H })).toEqual(['STAPLE_EXPIRING_CRITICAL']));
  it('a short-lived response just past nextUpdate, inside the skew, still warns', () =>
    expect(check(NOW - 24 * H - 100 * S, NOW - 100 * S)).toEqual(['STAPLE_EXPIRING']));
  it('no nextUpdate: STAPLE_NO_NEXT_UPDATE and no expiry judgement', () => expect(check(NOW - H, null)).toEqual(['STAPLE_NO_NEXT_UPDATE']));
  it('producedAt in the future beyond the skew', () => expect(check(NOW - H, NOW + 6 * D, NOW + H)).toEqual(['STAPLE_PRODUCED_IN_FUTURE']));
  it('producedAt before thisUpdate beyond the skew', () => expect(check(NOW - H, NOW + 6 * D, NOW - 2 * H)).toEqual(['STAPLE_PRODUCED_BEFORE_THIS_UPDATE']));
  it('producedAt after thisUpdate is normal', () => expect(check(NOW - 2 * H, NOW + 6 * D, NOW - H)).toEqual([]));
});
