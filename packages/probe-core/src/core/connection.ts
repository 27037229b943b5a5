import type { Location, ProbeEvidence, TlsFailure, TlsVersion } from '../types.js';
import { type PlacedProblem, placed } from './problem.js';
import type { AddressView } from './views.js';

function failureCode(error: TlsFailure): 'TLS_RESOLVE_FAILED' | 'TLS_TIMEOUT' | 'TLS_CONNECT_FAILED' | 'TLS_HANDSHAKE_FAILED' {
  switch (error.kind) {
    case 'dns':
      return 'TLS_RESOLVE_FAILED';
    case 'timeout':
      return 'TLS_TIMEOUT';
    case 'refused':
    case 'unreachable':
    case 'reset':
      return 'TLS_CONNECT_FAILED';
    default:
      return 'TLS_HANDSHAKE_FAILED';
  }
}

/** A STARTTLS upgrade that did not happen: not offered, or failed for a reason the message gives. */
function starttlsProblem(failure: TlsFailure, starttls: NonNullable<TlsFailure['starttls']>, where: Location): PlacedProblem {
  const { protocol, reason, banner } = starttls;
  if (reason === 'not-offered') return placed({ code: 'STARTTLS_NOT_OFFERED', args: { protocol, message: failure.message, banner } }, where);
  return placed({ code: 'STARTTLS_FAILED', args: { protocol, reason, message: failure.message, banner } }, where);
}

/** A target name that did not resolve, or resolved to nothing. */
export function resolveProblems(evidence: Pick<ProbeEvidence, 'resolveError' | 'addresses'>, where: Location): PlacedProblem[] {
  if (evidence.resolveError) return [placed({ code: 'TLS_RESOLVE_FAILED', args: { message: evidence.resolveError.message } }, where)];
  if (evidence.addresses.length === 0) return [placed({ code: 'TLS_RESOLVE_FAILED', args: { message: 'no address to probe' } }, where)];
  return [];
}

/**
 * The handshakes of one address that failed, per TLS version in the order the versions were first tried.
 * A version refused every time while another works is a fact about the server, not a failure.
 */
export function connectionProblems(address: AddressView): PlacedProblem[] {
  const versions = new Map<TlsVersion, { total: number; refusals: number; failures: TlsFailure[] }>();
  for (const { tlsVersion, outcome } of address.attempts) {
    const stats = versions.get(tlsVersion) ?? { total: 0, refusals: 0, failures: [] };
    stats.total++;
    versions.set(tlsVersion, stats);
    if (outcome.ok) continue;
    if (outcome.error.kind === 'version') stats.refusals++;
    stats.failures.push(outcome.error);
  }
  const anyOk = address.attempts.some((a) => a.outcome.ok);
  const problems: PlacedProblem[] = [];
  for (const [tlsVersion, stats] of versions) {
    const refusedOnly = stats.failures.length > 0 && stats.refusals === stats.total;
    const where: Location = { ...address.where, tlsVersion };
    for (const failure of stats.failures) {
      if (anyOk && refusedOnly) problems.push(placed({ code: 'TLS_VERSION_UNSUPPORTED', args: { tlsVersion } }, where));
      else if (failure.starttls) problems.push(starttlsProblem(failure, failure.starttls, where));
      else problems.push(placed({ code: failureCode(failure), args: { message: failure.message } }, where));
    }
  }
  return problems;
}
