import { renderMessage } from '../message.js';
import type { LiveEvidence, LiveReport } from '../types.js';
import { toHex } from './bytes.js';
import type { Cert } from './certificate.js';
import { type Context, type Judged, judgeResponse } from './judge.js';
import { OID } from './oids.js';
import { type PlacedProblem, placed, type Problem } from './problem.js';
import type { CertificateView } from './views.js';

export interface LiveJudged {
  readonly problems: readonly Problem[];
  /** The judged answer, set only when it is a valid OCSP response whose status can be trusted. */
  readonly valid: Judged | null;
  readonly report: LiveReport;
}

/** Problems of a staple that do not make a live answer wrong: thresholds are for what servers staple. */
const NOT_LIVE_PROBLEMS = new Set(['STAPLE_EXPIRING', 'STAPLE_EXPIRING_CRITICAL', 'STAPLE_CERTID_NOT_CHECKED', 'STAPLE_REVOKED', 'STAPLE_STATUS_UNKNOWN']);

function nonceMatches(sent: Uint8Array, valueHex: string): boolean {
  const raw = toHex(sent);
  // RFC 8954 §2.1: the extension value is an OCTET STRING holding the nonce; some responders echo it bare.
  const wrapped = `04${sent.byteLength.toString(16).padStart(2, '0')}${raw}`;
  return valueHex === raw || valueHex === wrapped;
}

/**
 * Judge the CA's live answer exactly as a staple is judged (signature, authority, certID, freshness), and
 * tell apart every way the exchange can fail: each is its own finding, and none of those is critical, since
 * clients see the staple, not the responder. Only a valid answer saying "revoked" is critical.
 */
export async function judgeLive(live: LiveEvidence, leaf: Cert, issuer: Cert, ctx: Context): Promise<LiveJudged> {
  const judged = await judgeExchange(live, leaf, issuer, ctx);
  const ex = live.exchange;
  // A redirect that was followed is a fact about the URL, not a fault of the answer: it does not make the answer
  // invalid, but servers that fetch for stapling do not follow it.
  if (!ex.ok || ex.redirects === 0) return judged;
  return {
    ...judged,
    problems: [
      { code: 'LIVE_REDIRECTED', args: { url: live.ocspUrl, redirects: ex.redirects, finalUrl: redirectedResponder(live.ocspUrl, ex.url, ex.finalUrl) } },
      ...judged.problems,
    ],
  };
}

/**
 * What the live answer for a served certificate says, seen at its responder URL; or, when the responder
 * was not asked because the issuer (needed to build the request) was found nowhere, that it was not.
 */
export function liveProblems(certificate: CertificateView, liveDisabled: boolean): PlacedProblem[] {
  const { leaf, live, choice, where } = certificate;
  if (live) return live.problems.map((p) => placed(p, { ...where, url: live.report.url }));
  if (!liveDisabled && leaf.ocspUrls.length > 0 && !choice.issuer) return [placed({ code: 'LIVE_NOT_QUERIED', args: { reason: 'no-issuer' } }, where)];
  return [];
}

/**
 * Where the redirect led, as a responder URL a server can be pointed at: a GET carries the request in its path
 * (RFC 6960 A.1: the OCSP URL, a slash, the URL-encoded base64 request), and when the final URL still ends with
 * that path, it is cut off. Otherwise the final URL as it was.
 */
function redirectedResponder(ocspUrl: string, requestUrl: string, finalUrl: string): string {
  const base = ocspUrl.replace(/\/+$/, '');
  if (!requestUrl.startsWith(`${base}/`)) return finalUrl;
  const request = requestUrl.slice(base.length);
  return finalUrl.endsWith(request) && finalUrl.length > request.length ? finalUrl.slice(0, -request.length) : finalUrl;
}

