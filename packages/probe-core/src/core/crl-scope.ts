import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { equalBytes, toArrayBuffer, toHex } from './bytes.js';
import type { Cert } from './certificate.js';
import type { CrlProblem } from './crl.js';
import type { ParsedCrl } from './crl-parse.js';
import type { FreshnessPolicy } from './freshness.js';
import { OID, oidName } from './oids.js';
import type { SignatureVerifier } from './signature.js';

/** The issuer certificate's subjectKeyIdentifier and whether its keyUsage allows signing CRLs. */
interface IssuerFacts {
  readonly subjectKeyId: Uint8Array | null;
  /** false only when keyUsage is present without cRLSign (RFC 5280 §4.2.1.3). */
  readonly mayCrlSign: boolean;
}

const issuerFacts = new WeakMap<Cert, IssuerFacts>();

/** `Cert` does not carry SKI or keyUsage (OCSP needs neither): read once per issuer from its DER. */
function factsOf(issuer: Cert): IssuerFacts {
  let facts = issuerFacts.get(issuer);
  if (facts) return facts;
  facts = { subjectKeyId: null, mayCrlSign: true };
  try {
    const cert = new pkijs.Certificate({ schema: asn1js.fromBER(toArrayBuffer(issuer.der)).result });
    const ext = (oid: string) => cert.extensions?.find((e) => e.extnID === oid)?.extnValue.valueBlock.valueHexView;
    const ski = ext(OID.subjectKeyIdentifier);
    const skiValue = ski && asn1js.fromBER(toArrayBuffer(ski)).result;
    const usage = ext(OID.keyUsage);
    const usageValue = usage && asn1js.fromBER(toArrayBuffer(usage)).result;
    // KeyUsage ::= BIT STRING { ..., keyCertSign (5), cRLSign (6), ... }: bit 6 is 0x02 of the first octet.
    const usageBits = usageValue instanceof asn1js.BitString ? usageValue.valueBlock.valueHexView : null;
    facts = {
      subjectKeyId: skiValue instanceof asn1js.OctetString ? skiValue.valueBlock.valueHexView.slice() : null,
      mayCrlSign: usageBits === null || ((usageBits[0] ?? 0) & 0x02) !== 0,
    };
  } catch {
    // The issuer parsed as a Cert already; extensions pkijs cannot read again are treated as absent.
  }
  issuerFacts.set(issuer, facts);
  return facts;
}

/**
 * Whose CRL this is, and whether its signature holds (RFC 5280 §6.3.3 (f), (g)): the CRL's issuer must be
 * the certificate's issuer (indirect CRLs, signed by a separate CRL issuer, are not supported), the issuer
 * certificate must name it as subject and may sign CRLs, and its key must verify the signature over tbsCertList
 * as received. A mismatch of authorityKeyIdentifier and the issuer's subjectKeyIdentifier is reported beside.
 */
export async function checkAuthenticity(
  crl: ParsedCrl,
  leaf: Cert,
  issuer: Cert | null,
  url: string | null,
  verifier: SignatureVerifier,
): Promise<CrlProblem[]> {
  if (!equalBytes(crl.issuerDer, leaf.issuerDer) && crl.issuer !== leaf.issuer) {
    return [{ code: 'CRL_ISSUER_MISMATCH', args: { url, crlIssuer: crl.issuer, certIssuer: leaf.issuer } }];
  }
  if (!issuer) return [{ code: 'CRL_NOT_VERIFIED', args: { url, reason: 'no-issuer' } }];
  if (!equalBytes(crl.issuerDer, issuer.subjectDer) && crl.issuer !== issuer.subject) {
    return [{ code: 'CRL_NOT_VERIFIED', args: { url, reason: 'issuer-name-differs' } }];
  }
  const problems: CrlProblem[] = [];
  const facts = factsOf(issuer);
  if (crl.authorityKeyId && facts.subjectKeyId && !equalBytes(crl.authorityKeyId, facts.subjectKeyId)) {
    problems.push({ code: 'CRL_KEY_ID_MISMATCH', args: { url, authorityKeyId: toHex(crl.authorityKeyId), subjectKeyId: toHex(facts.subjectKeyId) } });
  }
  if (!facts.mayCrlSign) problems.push({ code: 'CRL_ISSUER_CANNOT_SIGN_CRLS', args: { url, issuer: issuer.subject } });
  const result = await verifier.verify(crl.signatureAlgorithm, issuer.spki, crl.tbs, crl.signature);
  const algorithm = oidName(crl.signatureAlgorithm.oid) ?? crl.signatureAlgorithm.oid;
  if (result.result === 'invalid') problems.push({ code: 'CRL_BAD_SIGNATURE', args: { url, issuer: issuer.subject, algorithm } });
  // The verifier says what it cannot do (a PSS hash, a curve), or only the OID: then the OID's name, as for staples.
  if (result.result === 'unsupported') {
    problems.push({
      code: 'CRL_UNSUPPORTED_ALGORITHM',
      args: { url, algorithm: result.algorithm === crl.signatureAlgorithm.oid ? algorithm : result.algorithm },
    });
  }
  return problems;
}

