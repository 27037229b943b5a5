import { FINDINGS, type FindingCode } from '../findings.js';
import type {
  CertSummary,
  DecodedResponse,
  Evidence,
  Finding,
  InspectEvidence,
  JudgeOptions,
  Location,
  ProbeEvidence,
  Report,
  Severity,
  TargetReport,
  TlsFailure,
  TlsVersion,
  Verdict,
} from '../types.js';
import { equalBytes, sha256Hex } from './bytes.js';
import { findOurResponse, matchCertId } from './cert-id.js';
import { type Cert, parseCertificate } from './certificate.js';
import { DecodeError, decodeOcspResponse, summarizeCert } from './decode.js';
import { checkFreshness, type FreshnessPolicy } from './freshness.js';
import { oidName, UNDERSTOOD_RESPONSE_EXTENSIONS, UNDERSTOOD_SINGLE_EXTENSIONS } from './oids.js';
import { SignatureVerifier } from './signature.js';
import { checkSigner } from './signer.js';

type Args = Finding['args'];
interface Problem {
  readonly code: FindingCode;
  readonly args: Args;
}

/** Options for `assess`: the clock and thresholds, plus caches that may be shared across calls. */
export interface AssessOptions extends JudgeOptions {
  /** Shared signature verifier (caches imported keys). One is made per call when absent. */
  readonly verifier?: SignatureVerifier;
}

const DEFAULTS = { skewSeconds: 300, warnRemainingSeconds: 2 * 86400, critRemainingSeconds: 0 };

const RANK: Record<Severity, number> = { info: 0, warn: 1, unknown: 2, critical: 3 };

/** The verdict for a set of findings: the worst severity, where critical outranks unknown outranks warn. */
export function verdictOf(findings: readonly { readonly severity: Severity }[]): Verdict {
  let worst: Severity = 'info';
  for (const f of findings) if (RANK[f.severity] > RANK[worst]) worst = f.severity;
  return worst === 'info' ? 'ok' : worst;
}

/** Accumulates findings, merging repeats of the same code and arguments into one finding seen in several places. */
class Findings {
  readonly #byKey = new Map<string, { code: FindingCode; args: Args; where: Location[] }>();

  add(problem: Problem, where: Location): void {
    const key = `${problem.code}|${JSON.stringify(problem.args)}`;
    const existing = this.#byKey.get(key);
    if (existing) existing.where.push(where);
    else this.#byKey.set(key, { code: problem.code, args: problem.args, where: [where] });
  }

