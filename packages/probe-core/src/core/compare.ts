import type { Judged } from './judge.js';
import type { Problem } from './problem.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * The staple against the CA's current, valid answer. A server refreshes well within half of a response's
 * validity (nginx refetches hourly), and CAs publish a new response at least that often, so a staple more
 * than half its validity plus an hour behind the live answer is not being refreshed.
 */
export function compareStapleWithLive(staple: Judged, live: Judged): Problem[] {
  const s = staple.single;
  const l = live.single;
  if (!s || !l) return [];
  const problems: Problem[] = [];
  const iso = (ms: number) => new Date(ms).toISOString();
  if (s.status === 'good' && l.status === 'revoked') {
    problems.push({ code: 'COMPARE_STAPLE_GOOD_LIVE_REVOKED', args: { stapleThisUpdate: iso(s.thisUpdate), revocationTime: l.view.revocationTime } });
  } else if (s.status !== l.status) {
    problems.push({ code: 'COMPARE_STATUS_DIFFERS', args: { staple: s.status, live: l.status } });
  }
  const behind = l.thisUpdate - s.thisUpdate;
  const validity = s.nextUpdate !== null ? s.nextUpdate - s.thisUpdate : DAY;
  if (behind > validity / 2 + HOUR) {
    problems.push({
      code: 'COMPARE_STAPLE_STALE',
      args: { stapleThisUpdate: iso(s.thisUpdate), liveThisUpdate: iso(l.thisUpdate), behindSeconds: Math.round(behind / 1000) },
    });
  }
  if (staple.signer && live.signer && staple.signer !== live.signer) {
    problems.push({ code: 'COMPARE_SIGNER_DIFFERS', args: { staple: staple.signer, live: live.signer } });
  }
  return problems;
}