async function judgeExchange(live: LiveEvidence, leaf: Cert, issuer: Cert, ctx: Context): Promise<LiveJudged> {
  const url = live.ocspUrl;
  const ex = live.exchange;
  const base = {
    leafSerial: leaf.serial,
    url,
    method: ex.method,
    durationMs: ex.durationMs,
    redirects: ex.redirects,
  };
  const report = (over: Partial<LiveReport>): LiveReport => ({
    ...base,
    httpStatus: null,
    contentType: null,
    error: null,
    response: null,
    certStatus: null,
    thisUpdate: null,
    nextUpdate: null,
    signer: null,
    valid: false,
    ...over,
  });
  if (!ex.ok) {
    const { kind, message } = ex.error;
    const code =
      kind === 'timeout'
        ? 'LIVE_TIMEOUT'
        : kind === 'too-large'
          ? 'LIVE_TOO_LARGE'
          : kind === 'too-many-redirects' || kind === 'bad-redirect' || (kind === 'bad-scheme' && ex.redirects > 0)
            ? 'LIVE_REDIRECT_REFUSED'
            : 'LIVE_UNREACHABLE';
    return { problems: [{ code, args: { url, message } }], valid: null, report: report({ error: ex.error }) };
  }
  const http = { httpStatus: ex.status, contentType: ex.contentType };
  if (ex.status !== 200) {
    return { problems: [{ code: 'LIVE_HTTP_ERROR', args: { url, status: ex.status } }], valid: null, report: report(http) };
  }
  const judged = await judgeResponse(ex.body, leaf, issuer, 'issuer-not-found', ctx);
  const problems: Problem[] = [];
  const malformed = judged.problems.find((p) => p.code === 'STAPLE_MALFORMED');
  if (malformed) {
    const ocspType = /application\/ocsp-response/i.test(ex.contentType ?? '');
    problems.push(
      ocspType
        ? { code: 'LIVE_MALFORMED', args: { url, reason: malformed.args.reason, length: ex.body.byteLength } }
        : { code: 'LIVE_NOT_OCSP', args: { url, contentType: ex.contentType, length: ex.body.byteLength } },
    );
    return { problems, valid: null, report: report(http) };
  }
  const errorStatus = judged.problems.find((p) => p.code === 'STAPLE_ERROR_STATUS');
  if (errorStatus) {
    problems.push({ code: 'LIVE_ERROR_STATUS', args: { url, status: errorStatus.args.status, statusCode: errorStatus.args.statusCode } });
    return { problems, valid: null, report: report({ ...http, response: judged.decoded }) };
  }
  for (const p of judged.problems) {
    if (!NOT_LIVE_PROBLEMS.has(p.code)) {
      problems.push({ code: 'LIVE_INVALID', args: { url, problem: p.code, message: renderMessage(p).replace(/^the staple\b/, 'the answer') } });
    }
  }
  if (live.nonce) {
    const echoed = judged.decoded?.basic?.extensions.find((e) => e.oid === OID.ocspNonce);
    if (echoed && !nonceMatches(live.nonce, echoed.valueHex)) problems.push({ code: 'LIVE_NONCE_MISMATCH', args: { url } });
  }
  const single = judged.single;
  const valid = problems.length === 0 && single !== null;
  if (valid && single.status === 'revoked') {
    problems.push({
      code: 'LIVE_REVOKED',
      args: { url, serial: single.certId.serial, revocationTime: single.view.revocationTime, revocationReason: single.revocationReason },
    });
  } else if (valid && single.status === 'unknown') {
    problems.push({ code: 'LIVE_STATUS_UNKNOWN', args: { url, serial: single.certId.serial } });
  }
  return {
    problems,
    valid: valid ? judged : null,
    report: report({
      ...http,
      response: judged.decoded,
      certStatus: valid ? single.status : null,
      thisUpdate: valid ? single.view.thisUpdate : null,
      nextUpdate: valid ? single.view.nextUpdate : null,
      signer: judged.signer,
      valid,
    }),
  };
}