/** Extensions that forbid using the CRL here: unknown critical ones (§5.2), a delta CRL (§5.2.4), an indirect CRL (§5.2.5). */
export function checkExtensions(crl: ParsedCrl, url: string | null): CrlProblem[] {
  const problems: CrlProblem[] = crl.unknownCriticalExtensions.map((oid) => ({
    code: 'CRL_UNKNOWN_CRITICAL_EXTENSION' as const,
    args: { url, oid, name: oidName(oid), scope: 'crl' as const },
  }));
  if (crl.deltaBaseCrlNumber !== null) problems.push({ code: 'CRL_DELTA', args: { url, baseCrlNumber: crl.deltaBaseCrlNumber } });
  if (crl.issuingDistributionPoint?.indirectCRL) problems.push({ code: 'CRL_INDIRECT', args: { url } });
  return problems;
}

/** http://Host:80/x and http://host/x are one URL; anything URL cannot parse is compared as written. */
function normalUrl(url: string): string {
  try {
    return new URL(url).href;
  } catch {
    return url;
  }
}

/**
 * Whether the CRL covers this certificate (RFC 5280 §6.3.3 (b)(2)): a partitioned CRL's Issuing
 * Distribution Point must name the URL the CRL was fetched from (a CRL judged offline: one of the
 * certificate's CRL distribution points), as Let's Encrypt's sharded CRLs do; its onlyContains* flags must
 * fit the certificate. A CRL of only some reasons is in scope but cannot show that a certificate is not revoked.
 */
export function checkScope(crl: ParsedCrl, leaf: Cert, url: string | null): CrlProblem[] {
  const idp = crl.issuingDistributionPoint;
  if (!idp) return [];
  const problems: CrlProblem[] = [];
  const dp = idp.distributionPoint;
  const covers = dp?.kind === 'fullName' && dp.uris.length > 0 ? dp.uris.join(',') : null;
  if (dp) {
    const named = new Set((url === null ? leaf.crlUrls : [url]).map(normalUrl));
    const matches = dp.kind === 'fullName' && dp.uris.some((u) => named.has(normalUrl(u)));
    if (!matches) problems.push({ code: 'CRL_WRONG_SCOPE', args: { url, reason: 'distribution-point', covers } });
  }
  if (idp.onlyContainsCACerts && !leaf.isCA) problems.push({ code: 'CRL_WRONG_SCOPE', args: { url, reason: 'ca-certs-only', covers } });
  if (idp.onlyContainsUserCerts && leaf.isCA) problems.push({ code: 'CRL_WRONG_SCOPE', args: { url, reason: 'user-certs-only', covers } });
  if (idp.onlyContainsAttributeCerts) problems.push({ code: 'CRL_WRONG_SCOPE', args: { url, reason: 'attribute-certs-only', covers } });
  if (idp.onlySomeReasons) problems.push({ code: 'CRL_PARTIAL_REASONS', args: { url, reasons: idp.onlySomeReasons.join(',') } });
  return problems;
}

const iso = (ms: number) => new Date(ms).toISOString();
const seconds = (ms: number) => Math.round(ms / 1000);

/**
 * thisUpdate and nextUpdate against now, with the skew allowance and the operator's thresholds: the logic
 * of `checkFreshness` for staples (core/freshness.ts), under the CRL's own codes.
 */
export function checkCrlFreshness(crl: ParsedCrl, url: string | null, policy: FreshnessPolicy): CrlProblem[] {
  const { now, skewMs } = policy;
  const problems: CrlProblem[] = [];
  if (crl.thisUpdate > now + skewMs) {
    problems.push({ code: 'CRL_NOT_YET_VALID', args: { url, thisUpdate: iso(crl.thisUpdate), aheadSeconds: seconds(crl.thisUpdate - now) } });
  }
  if (crl.nextUpdate === null) {
    problems.push({ code: 'CRL_NO_NEXT_UPDATE', args: { url, thisUpdate: iso(crl.thisUpdate) } });
    return problems;
  }
  const remaining = crl.nextUpdate - now;
  const nextUpdate = iso(crl.nextUpdate);
  if (remaining < -skewMs) {
    problems.push({ code: 'CRL_EXPIRED', args: { url, nextUpdate, agoSeconds: seconds(-remaining) } });
  } else if (policy.critRemainingMs > 0 && remaining < policy.critRemainingMs) {
    problems.push({
      code: 'CRL_EXPIRING_CRITICAL',
      args: { url, nextUpdate, remainingSeconds: seconds(remaining), thresholdSeconds: seconds(policy.critRemainingMs) },
    });
  } else if (remaining < policy.warnRemainingMs) {
    problems.push({ code: 'CRL_EXPIRING', args: { url, nextUpdate, remainingSeconds: seconds(remaining), thresholdSeconds: seconds(policy.warnRemainingMs) } });
  }
  return problems;
}
