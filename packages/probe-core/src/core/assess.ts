import { DEFAULTS } from '../defaults.js';
import { FINDINGS, type FindingCode } from '../findings.js';
import type {
  CertificateReport,
  CrlReport,
  Evidence,
  Finding,
  InspectEvidence,
  NoIssuerReason,
  JudgeOptions,
  LiveReport,
  Location,
  ProbeEvidence,
  Report,
  Severity,
  TargetReport,
  Verdict,
} from '../types.js';
import { addressDisagreements } from './addresses.js';
import { sha256Hex } from './bytes.js';
import { certificateDisagreements } from './certificates.js';
import { judgeCrlBytes, parseCrl } from './crl.js';
import { chainProblems, issuerMismatchProblem } from './chain.js';
import { connectionProblems, resolveProblems } from './connection.js';
import type { Cert } from './certificate.js';
import { decodeOcspResponse, type ParsedSingleResponse, summarizeCert } from './decode.js';
import { chooseIssuer, givenIssuers, issuerForResponse } from './issuer.js';
import { type Context, judgeResponse } from './judge.js';
import { liveProblems } from './live.js';
import { missingStapleProblems, stapleSequenceOf, stapleSequenceProblems } from './presence.js';
import type { PlacedProblem, Problem } from './problem.js';
import { type CrlView, crlProblems } from './revocation.js';
import { serverOf } from './server.js';
import { SignatureVerifier } from './signature.js';
import { trustProblems } from './trust.js';
import { type AttemptView, buildProbeViews, certificateWhere, Certs, type CertificateView, type ProbeViews } from './views.js';

/** Options for `assess`: the clock and thresholds, plus caches that may be shared across calls. */
export interface AssessOptions extends JudgeOptions {
  /** Shared signature verifier (caches imported keys). One is made per call when absent. */
  readonly verifier?: SignatureVerifier;
}

const RANK: Record<Severity, number> = { info: 0, warn: 1, unknown: 2, critical: 3 };

/** The verdict for a set of findings: the worst severity, where critical outranks unknown outranks warn. */
export function verdictOf(findings: readonly { readonly severity: Severity }[]): Verdict {
  let worst: Severity = 'info';
  for (const f of findings) if (RANK[f.severity] > RANK[worst]) worst = f.severity;
  return worst === 'info' ? 'ok' : worst;
}

const STAPLING_PREFIXES = ['STAPLE_', 'SIGNER_', 'LIVE_', 'COMPARE_'];

/** Whether a finding code counts in the stapling verdict (`STAPLE_`, `SIGNER_`, `LIVE_`, `COMPARE_`). */
export function isStaplingCode(code: FindingCode): boolean {
  return STAPLING_PREFIXES.some((p) => code.startsWith(p));
}

/** The verdict over the stapling findings only, so that certificate and connection problems never hide it. */
export function staplingVerdictOf(findings: readonly Finding[]): Verdict {
  return verdictOf(findings.filter((f) => isStaplingCode(f.code)));
}

/** The worse of verdicts, in the verdict order (critical > unknown > warn > ok); ok for none. */
function worstVerdict(verdicts: readonly Verdict[]): Verdict {
  return verdictOf(verdicts.map((v) => ({ severity: v === 'ok' ? 'info' : v })));
}

function findingOf<C extends FindingCode>(problem: Problem<C>, where: Location[]): Finding<C> {
  return { code: problem.code, severity: FINDINGS[problem.code].severity, args: problem.args, where };
}

/** Accumulates findings, merging repeats of the same code and arguments into one finding seen in several places. */
class Findings {
  readonly #byKey = new Map<string, { problem: Problem; where: Location[] }>();

  add(problem: Problem, where: Location): void {
    const key = `${problem.code}|${JSON.stringify(problem.args)}`;
    const existing = this.#byKey.get(key);
    if (existing) {
      if (!existing.where.some((w) => JSON.stringify(w) === JSON.stringify(where))) existing.where.push(where);
    } else this.#byKey.set(key, { problem, where: [where] });
  }

  addPlaced(problems: readonly PlacedProblem[]): void {
    for (const p of problems) this.add(p, p.where);
  }

