import type { FindingCode } from '../findings.js';
import type { DecodedResponse, Finding } from '../types.js';
import { findOurResponse, matchCertId } from './cert-id.js';
import type { Cert } from './certificate.js';
import { DecodeError, decodeOcspResponse, type ParsedResponse, type ParsedSingleResponse } from './decode.js';
import { checkFreshness, type FreshnessPolicy } from './freshness.js';
import { oidName, UNDERSTOOD_RESPONSE_EXTENSIONS, UNDERSTOOD_SINGLE_EXTENSIONS } from './oids.js';
import type { SignatureVerifier } from './signature.js';
import { checkSigner } from './signer.js';

export type Args = Finding['args'];

/** A finding before it has a place: what `assess` adds to the report with `where`. */
export interface Problem {
  readonly code: FindingCode;
  readonly args: Args;
}

/** One OCSP response judged for one certificate. */
export interface Judged {
  readonly decoded: DecodedResponse | null;
  readonly parsed: ParsedResponse | null;
  readonly problems: readonly Problem[];
  /** The SingleResponse for our certificate, when one matched. */
  readonly single: ParsedSingleResponse | null;
  /** Subject of the verified signer, when the signature checked out. */
  readonly signer: string | null;
}

export interface Context {
  readonly now: number;
  readonly policy: FreshnessPolicy;
  readonly verifier: SignatureVerifier;
}

function criticalExtensionProblems(
  extensions: readonly { oid: string; critical: boolean }[],
  understood: ReadonlySet<string>,
  scope: 'response' | 'single',
): Problem[] {
  return extensions
    .filter((e) => e.critical && !understood.has(e.oid))
    .map((e) => ({ code: 'STAPLE_UNKNOWN_CRITICAL_EXTENSION', args: { oid: e.oid, name: oidName(e.oid), scope } }));
}

/** Judge one OCSP response for one certificate: structure, certID, status, freshness, signer. */
export type NoIssuerReason = 'no-issuer' | 'issuer-not-found' | 'issuer-unparseable' | 'issuer-mismatch';

export async function judgeResponse(
  bytes: Uint8Array,
  leaf: Cert | null,
  issuer: Cert | null,
  noIssuer: NoIssuerReason,
  ctx: Context,
): Promise<Judged> {
  let parsed: ReturnType<typeof decodeOcspResponse>;
  try {
    parsed = decodeOcspResponse(bytes);
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    return { decoded: null, parsed: null, problems: [{ code: 'STAPLE_MALFORMED', args: { reason: error.message, length: bytes.byteLength } }], single: null, signer: null };
  }
  const problems: Problem[] = [];
  if (parsed.trailingBytes > 0) problems.push({ code: 'STAPLE_TRAILING_DATA', args: { bytes: parsed.trailingBytes } });
  const { view, basic } = parsed;
  if (view.responseStatus !== 'successful') {
    problems.push({ code: 'STAPLE_ERROR_STATUS', args: { status: view.responseStatus, statusCode: view.responseStatusCode } });
    return { decoded: view, parsed, problems, single: null, signer: null };
  }
  if (!basic) {
    problems.push({ code: 'STAPLE_UNSUPPORTED_TYPE', args: { responseType: view.responseType } });
    return { decoded: view, parsed, problems, single: null, signer: null };
  }
  problems.push(...criticalExtensionProblems(basic.extensions, UNDERSTOOD_RESPONSE_EXTENSIONS, 'response'));

  // pkijs rejects an empty SEQUENCE OF SingleResponse at decode time, so an empty list never reaches here.
  const ours = findOurResponse(basic.responses, { leaf, issuer });
  if (!ours) {
    const first = basic.responses[0];
    const firstMatch = first ? matchCertId(first.certId, { leaf, issuer }) : null;
    problems.push({
      code: 'STAPLE_CERTID_MISMATCH',
      args: {
        expectedSerial: leaf?.serial ?? null,
        stapledSerials: basic.responses
          .slice(0, 3)
          .map((r) => r.certId.serial)
          .join(', '),
        responses: basic.responses.length,
        hashAlgorithm: first ? (oidName(first.certId.hashAlgorithmOid) ?? first.certId.hashAlgorithmOid) : null,
        mismatched: firstMatch?.match === 'none' ? firstMatch.mismatched.join(', ') : null,
      },
    });
  } else {
    if (ours.match.match === 'partial') {
      problems.push({ code: 'STAPLE_CERTID_NOT_CHECKED', args: { unchecked: ours.match.unchecked.join(', ') } });
    }
    const single = ours.response;
    if (single.status === 'revoked') {
      problems.push({
        code: 'STAPLE_REVOKED',
        args: {
          revocationTime: single.view.revocationTime,
          revocationReason: single.revocationReason,
          serial: single.certId.serial,
        },
      });
    } else if (single.status === 'unknown') {
      problems.push({ code: 'STAPLE_STATUS_UNKNOWN', args: { serial: single.certId.serial } });
    }
    problems.push(...criticalExtensionProblems(single.extensions, UNDERSTOOD_SINGLE_EXTENSIONS, 'single'));
    problems.push(...checkFreshness(single, basic.producedAt, ctx.policy));
  }

  let signer: string | null = null;
  if (!issuer) {
    problems.push({ code: 'SIGNER_NOT_CHECKED', args: { reason: noIssuer } });
  } else {
    const verdict = await checkSigner(basic, issuer, ctx.now, ctx.verifier);
    problems.push(...verdict.problems);
    if (!verdict.problems.some((p) => p.code === 'SIGNER_BAD_SIGNATURE' || p.code === 'SIGNER_NOT_FOUND' || p.code === 'SIGNER_UNSUPPORTED_ALGORITHM')) {
      signer = verdict.signer?.subject ?? null;
    }
  }
  return { decoded: view, parsed, problems, single: ours?.response ?? null, signer };
}

