import type { DecodedResponse, NoIssuerReason } from '../types.js';
import { findOurResponse, findUnknownHashResponse, matchCertId, type Subject } from './cert-id.js';
import type { Cert } from './certificate.js';
import { DecodeError, decodeOcspResponse, type ParsedResponse, type ParsedSingleResponse } from './decode.js';
import { checkFreshness, type FreshnessPolicy } from './freshness.js';
import { oidName, UNDERSTOOD_RESPONSE_EXTENSIONS, UNDERSTOOD_SINGLE_EXTENSIONS } from './oids.js';
import type { SignatureVerifier } from './signature.js';
import { sha256Hex } from './bytes.js';
import type { Problem } from './problem.js';
import { checkSignerStatic, delegateNowProblem, type StaticSignerVerdict } from './signer.js';

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

/**
 * Why no SingleResponse is ours: a CertID that may be ours under a hash this probe cannot compute is not
 * evidence of another certificate, so it gets its own finding; otherwise the response is for someone else.
 */
function noMatchProblem(responses: readonly ParsedSingleResponse[], subject: Subject): Problem {
  const unknownHash = findUnknownHashResponse(responses, subject);
  if (unknownHash) {
    const oid = unknownHash.certId.hashAlgorithmOid;
    return {
      code: 'STAPLE_CERTID_UNKNOWN_HASH',
      args: { hashAlgorithmOid: oid, hashAlgorithm: oidName(oid), serial: unknownHash.certId.serial },
    };
  }
  const first = responses[0];
  const firstMatch = first ? matchCertId(first.certId, subject) : null;
  return {
    code: 'STAPLE_CERTID_MISMATCH',
    args: {
      expectedSerial: subject.leaf?.serial ?? null,
      stapledSerials: responses
        .slice(0, 3)
        .map((r) => r.certId.serial)
        .join(', '),
      responses: responses.length,
      hashAlgorithm: first ? (oidName(first.certId.hashAlgorithmOid) ?? first.certId.hashAlgorithmOid) : null,
      mismatched: firstMatch?.match === 'none' ? firstMatch.mismatched.join(', ') : null,
    },
  };
}

/** Everything about one response for one certificate that does not depend on the clock. */
interface StaticJudgement {
  readonly decoded: DecodedResponse | null;
  readonly parsed: ParsedResponse | null;
  /** Problems before the freshness checks, and after them (the signer's), in report order. */
  readonly before: readonly Problem[];
  readonly after: readonly Problem[];
  readonly single: ParsedSingleResponse | null;
  /** The SingleResponse and producedAt the freshness checks need, when one is ours. */
  readonly fresh: { readonly single: ParsedSingleResponse; readonly producedAt: number } | null;
  readonly delegateWindow: StaticSignerVerdict['delegateWindow'];
  readonly signer: string | null;
}

