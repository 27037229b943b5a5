import { FINDINGS } from '../findings.js';
import type { FindingArgs, Location } from '../types.js';
import { type PlacedProblem, placed } from './problem.js';
import type { AddressView, AttemptView } from './views.js';

/**
 * The certificate statuses the valid staples of some handshakes give. A staple counts when only its status (not its
 * validity) is bad: a revoked staple is still a clear statement.
 */
export function statusesOf(attempts: readonly AttemptView[]): Set<string> {
  const statuses = new Set<string>();
  for (const { staple } of attempts) {
    if (!staple) continue;
    const { judged } = staple;
    const broken = judged.problems.some((p) => FINDINGS[p.code].severity === 'critical' && p.code !== 'STAPLE_REVOKED' && p.code !== 'STAPLE_STATUS_UNKNOWN');
    if (judged.single && !broken) statuses.add(judged.single.status);
  }
  return statuses;
}

/**
 * Addresses of one host must behave alike: the same certificate, stapling on all or none, the same status.
 * Only addresses where a handshake completed are compared.
 */
export function addressDisagreements(addresses: readonly AddressView[], where: Location): PlacedProblem[] {
  const answered = addresses.filter((a) => a.stapled !== null);
  if (answered.length < 2) return [];
  const problems: PlacedProblem[] = [];
  const disagree = (aspect: FindingArgs['COMPARE_ADDRESSES_DISAGREE']['aspect'], detail: string) =>
    problems.push(placed({ code: 'COMPARE_ADDRESSES_DISAGREE', args: { aspect, detail } }, where));
  const leaves = new Set(answered.map((a) => a.leaf?.sha256 ?? '?'));
  if (leaves.size > 1) disagree('certificate', answered.map((a) => `${a.address} serves serial ${a.leaf?.serial ?? '?'}`).join(', '));
  const stapling = answered.filter((a) => a.stapled);
  if (stapling.length > 0 && stapling.length < answered.length) {
    disagree('stapling', answered.map((a) => `${a.address} ${a.stapled ? 'staples' : 'does not staple'}`).join(', '));
  }
  const statuses = new Map(stapling.map((a) => [a, statusesOf(a.attempts)]));
  const statusSets = new Set([...statuses.values()].map((s) => [...s].sort().join('+')).filter(Boolean));
  if (statusSets.size > 1) {
    disagree('status', stapling.map((a) => `${a.address} staples ${[...(statuses.get(a) ?? [])].join('/') || 'an invalid response'}`).join(', '));
  }
  return problems;
}
