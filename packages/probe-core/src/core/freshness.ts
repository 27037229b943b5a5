import type { ParsedSingleResponse } from './decode.js';
import type { Problem } from './problem.js';

/** A problem with a response's times; its args are the catalogue's (`FindingArgs`). */
export type FreshnessProblem = Problem<
  | 'STAPLE_EXPIRED'
  | 'STAPLE_NOT_YET_VALID'
  | 'STAPLE_NO_NEXT_UPDATE'
  | 'STAPLE_EXPIRING'
  | 'STAPLE_EXPIRING_CRITICAL'
  | 'STAPLE_PRODUCED_IN_FUTURE'
  | 'STAPLE_PRODUCED_BEFORE_THIS_UPDATE'
>;

export interface FreshnessPolicy {
  readonly now: number;
  readonly skewMs: number;
  readonly warnRemainingMs: number;
  readonly critRemainingMs: number;
}

const iso = (ms: number) => new Date(ms).toISOString();
const seconds = (ms: number) => Math.round(ms / 1000);

/**
 * The warning window that applies to one response: `--warn-remaining`, or a quarter of the response's
 * validity (nextUpdate − thisUpdate) when that is smaller. A CA whose responses live 2 days or less would
 * otherwise be inside the default 2-day window from the moment it signs, and every staple would warn.
 * A server that refreshes at half the validity (Caddy) or hourly (nginx, Apache) stays out of the last quarter.
 * The critical threshold is not scaled: it is off by default, and an operator who sets it asks for that margin.
 */
export function warnThresholdMs(thisUpdate: number, nextUpdate: number, warnRemainingMs: number): number {
  return Math.min(warnRemainingMs, Math.max(0, (nextUpdate - thisUpdate) / 4));
}

/**
 * Time checks of RFC 6960 §3.2 (5)-(6) and RFC 5019 §4: thisUpdate not after now, now not after nextUpdate,
 * each with a skew allowance; plus the operator's thresholds for how much validity must remain.
 */
export function checkFreshness(single: ParsedSingleResponse, producedAt: number, policy: FreshnessPolicy): FreshnessProblem[] {
  const { now, skewMs } = policy;
  const problems: FreshnessProblem[] = [];
  if (single.thisUpdate > now + skewMs) {
    problems.push({ code: 'STAPLE_NOT_YET_VALID', args: { thisUpdate: iso(single.thisUpdate), aheadSeconds: seconds(single.thisUpdate - now) } });
  }
  if (producedAt > now + skewMs) {
    problems.push({ code: 'STAPLE_PRODUCED_IN_FUTURE', args: { producedAt: iso(producedAt), aheadSeconds: seconds(producedAt - now) } });
  }
  // A responder signs after it learns the status, so producedAt before thisUpdate means a broken responder clock.
  if (producedAt < single.thisUpdate - skewMs) {
    problems.push({ code: 'STAPLE_PRODUCED_BEFORE_THIS_UPDATE', args: { producedAt: iso(producedAt), thisUpdate: iso(single.thisUpdate) } });
  }
  if (single.nextUpdate === null) {
    problems.push({ code: 'STAPLE_NO_NEXT_UPDATE', args: { thisUpdate: iso(single.thisUpdate) } });
    return problems;
  }
  const remaining = single.nextUpdate - now;
  const warnMs = warnThresholdMs(single.thisUpdate, single.nextUpdate, policy.warnRemainingMs);
  if (remaining < -skewMs) {
    problems.push({ code: 'STAPLE_EXPIRED', args: { nextUpdate: iso(single.nextUpdate), agoSeconds: seconds(-remaining) } });
  } else if (policy.critRemainingMs > 0 && remaining < policy.critRemainingMs) {
    problems.push({
      code: 'STAPLE_EXPIRING_CRITICAL',
      args: { nextUpdate: iso(single.nextUpdate), remainingSeconds: seconds(remaining), thresholdSeconds: seconds(policy.critRemainingMs) },
    });
  } else if (remaining < warnMs || remaining < 0) {
    problems.push({
      code: 'STAPLE_EXPIRING',
      args: { nextUpdate: iso(single.nextUpdate), remainingSeconds: seconds(remaining), thresholdSeconds: seconds(warnMs) },
    });
  }
  return problems;
}