async function judgeStatic(
  bytes: Uint8Array,
  leaf: Cert | null,
  issuer: Cert | null,
  noIssuer: NoIssuerReason,
  verifier: SignatureVerifier,
): Promise<StaticJudgement> {
  const alone = (decoded: DecodedResponse | null, parsed: ParsedResponse | null, before: Problem[]): StaticJudgement => ({
    decoded,
    parsed,
    before,
    after: [],
    single: null,
    fresh: null,
    delegateWindow: null,
    signer: null,
  });
  let parsed: ReturnType<typeof decodeOcspResponse>;
  try {
    parsed = decodeOcspResponse(bytes);
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    return alone(null, null, [{ code: 'STAPLE_MALFORMED', args: { reason: error.message, length: bytes.byteLength } }]);
  }
  const problems: Problem[] = [];
  if (parsed.trailingBytes > 0) problems.push({ code: 'STAPLE_TRAILING_DATA', args: { bytes: parsed.trailingBytes } });
  const { view, basic } = parsed;
  if (view.responseStatus !== 'successful') {
    problems.push({ code: 'STAPLE_ERROR_STATUS', args: { status: view.responseStatus, statusCode: view.responseStatusCode } });
    return alone(view, parsed, problems);
  }
  if (!basic) {
    problems.push({ code: 'STAPLE_UNSUPPORTED_TYPE', args: { responseType: view.responseType } });
    return alone(view, parsed, problems);
  }
  problems.push(...criticalExtensionProblems(basic.extensions, UNDERSTOOD_RESPONSE_EXTENSIONS, 'response'));

  // pkijs rejects an empty SEQUENCE OF SingleResponse at decode time, so an empty list never reaches here.
  const subject: Subject = { leaf, issuer };
  const ours = findOurResponse(basic.responses, subject);
  if (!ours) {
    problems.push(noMatchProblem(basic.responses, subject));
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
  }

  const after: Problem[] = [];
  let signer: string | null = null;
  let delegateWindow: StaticSignerVerdict['delegateWindow'] = null;
  if (!issuer) {
    after.push({ code: 'SIGNER_NOT_CHECKED', args: { reason: noIssuer } });
  } else {
    const verdict = await checkSignerStatic(basic, issuer, verifier);
    after.push(...verdict.problems);
    delegateWindow = verdict.delegateWindow;
    if (!verdict.problems.some((p) => p.code === 'SIGNER_BAD_SIGNATURE' || p.code === 'SIGNER_NOT_FOUND' || p.code === 'SIGNER_UNSUPPORTED_ALGORITHM')) {
      signer = verdict.signer?.subject ?? null;
    }
  }
  return {
    decoded: view,
    parsed,
    before: problems,
    after,
    single: ours?.response ?? null,
    fresh: ours ? { single: ours.response, producedAt: basic.producedAt } : null,
    delegateWindow,
    signer,
  };
}

/**
 * What judgeStatic found, per verifier (one per run): a run judges the same staple and the same live answer
 * for the same certificate on every handshake and target; only the clock's checks are redone each time. At
 * most 2,000 entries per verifier.
 */
const staticJudgements = new WeakMap<SignatureVerifier, Map<string, Promise<StaticJudgement>>>();

function judgeStaticOnce(
  bytes: Uint8Array,
  leaf: Cert | null,
  issuer: Cert | null,
  noIssuer: NoIssuerReason,
  verifier: SignatureVerifier,
): Promise<StaticJudgement> {
  let memo = staticJudgements.get(verifier);
  if (!memo) {
    memo = new Map();
    staticJudgements.set(verifier, memo);
  }
  const key = `${sha256Hex(bytes)}:${leaf?.sha256 ?? '-'}:${issuer?.sha256 ?? '-'}:${noIssuer}`;
  let hit = memo.get(key);
  if (!hit) {
    if (memo.size >= 2000) memo.clear();
    hit = judgeStatic(bytes, leaf, issuer, noIssuer, verifier);
    memo.set(key, hit);
  }
  return hit;
}

// Each judgement gets problems of its own (reports may be changed by whoever holds them).
const copy = <P extends Problem>(p: P): P => ({ ...p, args: { ...p.args } });

/** Judge one OCSP response for one certificate: structure, certID, status, freshness, signer. */
export async function judgeResponse(bytes: Uint8Array, leaf: Cert | null, issuer: Cert | null, noIssuer: NoIssuerReason, ctx: Context): Promise<Judged> {
  const known = await judgeStaticOnce(bytes, leaf, issuer, noIssuer, ctx.verifier);
  const fresh = known.fresh ? checkFreshness(known.fresh.single, known.fresh.producedAt, ctx.policy) : [];
  const late = delegateNowProblem(known.delegateWindow, ctx.now);
  return {
    decoded: known.decoded,
    parsed: known.parsed,
    problems: [...known.before.map(copy), ...fresh, ...known.after.map(copy), ...(late ? [late] : [])],
    single: known.single,
    signer: known.signer,
  };
}
