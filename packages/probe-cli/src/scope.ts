import type { Report, Verdict } from '@staple-probe/core';

/**
 * What the exit code, the Nagios status and the exporter's `staple_probe_verdict` follow (issue #23):
 * `all` (the default), every finding; `stapling`, the stapling verdict alone (`STAPLE_`, `SIGNER_`, `LIVE_`,
 * `COMPARE_` findings), for teams that already watch certificates with another check and must not be paged
 * twice for one expired or untrusted certificate. Certificate problems are still reported either way.
 */
export type Scope = 'all' | 'stapling';

export const SCOPES: readonly Scope[] = ['all', 'stapling'];

/** The verdict the scope looks at. */
export function scopedVerdict(report: Pick<Report, 'verdict' | 'staplingVerdict'>, scope: Scope): Verdict {
  return scope === 'stapling' ? report.staplingVerdict : report.verdict;
}