  list(): Finding[] {
    return [...this.#byKey.values()]
      .map((f) => ({ code: f.code, severity: FINDINGS[f.code].severity, args: f.args, where: f.where }))
      .sort((a, b) => RANK[b.severity] - RANK[a.severity]);
  }
}

interface Judged {
  readonly decoded: DecodedResponse | null;
  readonly problems: readonly Problem[];
}

interface Context {
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
type NoIssuerReason = 'no-issuer' | 'issuer-not-found' | 'issuer-unparseable' | 'issuer-mismatch';

async function judgeResponse(
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
    return { decoded: null, problems: [{ code: 'STAPLE_MALFORMED', args: { reason: error.message, length: bytes.byteLength } }] };
  }
  const problems: Problem[] = [];
  if (parsed.trailingBytes > 0) problems.push({ code: 'STAPLE_TRAILING_DATA', args: { bytes: parsed.trailingBytes } });
  const { view, basic } = parsed;
  if (view.responseStatus !== 'successful') {
    problems.push({ code: 'STAPLE_ERROR_STATUS', args: { status: view.responseStatus, statusCode: view.responseStatusCode } });
    return { decoded: view, problems };
  }
  if (!basic) {
    problems.push({ code: 'STAPLE_UNSUPPORTED_TYPE', args: { responseType: view.responseType } });
    return { decoded: view, problems };
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

  if (!issuer) {
    problems.push({ code: 'SIGNER_NOT_CHECKED', args: { reason: noIssuer } });
  } else {
    const verdict = await checkSigner(basic, issuer, ctx.now, ctx.verifier);
    problems.push(...verdict.problems);
  }
  return { decoded: view, problems };
}

function tryParse(der: Uint8Array, role: string, problems: Problem[]): Cert | null {
  try {
    return parseCertificate(der);
  } catch (error) {
    problems.push({ code: 'CERT_UNPARSEABLE', args: { role, reason: error instanceof Error ? error.message : String(error) } });
    return null;
  }
}

function failureCode(error: TlsFailure): FindingCode {
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

/** Did `issuer` sign `leaf`? The name must match and the issuer's key must verify the leaf's signature. */
async function signedBy(leaf: Cert, issuer: Cert, verifier: SignatureVerifier): Promise<boolean> {
  if (!equalBytes(leaf.issuerDer, issuer.subjectDer)) return false;
  const result = await verifier.verify(leaf.signatureAlgorithm, issuer.spki, leaf.tbs, leaf.signature);
  return result.result === 'valid';
}

/**
 * The issuer to verify staples against. A certificate given by the operator, else the first known one that
 * signed the leaf. A candidate that did not sign the leaf is never used: a same-named CA with another key
 * would turn a chain problem into a false "bad signature", or a forged staple into a false ok.
 */
async function chooseIssuer(
  leaf: Cert | null,
  given: Cert | null,
  candidates: readonly Cert[],
  verifier: SignatureVerifier,
): Promise<{ issuer: Cert | null; problem: Problem | null }> {
  if (!leaf) return { issuer: given, problem: null };
  if (given) {
    if (await signedBy(leaf, given, verifier)) return { issuer: given, problem: null };
    return { issuer: null, problem: { code: 'CERT_ISSUER_MISMATCH', args: { issuer: given.subject, leafIssuer: leaf.issuer, source: 'given' } } };
  }
  const named = candidates.filter((c) => c !== leaf && equalBytes(c.subjectDer, leaf.issuerDer));
  for (const candidate of named) if (await signedBy(leaf, candidate, verifier)) return { issuer: candidate, problem: null };
  const first = named[0];
  if (first) return { issuer: null, problem: { code: 'CERT_ISSUER_MISMATCH', args: { issuer: first.subject, leafIssuer: leaf.issuer, source: 'served' } } };
  return { issuer: null, problem: null };
}

function makeContext(options: AssessOptions): Context {
  const now = options.now.getTime();
  if (!Number.isFinite(now)) throw new TypeError('assess: options.now is not a valid Date');
  return {
    now,
    verifier: options.verifier ?? new SignatureVerifier(),
    policy: {
      now,
      skewMs: (options.skewSeconds ?? DEFAULTS.skewSeconds) * 1000,
      warnRemainingMs: (options.warnRemainingSeconds ?? DEFAULTS.warnRemainingSeconds) * 1000,
      critRemainingMs: (options.critRemainingSeconds ?? DEFAULTS.critRemainingSeconds) * 1000,
    },
  };
}

async function assessInspect(evidence: InspectEvidence, ctx: Context, at: string): Promise<Report> {
  const findings = new Findings();
  const where: Location = { file: evidence.file };
  const certProblems: Problem[] = [];
  const leaf = evidence.cert ? tryParse(evidence.cert, 'cert', certProblems) : null;
  const given = evidence.issuer ? tryParse(evidence.issuer, 'issuer', certProblems) : null;
  const { issuer, problem } = await chooseIssuer(leaf, given, [], ctx.verifier);
  if (problem) certProblems.push(problem);
  for (const p of certProblems) findings.add(p, where);
  const noIssuer: NoIssuerReason = problem ? 'issuer-mismatch' : evidence.issuer ? 'issuer-unparseable' : 'no-issuer';
  const judged = await judgeResponse(evidence.response, leaf, issuer, noIssuer, ctx);
  for (const p of judged.problems) findings.add(p, where);
  const list = findings.list();
  return {
    schemaVersion: 1,
    kind: 'inspect',
    at,
    verdict: verdictOf(list),
    findings: list,
    targets: [],
    staples: [{ sha256: sha256Hex(evidence.response), decoded: judged.decoded }],
  };
}

async function assessProbe(evidence: ProbeEvidence, ctx: Context, at: string): Promise<Report> {
  const findings = new Findings();
  const target = evidence.target.input;
  if (evidence.resolveError) findings.add({ code: 'TLS_RESOLVE_FAILED', args: { message: evidence.resolveError.message } }, { target });

  const certCache = new Map<string, Cert | null>();
  const certProblems: Problem[] = [];
  const certOf = (der: Uint8Array, role: string): Cert | null => {
    const key = sha256Hex(der);
    if (!certCache.has(key)) certCache.set(key, tryParse(der, role, certProblems));
    return certCache.get(key) ?? null;
  };

  // The leaf and chain come from the first successful handshake; later issues compare them across addresses.
  const firstOk = evidence.addresses.flatMap((a) => a.attempts).find((a) => a.outcome.ok);
  const chain = firstOk?.outcome.ok ? firstOk.outcome.chain.map((der, i) => certOf(der, i === 0 ? 'leaf' : 'chain')) : [];
  const leaf = chain[0] ?? null;
  const extra = (evidence.extraCerts ?? []).map((der) => certOf(der, 'ca-file'));
  const known = [...chain, ...extra].filter((c): c is Cert => c !== null);
  const given = evidence.issuer ? certOf(evidence.issuer, 'issuer') : null;
  const { issuer, problem: issuerProblem } = await chooseIssuer(leaf, given, known, ctx.verifier);
  if (issuerProblem) certProblems.push(issuerProblem);
  const noIssuer: NoIssuerReason = issuerProblem ? 'issuer-mismatch' : evidence.issuer ? 'issuer-unparseable' : 'issuer-not-found';
  for (const p of certProblems) findings.add(p, { target });
  if (leaf?.mustStaple) findings.add({ code: 'CERT_MUST_STAPLE', args: {} }, { target });

  const judgedCache = new Map<string, Promise<Judged>>();
  const staples: { sha256: string; decoded: DecodedResponse | null }[] = [];
  const targetAddresses: TargetReport['addresses'][number][] = [];
  let okAttempts = 0;
  let stapledAttempts = 0;

  for (const address of evidence.addresses) {
    const base: Location = { target, address: address.address };
    const versionsTried = new Set<TlsVersion>();
    const versionFailures = new Map<TlsVersion, { total: number; version: number; failures: TlsFailure[] }>();
    const sequence: { tlsVersion: TlsVersion; attempt: number; stapled: boolean }[] = [];
    const attemptsOut: TargetReport['addresses'][number]['attempts'][number][] = [];

    for (const attempt of address.attempts) {
      const where: Location = { ...base, tlsVersion: attempt.tlsVersion, attempt: attempt.attempt };
      versionsTried.add(attempt.tlsVersion);
      const stats = versionFailures.get(attempt.tlsVersion) ?? { total: 0, version: 0, failures: [] };
      stats.total++;
      versionFailures.set(attempt.tlsVersion, stats);
      const outcome = attempt.outcome;
      if (!outcome.ok) {
        if (outcome.error.kind === 'version') stats.version++;
        stats.failures.push(outcome.error);
        attemptsOut.push({
          attempt: attempt.attempt,
          tlsVersion: attempt.tlsVersion,
          ok: false,
          protocol: null,
          cipher: null,
          error: outcome.error,
          staple: null,
          chain: [],
          durationMs: outcome.durationMs,
        });
        continue;
      }
      okAttempts++;
      const servedChain: CertSummary[] = [];
      for (const der of outcome.chain) {
        const c = certOf(der, 'chain');
        if (c) servedChain.push(summarizeCert(c));
      }
      let stapleHash: string | null = null;
      if (outcome.staple) {
        stapledAttempts++;
        stapleHash = sha256Hex(outcome.staple);
        let judged = judgedCache.get(stapleHash);
        if (!judged) {
          judged = judgeResponse(outcome.staple, leaf, issuer, noIssuer, ctx);
          judgedCache.set(stapleHash, judged);
          staples.push({ sha256: stapleHash, decoded: (await judged).decoded });
        }
        for (const p of (await judged).problems) findings.add(p, where);
      }
      sequence.push({ tlsVersion: attempt.tlsVersion, attempt: attempt.attempt, stapled: outcome.staple !== null });
      attemptsOut.push({
        attempt: attempt.attempt,
        tlsVersion: attempt.tlsVersion,
        ok: true,
        protocol: outcome.protocol,
        cipher: outcome.cipher,
        error: null,
        staple: stapleHash,
        chain: servedChain,
        durationMs: outcome.durationMs,
      });
    }
    for (const p of certProblems.splice(0)) findings.add(p, base);

    // Connection failures. A version refused while another works is a fact about the server, not a failure.
    const anyOk = sequence.length > 0;
    for (const [tlsVersion, stats] of versionFailures) {
      if (stats.failures.length === 0) continue;
      const allVersionRefusals = stats.version === stats.total;
      for (const failure of stats.failures) {
        const where: Location = { ...base, tlsVersion };
        if (anyOk && allVersionRefusals) findings.add({ code: 'TLS_VERSION_UNSUPPORTED', args: { tlsVersion } }, where);
        else findings.add({ code: failureCode(failure), args: { message: failure.message } }, where);
      }
    }

    // Presence of the staple over the ordered attempts of this address.
    if (anyOk) {
      const byVersion = new Map<TlsVersion, boolean>();
      for (const s of sequence) byVersion.set(s.tlsVersion, (byVersion.get(s.tlsVersion) ?? false) || s.stapled);
      const stapledSomewhere = [...byVersion.values()].some(Boolean);
      if (stapledSomewhere) {
        for (const [tlsVersion, stapled] of byVersion) {
          if (!stapled) findings.add({ code: 'STAPLE_MISSING_ON_VERSION', args: { tlsVersion } }, { ...base, tlsVersion });
        }
        const relevant = sequence.filter((s) => byVersion.get(s.tlsVersion));
        const first = relevant.findIndex((s) => s.stapled);
        const firstStapled = relevant[first];
        if (first > 0 && firstStapled) {
          findings.add(
            { code: leaf?.mustStaple ? 'STAPLE_LAZY_MUST_STAPLE' : 'STAPLE_LAZY', args: { handshakesWithout: first } },
            { ...base, tlsVersion: firstStapled.tlsVersion, attempt: firstStapled.attempt },
          );
        }
        const dropped = relevant.slice(first + 1).find((s) => !s.stapled);
        if (dropped) findings.add({ code: 'STAPLE_INTERMITTENT', args: {} }, { ...base, tlsVersion: dropped.tlsVersion, attempt: dropped.attempt });
      }
    }
    targetAddresses.push({ address: address.address, family: address.family, attempts: attemptsOut });
  }

  if (okAttempts > 0 && stapledAttempts === 0) {
    const code: FindingCode = leaf?.mustStaple ? 'STAPLE_MISSING_MUST_STAPLE' : 'STAPLE_MISSING';
    for (const a of targetAddresses) if (a.attempts.some((x) => x.ok)) findings.add({ code, args: {} }, { target, address: a.address });
  }
  if (evidence.addresses.length === 0 && !evidence.resolveError) {
    findings.add({ code: 'TLS_RESOLVE_FAILED', args: { message: 'no address to probe' } }, { target });
  }

  const list = findings.list();
  const verdict = verdictOf(list);
  return {
    schemaVersion: 1,
    kind: 'probe',
    at,
    verdict,
    findings: list,
    targets: [
      {
        target: evidence.target,
        verdict,
        leaf: leaf ? summarizeCert(leaf) : null,
        issuer: issuer ? summarizeCert(issuer) : null,
        mustStaple: leaf?.mustStaple ?? false,
        addresses: targetAddresses,
      },
    ],
    staples,
  };
}

/**
 * Judge gathered evidence at the instant `options.now`. Pure apart from CPU: no I/O, no clock.
 * Always returns a report; malformed input becomes findings.
 */
export async function assess(evidence: Evidence, options: AssessOptions): Promise<Report> {
  const ctx = makeContext(options);
  const at = options.now.toISOString();
  return evidence.kind === 'inspect' ? assessInspect(evidence, ctx, at) : assessProbe(evidence, ctx, at);
}

/** Merge the reports of several targets into one: findings concatenated, verdict the worst. */
export function mergeReports(reports: readonly Report[], at: string): Report {
  const findings = reports.flatMap((r) => r.findings);
  const seen = new Set<string>();
  const staples = reports.flatMap((r) => r.staples).filter((s) => (seen.has(s.sha256) ? false : (seen.add(s.sha256), true)));
  return {
    schemaVersion: 1,
    kind: reports[0]?.kind ?? 'probe',
    at,
    verdict: verdictOf(findings),
    findings,
    targets: reports.flatMap((r) => r.targets),
    staples,
  };
}
