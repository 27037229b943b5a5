import type { Location, TlsVersion } from '../types.js';
import { type PlacedProblem, placed } from './problem.js';
import type { AddressCertificate, AddressView, CertificateView } from './views.js';

/** One completed handshake, as far as the staple's presence goes. */
export interface StapleAttempt {
  readonly tlsVersion: TlsVersion;
  readonly attempt: number;
  readonly stapled: boolean;
}

/** The handshakes that judge one certificate's staple at one address, by start. */
export function stapleSequenceOf(served: AddressCertificate): StapleAttempt[] {
  return served.attempts.map((a) => ({ tlsVersion: a.tlsVersion, attempt: a.attempt, stapled: a.staple !== null }));
}

/**
 * Whether the staple came, over the ordered handshakes of one certificate at one place (`where`): a version
 * that never staples while another does, a staple that appears only after the first handshakes (the server
 * fetches lazily), one that goes away again. Nothing when no handshake stapled: that is a missing staple.
 */
export function stapleSequenceProblems(sequence: readonly StapleAttempt[], mustStaple: boolean, where: Location): PlacedProblem[] {
  const byVersion = new Map<TlsVersion, boolean>();
  for (const s of sequence) byVersion.set(s.tlsVersion, (byVersion.get(s.tlsVersion) ?? false) || s.stapled);
  if (![...byVersion.values()].some(Boolean)) return [];
  const problems: PlacedProblem[] = [];
  for (const [tlsVersion, stapled] of byVersion) {
    if (!stapled) problems.push(placed({ code: 'STAPLE_MISSING_ON_VERSION', args: { tlsVersion } }, { ...where, tlsVersion }));
  }
  // A version that never staples is reported above; laziness and gaps are read over the versions that do.
  const relevant = sequence.filter((s) => byVersion.get(s.tlsVersion));
  const first = relevant.findIndex((s) => s.stapled);
  const firstStapled = relevant[first];
  if (first > 0 && firstStapled) {
    const { tlsVersion, attempt } = firstStapled;
    problems.push(
      placed(
        { code: mustStaple ? 'STAPLE_LAZY_MUST_STAPLE' : 'STAPLE_LAZY', args: { handshakesWithout: first, tlsVersion, attempt } },
        { ...where, tlsVersion, attempt },
      ),
    );
  }
  const dropped = relevant.slice(first + 1).find((s) => !s.stapled);
  if (dropped) problems.push(placed({ code: 'STAPLE_INTERMITTENT', args: {} }, { ...where, tlsVersion: dropped.tlsVersion, attempt: dropped.attempt }));
  return problems;
}

/**
 * What the absence of a staple means for one certificate, at each address that served it and never stapled:
 * a missing staple (critical for must-staple), or nothing to staple when the certificate names no OCSP
 * responder (reported once, at the certificate's place).
 */
export function missingStapleProblems(certificate: CertificateView, addresses: readonly AddressView[]): PlacedProblem[] {
  const { leaf, live } = certificate;
  const unstapled = addresses.flatMap((a) => a.certificates.filter((c) => c.certificate.leaf.sha256 === leaf.sha256 && !c.stapled));
  if (unstapled.length === 0) return [];
  if (leaf.ocspUrls.length === 0 && !leaf.mustStaple) {
    return [placed({ code: 'CERT_NO_OCSP_URL', args: { crlUrls: leaf.crlUrls.join(', ') || null } }, certificate.where)];
  }
  const liveResponder = live ? (live.valid ? 'ok' : 'failed') : 'not-queried';
  return unstapled.map((a) =>
    placed(leaf.mustStaple ? { code: 'STAPLE_MISSING_MUST_STAPLE', args: {} } : { code: 'STAPLE_MISSING', args: { liveResponder } }, a.where),
  );
}
