import type { FindingArgs, KeyType } from '../types.js';
import { statusesOf } from './addresses.js';
import { type PlacedProblem, placed } from './problem.js';
import type { AddressView } from './views.js';

const label = (c: { readonly keyType: KeyType; readonly serial: string }) => `${c.keyType} certificate ${c.serial}`;

/**
 * The certificates one address serves (an RSA and an ECDSA one) must behave alike: a client's key type must
 * not decide whether it gets a staple, or which status. Each address is compared on its own; the same
 * disagreement at several addresses is one finding seen there.
 */
export function certificateDisagreements(address: AddressView): PlacedProblem[] {
  const served = address.certificates;
  if (served.length < 2) return [];
  const problems: PlacedProblem[] = [];
  const disagree = (aspect: FindingArgs['COMPARE_CERTIFICATES_DISAGREE']['aspect'], detail: string) =>
    problems.push(placed({ code: 'COMPARE_CERTIFICATES_DISAGREE', args: { aspect, detail } }, address.where));
  const stapling = served.filter((c) => c.stapled);
  if (stapling.length > 0 && stapling.length < served.length) {
    disagree('stapling', served.map((c) => `${label(c.certificate.leaf)} ${c.stapled ? 'staples' : 'does not staple'}`).join(', '));
  }
  // A broken staple (another certificate's, an error response, a bad signature) is a status of its own here:
  // clients of one certificate get a usable answer and those of the other do not.
  const statuses = new Map(stapling.map((c) => [c, [...statusesOf(c.attempts)].sort().join('/') || 'an invalid response']));
  if (new Set(statuses.values()).size > 1) {
    disagree('status', stapling.map((c) => `${label(c.certificate.leaf)} staples ${statuses.get(c)}`).join(', '));
  }
  return problems;
}
