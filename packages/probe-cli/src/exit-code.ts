import type { Verdict } from '@staple-probe/core';

const CODES: Record<Verdict, 0 | 1 | 2 | 3> = { ok: 0, warn: 1, critical: 2, unknown: 3 };

/** 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN: the Monitoring Plugins convention. */
export function exitCodeOf(verdict: Verdict): 0 | 1 | 2 | 3 {
  return CODES[verdict];
}
