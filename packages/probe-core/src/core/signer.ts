import { equalBytes } from './bytes.js';
import { type Cert, keyHash } from './certificate.js';
import type { ParsedBasic } from './decode.js';
import { oidName, OID } from './oids.js';
import type { Problem } from './problem.js';
import type { SignatureVerifier } from './signature.js';

/** One problem with who signed the response. */
export type SignerProblem = Problem<
  | 'SIGNER_NOT_FOUND'
  | 'SIGNER_BAD_SIGNATURE'
  | 'SIGNER_UNSUPPORTED_ALGORITHM'
  | 'SIGNER_RESPONDER_ID_MISMATCH'
  | 'SIGNER_DELEGATE_NO_EKU'
  | 'SIGNER_DELEGATE_FOREIGN'
  | 'SIGNER_DELEGATE_BAD_CERT_SIGNATURE'
  | 'SIGNER_DELEGATE_NOT_VALID'
>;

export interface SignerVerdict {
  /** Who signed, when known: the issuer itself or a delegated responder. */
  readonly signer: { readonly role: 'issuer' | 'delegate'; readonly subject: string } | null;
  readonly problems: readonly SignerProblem[];
}

function matchesResponderId(cert: Cert, id: ParsedBasic['responderId']): boolean {
  // byKey is the SHA-1 of the subjectPublicKey BIT STRING contents (RFC 6960 §4.2.1).
  if (id.kind === 'key') return equalBytes(keyHash(cert, 'sha1'), id.keyHash);
  return equalBytes(cert.subjectDer, id.nameDer);
}

function sameCert(a: Cert, b: Cert): boolean {
  return equalBytes(a.der, b.der) || (equalBytes(a.subjectDer, b.subjectDer) && equalBytes(a.spki, b.spki));
}

/** What checkSignerStatic finds: everything about the signer but the delegate's validity now (delegateNowProblem). */
export interface StaticSignerVerdict extends SignerVerdict {
  /** A delegate that was valid at producedAt: whether it is valid now is left to the caller's clock. */
  readonly delegateWindow: { readonly subject: string; readonly notBefore: number; readonly notAfter: number } | null;
}

/**
 * Check the signature and the responder's authority (RFC 6960 §4.2.2.2): the signer must be the issuer,
 * or a certificate issued directly by the issuer that carries id-kp-OCSPSigning and was valid when the
 * response was produced. The ResponderID must name the signer (§4.2.2.3). Everything but the clock: the
 * same response, issuer and keys give the same answer, so a run can reuse it (judge.ts).
 */
export async function checkSignerStatic(basic: ParsedBasic, issuer: Cert, verifier: SignatureVerifier): Promise<StaticSignerVerdict> {
  const embedded = basic.certs.filter((c): c is Cert => c !== null);
  const candidates = [issuer, ...embedded];
  const problems: SignerProblem[] = [];
  const algorithm = oidName(basic.signatureAlgorithm.oid) ?? basic.signatureAlgorithm.oid;
  const none = (problem: SignerProblem): StaticSignerVerdict => ({ signer: null, problems: [problem], delegateWindow: null });

  let signer = candidates.find((c) => matchesResponderId(c, basic.responderId)) ?? null;
  if (signer) {
    const result = await verifier.verify(basic.signatureAlgorithm, signer.spki, basic.tbs, basic.signature);
    if (result.result === 'unsupported') return none({ code: 'SIGNER_UNSUPPORTED_ALGORITHM', args: { algorithm } });
    if (result.result === 'invalid') problems.push({ code: 'SIGNER_BAD_SIGNATURE', args: { signer: signer.subject, algorithm } });
  } else {
    // Nobody is named; see whether some available key signed it anyway, to tell a mislabelled responder from a forgery.
    let unsupported = 0;
    for (const candidate of candidates) {
      const result = await verifier.verify(basic.signatureAlgorithm, candidate.spki, basic.tbs, basic.signature);
      if (result.result === 'unsupported') unsupported++;
      if (result.result === 'valid') {
        signer = candidate;
        problems.push({ code: 'SIGNER_RESPONDER_ID_MISMATCH', args: { signer: candidate.subject } });
        break;
      }
    }
    if (!signer && unsupported === candidates.length) return none({ code: 'SIGNER_UNSUPPORTED_ALGORITHM', args: { algorithm } });
    if (!signer) return none({ code: 'SIGNER_NOT_FOUND', args: { embeddedCerts: basic.certs.length } });
  }

  if (sameCert(signer, issuer)) return { signer: { role: 'issuer', subject: signer.subject }, problems, delegateWindow: null };

  const delegate = signer;
  if (!equalBytes(delegate.issuerDer, issuer.subjectDer)) {
    problems.push({ code: 'SIGNER_DELEGATE_FOREIGN', args: { signer: delegate.subject, signerIssuer: delegate.issuer, issuer: issuer.subject } });
  } else {
    const certSig = await verifier.verify(delegate.signatureAlgorithm, issuer.spki, delegate.tbs, delegate.signature);
    if (certSig.result !== 'valid') problems.push({ code: 'SIGNER_DELEGATE_BAD_CERT_SIGNATURE', args: { signer: delegate.subject } });
  }
  if (!delegate.ekus.includes(OID.kpOcspSigning)) problems.push({ code: 'SIGNER_DELEGATE_NO_EKU', args: { signer: delegate.subject } });
  const validAtProduction = basic.producedAt >= delegate.notBefore && basic.producedAt <= delegate.notAfter;
  if (!validAtProduction) problems.push({ code: 'SIGNER_DELEGATE_NOT_VALID', args: { signer: delegate.subject, at: 'producedAt', ...validityText(delegate) } });
  return {
    signer: { role: 'delegate', subject: delegate.subject },
    problems,
    delegateWindow: validAtProduction ? { subject: delegate.subject, notBefore: delegate.notBefore, notAfter: delegate.notAfter } : null,
  };
}

function validityText(window: { readonly notBefore: number; readonly notAfter: number }): { notBefore: string; notAfter: string } {
  return { notBefore: new Date(window.notBefore).toISOString(), notAfter: new Date(window.notAfter).toISOString() };
}

/** The clock's part: a delegate valid when the response was produced must also be valid now. */
export function delegateNowProblem(window: StaticSignerVerdict['delegateWindow'], now: number): SignerProblem | null {
  if (!window || (now >= window.notBefore && now <= window.notAfter)) return null;
  return { code: 'SIGNER_DELEGATE_NOT_VALID', args: { signer: window.subject, at: 'now', ...validityText(window) } };
}
