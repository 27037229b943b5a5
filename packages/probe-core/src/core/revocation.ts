import type { CrlFetchEvidence, Location } from '../types.js';
import { statusesOf } from './addresses.js';
import { type CrlJudgement, judgeCrlBytes } from './crl.js';
import type { Context } from './judge.js';
import { type PlacedProblem, placed } from './problem.js';
import type { AddressView, CertificateView } from './views.js';

/** One CRL download of a certificate, and its judgement when the bytes arrived (null when the fetch failed). */
export interface CrlView {
  readonly fetch: CrlFetchEvidence;
  readonly judged: CrlJudgement | null;
}

/** Judge each downloaded CRL of a certificate for it; a failed download stays unjudged. */
export async function judgeCrls(certificate: Pick<CertificateView, 'leaf' | 'choice'>, fetches: readonly CrlFetchEvidence[], ctx: Context): Promise<CrlView[]> {
  return Promise.all(
    fetches.map(async (fetch) => {
      const { exchange } = fetch;
      if (!exchange.ok || exchange.status !== 200) return { fetch, judged: null };
      const judged = await judgeCrlBytes(exchange.body, {
        leaf: certificate.leaf,
        issuer: certificate.choice.issuer,
        url: fetch.url,
        verifier: ctx.verifier,
        ...ctx.policy,
      });
      return { fetch, judged };
    }),
  );
}

/** What went wrong with a download, as its finding. */
function fetchProblem({ url, exchange }: CrlFetchEvidence, where: Location): PlacedProblem | null {
  if (exchange.ok) return exchange.status === 200 ? null : placed({ code: 'CRL_HTTP_ERROR', args: { url, status: exchange.status } }, where);
  const { kind, message } = exchange.error;
  if (kind === 'timeout') return placed({ code: 'CRL_TIMEOUT', args: { url, message } }, where);
  if (kind === 'too-large') return placed({ code: 'CRL_TOO_LARGE', args: { url, message } }, where);
  return placed({ code: 'CRL_UNREACHABLE', args: { url, message } }, where);
}

/** The OCSP statuses this certificate got, by source: its valid staples at every address, the valid live answer. */
function ocspStatuses(certificate: CertificateView, addresses: readonly AddressView[]): { source: 'staple' | 'live'; status: string }[] {
  const stapled = addresses.flatMap((a) => a.certificates.filter((c) => c.certificate.leaf.sha256 === certificate.leaf.sha256));
  const staples = [...new Set(stapled.flatMap((c) => [...statusesOf(c.attempts)]))].map((status) => ({ source: 'staple' as const, status }));
  const live = certificate.live?.valid?.single?.status;
  return [...staples, ...(live ? [{ source: 'live' as const, status: live }] : [])];
}

/**
 * Revocation through CRLs, for one certificate (issue #22): a download that failed, each CRL's own problems
 * (revoked, unusable, stale) placed at its URL, "not listed" when an authentic, current CRL covers it and
 * does not list it, and the CRL against OCSP (a staple or live answer saying good for a listed certificate
 * is critical). CRL checking switched off, or only `ldap:` points, is said as a note.
 */
export function crlProblems(certificate: CertificateView, crls: readonly CrlView[], addresses: readonly AddressView[], disabled: boolean): PlacedProblem[] {
  const { leaf, where } = certificate;
  if (leaf.crlUrls.length === 0) return [];
  if (disabled) return [placed({ code: 'CRL_NOT_CHECKED', args: { urls: leaf.crlUrls.join(', ') } }, where)];
  // Only ldap: (or other) points: named, not fetched. Downloads absent for http ones: evidence from elsewhere.
  if (!leaf.crlUrls.some((u) => /^https?:\/\//i.test(u))) return [placed({ code: 'CRL_NOT_FETCHED', args: { urls: leaf.crlUrls.join(', ') } }, where)];
  const problems: PlacedProblem[] = [];
  const ocsp = ocspStatuses(certificate, addresses);
  for (const { fetch, judged } of crls) {
    const at: Location = { ...where, url: fetch.url };
    const failed = fetchProblem(fetch, at);
    if (failed || !judged) {
      if (failed) problems.push(failed);
      continue;
    }
    for (const p of judged.problems) problems.push(placed(p, at));
    if (judged.status === 'not-listed') {
      const nextUpdate = judged.nextUpdate === null ? null : new Date(judged.nextUpdate).toISOString();
      problems.push(placed({ code: 'CRL_NOT_LISTED', args: { url: fetch.url, nextUpdate, entries: judged.entries ?? 0 } }, at));
      for (const { source } of ocsp.filter((o) => o.status === 'revoked')) {
        problems.push(placed({ code: 'COMPARE_CRL_NOT_LISTED', args: { source, url: fetch.url } }, at));
      }
    }
    if (judged.status === 'revoked' && judged.revoked) {
      const revocationDate = new Date(judged.revoked.revocationDate).toISOString();
      for (const { source } of ocsp.filter((o) => o.status === 'good')) {
        problems.push(placed({ code: 'COMPARE_CRL_REVOKED', args: { source, revocationDate, reason: judged.revoked.reason } }, at));
      }
    }
  }
  return problems;
}
