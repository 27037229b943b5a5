import { equalBytes } from './bytes.js';
import { type Cert, keyHash } from './certificate.js';
import type { ParsedBasic } from './decode.js';
import { oidName, OID } from './oids.js';
import type { SignatureVerifier } from './signature.js';

/** One problem with who signed the response; codes match the catalogue. */
export type SignerProblem =
  | { readonly code: 'SIGNER_NOT_FOUND'; readonly args: { readonly embeddedCerts: number } }
  | { readonly code: 'SIGNER_BAD_SIGNATURE'; readonly args: { readonly signer: string; readonly algorithm: string } }
  | { readonly code: 'SIGNER_UNSUPPORTED_ALGORITHM'; readonly args: { readonly algorithm: string } }
  | { readonly code: 'SIGNER_RESPONDER_ID_MISMATCH'; readonly args: { readonly signer: string } }
  | { readonly code: 'SIGNER_DELEGATE_NO_EKU'; readonly args: { readonly signer: string } }
  | { readonly code: 'SIGNER_DELEGATE_FOREIGN'; readonly args: { readonly signer: string; readonly signerIssuer: string; readonly issuer: string } }
  | { readonly code: 'SIGNER_DELEGATE_BAD_CERT_SIGNATURE'; readonly args: { readonly signer: string } }
  | {
      readonly code: 'SIGNER_DELEGATE_NOT_VALID';
      readonly args: { readonly signer: string; readonly at: 'producedAt' | 'now'; readonly notBefore: string; readonly notAfter: string };
    };

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

/**
 * Check the signature and the responder's authority (RFC 6960 §4.2.2.2): the signer must be the issuer,
 * or a certificate issued directly by the issuer that carries id-kp-OCSPSigning and was valid when the
 * response was produced. The ResponderID must name the signer (§4.2.2.3).
 */
export async function checkSigner(basic: ParsedBasic, issuer: Cert, now: number, verifier: SignatureVerifier): Promise<SignerVerdict> {
  const embedded = basic.certs.filter((c): c is Cert => c !== null);
  const candidates = [issuer, ...embedded];
  const problems: SignerProblem[] = [];
  const algorithm = oidName(basic.signatureAlgorithm.oid) ?? basic.signatureAlgorithm.oid;

  let signer = candidates.find((c) => matchesResponderId(c, basic.responderId)) ?? null;
  if (signer) {
    const result = await verifier.verify(basic.signatureAlgorithm, signer.spki, basic.tbs, basic.signature);
    if (result.result === 'unsupported') return { signer: null, problems: [{ code: 'SIGNER_UNSUPPORTED_ALGORITHM', args: { algorithm } }] };
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
    if (!signer && unsupported === candidates.length) {
      return { signer: null, problems: [{ code: 'SIGNER_UNSUPPORTED_ALGORITHM', args: { algorithm } }] };
    }
    if (!signer) return { signer: null, problems: [{ code: 'SIGNER_NOT_FOUND', args: { embeddedCerts: basic.certs.length } }] };
  }

  if (sameCert(signer, issuer)) return { signer: { role: 'issuer', subject: signer.subject }, problems };

  const delegate = signer;
  if (!equalBytes(delegate.issuerDer, issuer.subjectDer)) {
    problems.push({ code: 'SIGNER_DELEGATE_FOREIGN', args: { signer: delegate.subject, signerIssuer: delegate.issuer, issuer: issuer.subject } });
  } else {
    const certSig = await verifier.verify(delegate.signatureAlgorithm, issuer.spki, delegate.tbs, delegate.signature);
    if (certSig.result !== 'valid') problems.push({ code: 'SIGNER_DELEGATE_BAD_CERT_SIGNATURE', args: { signer: delegate.subject } });
  }
  if (!delegate.ekus.includes(OID.kpOcspSigning)) problems.push({ code: 'SIGNER_DELEGATE_NO_EKU', args: { signer: delegate.subject } });
  const validity = { notBefore: new Date(delegate.notBefore).toISOString(), notAfter: new Date(delegate.notAfter).toISOString() };
  const validAt = (t: number) => t >= delegate.notBefore && t <= delegate.notAfter;
  if (!validAt(basic.producedAt)) problems.push({ code: 'SIGNER_DELEGATE_NOT_VALID', args: { signer: delegate.subject, at: 'producedAt', ...validity } });
  else if (!validAt(now)) problems.push({ code: 'SIGNER_DELEGATE_NOT_VALID', args: { signer: delegate.subject, at: 'now', ...validity } });
  return { signer: { role: 'delegate', subject: delegate.subject }, problems };
}
