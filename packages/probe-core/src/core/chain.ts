import type { HttpExchange } from '../types.js';
import { sha256Hex } from './bytes.js';
import type { Cert } from './certificate.js';
import { certificatesFromIssuerBody, type IssuerChoice } from './issuer.js';
import { type PlacedProblem, placed, type Problem } from './problem.js';
import type { CertificateView } from './views.js';

/** A given or served certificate that bore the issuer's name (or was named the issuer) but did not sign the leaf. */
export function issuerMismatchProblem(choice: IssuerChoice, leaf: Cert): Problem | null {
  if (!choice.rejected) return null;
  return {
    code: 'CERT_ISSUER_MISMATCH',
    args: { issuer: choice.rejected.subject, leafIssuer: leaf.issuer, source: choice.rejected.source === 'given' ? 'given' : 'served' },
  };
}

/** Why a caIssuers download did not give the issuer, in words. */
function issuerFetchFailure(exchange: HttpExchange): string {
  if (!exchange.ok) return exchange.error.message;
  if (exchange.status !== 200) return `HTTP ${exchange.status}`;
  const found = certificatesFromIssuerBody(exchange.body).length;
  if (found === 0)
    return `the body (${exchange.body.byteLength} bytes${exchange.contentType ? `, ${exchange.contentType}` : ''}) holds no certificate (DER, PEM or PKCS#7 certs-only expected)`;
  return `none of the ${found} certificate${found === 1 ? '' : 's'} it holds issued the leaf`;
}

/**
 * Facts about a served certificate and its chain: an issuer candidate that did not sign it, must-staple, an
 * issuer the server does not send (found through AIA instead), or an issuer that could be found nowhere.
 */
export function chainProblems(certificate: CertificateView): PlacedProblem[] {
  const { leaf, choice, where } = certificate;
  const problems: PlacedProblem[] = [];
  const mismatch = issuerMismatchProblem(choice, leaf);
  if (mismatch) problems.push(placed(mismatch, where));
  if (leaf.mustStaple) problems.push(placed({ code: 'CERT_MUST_STAPLE', args: {} }, where));
  if (choice.source === 'aia' && choice.issuer) {
    const issuerKey = choice.issuer.sha256;
    const fetch = certificate.issuerFetches.find(
      (f) => f.exchange.ok && certificatesFromIssuerBody(f.exchange.body).some((der) => sha256Hex(der) === issuerKey),
    );
    problems.push(placed({ code: 'CERT_CHAIN_INCOMPLETE', args: { issuer: choice.issuer.subject, url: fetch?.url ?? null } }, where));
  }
  if (!choice.issuer) {
    for (const f of certificate.issuerFetches) {
      problems.push(placed({ code: 'CERT_ISSUER_FETCH_FAILED', args: { url: f.url, reason: issuerFetchFailure(f.exchange) } }, where));
    }
  }
  return problems;
}