  list(): Finding[] {
    return [...this.#byKey.values()].map(({ problem, where }) => findingOf(problem, where)).sort((a, b) => RANK[b.severity] - RANK[a.severity]);
  }
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

/**
 * A CRL file judged offline for one certificate: `--cert`, or a stand-in for the serial given, issued by
 * `--issuer` (its distribution point unknown: an Issuing Distribution Point is taken to cover it).
 */
async function assessInspectCrl(evidence: InspectEvidence, ctx: Context, at: string): Promise<Report> {
  const findings = new Findings();
  const where: Location = { file: evidence.file };
  const certs = new Certs();
  let leaf = evidence.cert ? certs.of(evidence.cert, 'cert') : null;
  const given = certs.all(givenIssuers(evidence.issuer), 'issuer');
  // Of a chain file, the certificate that signed --cert; when none did, the first, as for a single file: the
  // CRL's own checks then say whose CRL it is.
  const issuer = (await givenIssuerFor(leaf, given, [], ctx)).issuer ?? given[0] ?? null;
  if (!leaf && issuer && evidence.serial) {
    let covers: string[] = [];
    try {
      const idp = parseCrl(evidence.response).issuingDistributionPoint?.distributionPoint;
      covers = idp?.kind === 'fullName' ? [...idp.uris] : [];
    } catch {
      // Bytes that are no CRL: judgeCrlBytes reports them.
    }
    leaf = { ...issuer, serial: evidence.serial, issuer: issuer.subject, issuerDer: issuer.subjectDer, isCA: false, crlUrls: covers };
  }
  for (const p of certs.problems) findings.add(p, where);
  if (leaf) {
    const judged = await judgeCrlBytes(evidence.response, { leaf, issuer, url: null, verifier: ctx.verifier, ...ctx.policy });
    for (const p of judged.problems) findings.add(p, where);
    if (judged.status === 'not-listed') {
      const nextUpdate = judged.nextUpdate === null ? null : new Date(judged.nextUpdate).toISOString();
      findings.add({ code: 'CRL_NOT_LISTED', args: { url: null, nextUpdate, entries: judged.entries ?? 0 } }, where);
    }
  }
  return inspectReport(findings.list(), evidence, at, []);
}

async function assessInspect(evidence: InspectEvidence, ctx: Context, at: string): Promise<Report> {
  if (evidence.format === 'crl') return assessInspectCrl(evidence, ctx, at);
  const findings = new Findings();
  const where: Location = { file: evidence.file };
  const certs = new Certs();
  const leaf = evidence.cert ? certs.of(evidence.cert, 'cert') : null;
  const given = certs.all(givenIssuers(evidence.issuer), 'issuer');
  const { issuer, mismatch } = await givenIssuerFor(leaf, given, singleResponsesOf(evidence.response), ctx);
  if (mismatch) certs.problems.push(mismatch);
  // Used only when no issuer was chosen: none given, none that parses, or none that signed --cert.
  const noIssuer: NoIssuerReason = givenIssuers(evidence.issuer).length === 0 ? 'no-issuer' : given.length === 0 ? 'issuer-unparseable' : 'issuer-mismatch';
  for (const p of certs.problems) findings.add(p, where);
  const judged = await judgeResponse(evidence.response, leaf, issuer, noIssuer, ctx);
  for (const p of judged.problems) findings.add(p, where);
  return inspectReport(findings.list(), evidence, at, [
    { sha256: sha256Hex(evidence.response), decoded: judged.decoded, der: Buffer.from(evidence.response).toString('base64') },
  ]);
}

/**
 * The issuer among the given certificates (`--issuer`, maybe a chain file) for an inspected file: the one
 * that signed `leaf` (else none, and the mismatch to report); without `leaf`, `issuerForResponse`'s choice.
 */
async function givenIssuerFor(
  leaf: Cert | null,
  given: readonly Cert[],
  responses: readonly ParsedSingleResponse[],
  ctx: Context,
): Promise<{ issuer: Cert | null; mismatch: Problem | null }> {
  if (given.length === 0) return { issuer: null, mismatch: null };
  if (!leaf) return { issuer: issuerForResponse(given, responses), mismatch: null };
  const choice = await chooseIssuer(leaf, [{ source: 'given', certs: given }], ctx.verifier);
  return { issuer: choice.issuer, mismatch: issuerMismatchProblem(choice, leaf) };
}

/** The SingleResponses of an OCSP response, or none when it does not decode (judging reports that). */
function singleResponsesOf(bytes: Uint8Array): readonly ParsedSingleResponse[] {
  try {
    return decodeOcspResponse(bytes).basic?.responses ?? [];
  } catch {
    return [];
  }
}

/** The report of an inspected file: its findings, no targets. */
function inspectReport(list: Finding[], evidence: InspectEvidence, at: string, staples: Report['staples']): Report {
  return {
    schemaVersion: 2,
    kind: 'inspect',
    at,
    verdict: verdictOf(list),
    staplingVerdict: staplingVerdictOf(list),
    findings: list,
    targets: [],
    server: evidence.server ?? null,
    staples,
  };
}

/**
 * Every rule family over the views, in report order: per address, each handshake's chain verdict and staple,
 * then its failed handshakes and the staple's presence over its handshakes; per certificate, its chain, the
 * live answer and what a missing staple means for it; then the addresses against each other.
 */
function probeFindings(evidence: ProbeEvidence, views: ProbeViews): Findings {
  const findings = new Findings();
  const targetWhere: Location = { target: evidence.target.input };
  findings.addPlaced(resolveProblems(evidence, targetWhere));
  for (const address of views.addresses) {
    for (const attempt of address.attempts) {
      const at: Location = views.several && attempt.certificate ? { ...address.where, ...certificateWhere(attempt.certificate.leaf) } : address.where;
      findings.addPlaced(trustProblems(attempt, evidence.target.servername, at));
      const where: Location = { ...at, tlsVersion: attempt.tlsVersion, attempt: attempt.attempt };
      for (const p of attempt.staple?.judged.problems ?? []) findings.add(p, where);
    }
    // An offer the server refuses only says it has no certificate of that kind.
    findings.addPlaced(connectionProblems({ ...address, attempts: address.attempts.filter((a) => a.offer === 'default') }));
    for (const served of address.certificates) {
      findings.addPlaced(stapleSequenceProblems(stapleSequenceOf(served), served.certificate.leaf.mustStaple, served.where));
    }
    findings.addPlaced(certificateDisagreements(address));
  }
  for (const certificate of views.certificates) {
    findings.addPlaced(chainProblems(certificate));
    findings.addPlaced(liveProblems(certificate, evidence.liveDisabled ?? false));
    findings.addPlaced(missingStapleProblems(certificate, views.addresses));
    findings.addPlaced(crlProblems(certificate, certificate.crls, views.addresses, evidence.crlDisabled ?? false));
  }
  findings.addPlaced(addressDisagreements(views.addresses, targetWhere));
  for (const p of views.unparseable) findings.add(p, targetWhere);
  return findings;
}

function attemptReport(a: AttemptView): TargetReport['addresses'][number]['attempts'][number] {
  const o = a.outcome;
  if (!o.ok)
    return {
      attempt: a.attempt,
      tlsVersion: a.tlsVersion,
      offer: a.offer,
      ok: false,
      protocol: null,
      cipher: null,
      error: o.error,
      staple: null,
      chain: [],
      durationMs: o.durationMs,
    };
  return {
    attempt: a.attempt,
    tlsVersion: a.tlsVersion,
    offer: a.offer,
    ok: true,
    protocol: o.protocol,
    cipher: o.cipher,
    error: null,
    staple: a.staple?.sha256 ?? null,
    chain: a.chain.map(summarizeCert),
    durationMs: o.durationMs,
  };
}

/**
 * Whether a finding is about `leaf`: a place names it, or no place names any certificate (it concerns all).
 * That the certificates disagree is about them together: each one's own findings say which is at fault.
 */
function concerns(finding: Finding, leaf: { readonly keyType: string; readonly serial: string }): boolean {
  if (finding.code === 'COMPARE_CERTIFICATES_DISAGREE') return false;
  const named = finding.where.filter((w) => w.serial !== undefined);
  return named.length === 0 || named.some((w) => w.serial === leaf.serial && w.keyType === leaf.keyType);
}

const isoOrNull = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function crlReport({ fetch, judged }: CrlView): CrlReport {
  const { exchange } = fetch;
  return {
    url: fetch.url,
    status: judged ? judged.status : 'unavailable',
    thisUpdate: isoOrNull(judged?.thisUpdate ?? null),
    nextUpdate: isoOrNull(judged?.nextUpdate ?? null),
    entries: judged?.entries ?? null,
    bytes: exchange.ok ? exchange.body.byteLength : null,
    durationMs: exchange.durationMs,
  };
}

function certificateReport(c: CertificateView, views: ProbeViews, findings: readonly Finding[]): CertificateReport {
  const served = views.addresses.flatMap((a) => a.certificates.filter((s) => s.certificate.leaf.sha256 === c.leaf.sha256));
  const attempts = served.flatMap((s) => s.attempts);
  const stapledCount = attempts.filter((a) => a.staple !== null).length;
  const offers = [...new Set(views.addresses.flatMap((a) => a.attempts.filter((t) => t.certificate?.leaf.sha256 === c.leaf.sha256).map((t) => t.offer)))];
  const own = findings.filter((f) => concerns(f, c.leaf));
  return {
    keyType: c.leaf.keyType,
    leaf: summarizeCert(c.leaf),
    issuer: c.choice.issuer ? summarizeCert(c.choice.issuer) : null,
    mustStaple: c.leaf.mustStaple,
    offers,
    stapled: stapledCount === 0 ? 'never' : stapledCount === attempts.length ? 'always' : 'sometimes',
    crls: c.crls.map(crlReport),
    verdict: verdictOf(own),
    staplingVerdict: staplingVerdictOf(own),
  };
}

async function assessProbe(evidence: ProbeEvidence, ctx: Context, at: string): Promise<Report> {
  const views = await buildProbeViews(evidence, ctx);
  const list = probeFindings(evidence, views).list();
  const verdict = verdictOf(list);
  // With no completed handshake nothing about stapling was seen: its verdict is unknown, never a vacuous ok
  // (the TLS_ findings that say why are left out of it, as ever).
  const observed = evidence.addresses.some((a) => a.attempts.some((t) => t.outcome.ok));
  const staplingVerdict = observed ? staplingVerdictOf(list) : worstVerdict([staplingVerdictOf(list), 'unknown']);
  const first = views.certificates[0] ?? null;
  const live = new Map<string, LiveReport>();
  for (const c of views.certificates) if (c.live) live.set(c.live.report.url + c.leaf.serial, c.live.report);
  const server = serverOf(evidence);
  return {
    schemaVersion: 2,
    kind: 'probe',
    at,
    verdict,
    staplingVerdict,
    findings: list,
    targets: [
      {
        target: evidence.target,
        verdict,
        staplingVerdict,
        leaf: first ? summarizeCert(first.leaf) : null,
        issuer: first?.choice.issuer ? summarizeCert(first.choice.issuer) : null,
        issuerSource: first?.choice.source ?? null,
        mustStaple: first?.leaf.mustStaple ?? false,
        server,
        starttls: evidence.starttls ?? null,
        implicitTls: evidence.implicitTls ?? null,
        live: [...live.values()],
        certificates: views.certificates.map((c) => certificateReport(c, views, list)),
        addresses: views.addresses.map((a) => ({ address: a.address, family: a.family, attempts: a.attempts.map(attemptReport) })),
      },
    ],
    server: server.name,
    staples: [...views.staples],
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
    schemaVersion: 2,
    kind: reports[0]?.kind ?? 'probe',
    at,
    verdict: verdictOf(findings),
    // Each report's own, not one over the merged findings: a target whose stapling could not be seen is unknown.
    staplingVerdict: worstVerdict(reports.map((r) => r.staplingVerdict)),
    findings,
    targets: reports.flatMap((r) => r.targets),
    server: reports.length === 1 ? (reports[0]?.server ?? null) : null,
    staples,
  };
}
