import { DEFAULTS } from '../defaults.js';
import { FINDINGS, type FindingCode, type ServerName } from '../findings.js';
import type {
  HttpExchange,
  AttemptEvidence,
  DecodedResponse,
  Evidence,
  Finding,
  InspectEvidence,
  JudgeOptions,
  LiveReport,
  Location,
  ProbeEvidence,
  Report,
  Severity,
  TargetReport,
  TlsFailure,
  TlsVersion,
  Verdict,
} from '../types.js';
import { sha256Hex } from './bytes.js';
import { type Cert, parseCertificate } from './certificate.js';
import { compareStapleWithLive } from './compare.js';
import { summarizeCert } from './decode.js';
import { certificatesFromIssuerBody, chooseIssuer, type IssuerChoice, type IssuerSource } from './issuer.js';
import { type Args, type Context, type Judged, judgeResponse, type NoIssuerReason, type Problem } from './judge.js';
import { judgeLive, type LiveJudged } from './live.js';
import { SignatureVerifier } from './signature.js';

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

/** The verdict over the stapling findings only, so that certificate and connection problems never hide it. */
export function staplingVerdictOf(findings: readonly Finding[]): Verdict {
  return verdictOf(findings.filter((f) => STAPLING_PREFIXES.some((p) => f.code.startsWith(p))));
}

/** The worse of verdicts, in the verdict order (critical > unknown > warn > ok); ok for none. */
function worstVerdict(verdicts: readonly Verdict[]): Verdict {
  return verdictOf(verdicts.map((v) => ({ severity: v === 'ok' ? 'info' : v })));
}

/** Accumulates findings, merging repeats of the same code and arguments into one finding seen in several places. */
class Findings {
  readonly #byKey = new Map<string, { code: FindingCode; args: Args; where: Location[] }>();

  add(problem: Problem, where: Location): void {
    const key = `${problem.code}|${JSON.stringify(problem.args)}`;
    const existing = this.#byKey.get(key);
    if (existing) {
      if (!existing.where.some((w) => JSON.stringify(w) === JSON.stringify(where))) existing.where.push(where);
    } else this.#byKey.set(key, { code: problem.code, args: problem.args, where: [where] });
  }

  list(): Finding[] {
    return [...this.#byKey.values()]
      .map((f) => ({ code: f.code, severity: FINDINGS[f.code].severity, args: f.args, where: f.where }))
      .sort((a, b) => RANK[b.severity] - RANK[a.severity]);
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

/** Parses certificates once per run, remembering which would not parse. */
class Certs {
  readonly #cache = new Map<string, Cert | null>();
  readonly problems: Problem[] = [];

  of(der: Uint8Array, role: string): Cert | null {
    const key = sha256Hex(der);
    if (!this.#cache.has(key)) {
      try {
        this.#cache.set(key, parseCertificate(der));
      } catch (error) {
        this.#cache.set(key, null);
        this.problems.push({ code: 'CERT_UNPARSEABLE', args: { role, reason: error instanceof Error ? error.message : String(error) } });
      }
    }
    return this.#cache.get(key) ?? null;
  }

  all(ders: readonly Uint8Array[], role: string): Cert[] {
    return ders.map((d) => this.of(d, role)).filter((c): c is Cert => c !== null);
  }
}

function mismatchProblem(choice: IssuerChoice, leaf: Cert): Problem | null {
  if (!choice.rejected) return null;
  return {
    code: 'CERT_ISSUER_MISMATCH',
    args: { issuer: choice.rejected.subject, leafIssuer: leaf.issuer, source: choice.rejected.source === 'given' ? 'given' : 'served' },
  };
}

function noIssuerReason(choice: IssuerChoice, given: boolean): NoIssuerReason {
  if (choice.rejected && !choice.issuer) return 'issuer-mismatch';
  return given ? 'issuer-unparseable' : 'issuer-not-found';
}

async function assessInspect(evidence: InspectEvidence, ctx: Context, at: string): Promise<Report> {
  const findings = new Findings();
  const where: Location = { file: evidence.file };
  const certs = new Certs();
  const leaf = evidence.cert ? certs.of(evidence.cert, 'cert') : null;
  const given = evidence.issuer ? certs.of(evidence.issuer, 'issuer') : null;
  let issuer = given;
  let noIssuer: NoIssuerReason = evidence.issuer ? 'issuer-unparseable' : 'no-issuer';
  if (leaf && given) {
    const choice = await chooseIssuer(leaf, [{ source: 'given', certs: [given] }], ctx.verifier);
    const problem = mismatchProblem(choice, leaf);
    if (problem) certs.problems.push(problem);
    issuer = choice.issuer;
    if (!issuer) noIssuer = 'issuer-mismatch';
  }
  for (const p of certs.problems) findings.add(p, where);
  const judged = await judgeResponse(evidence.response, leaf, issuer, noIssuer, ctx);
  for (const p of judged.problems) findings.add(p, where);
  const list = findings.list();
  return {
    schemaVersion: 1,
    kind: 'inspect',
    at,
    verdict: verdictOf(list),
    staplingVerdict: staplingVerdictOf(list),
    findings: list,
    targets: [],
    server: evidence.server ?? null,
    staples: [{ sha256: sha256Hex(evidence.response), decoded: judged.decoded }],
  };
}

/** What one address served and stapled, judged. */
interface AddressView {
  readonly address: string;
  readonly leaf: Cert | null;
  /** Stapled in at least one handshake; null when no handshake succeeded. */
  readonly stapled: boolean | null;
  /** Status of each distinct valid staple seen here. */
  readonly statuses: ReadonlySet<string>;
}

const AUTH_EXPIRED = new Set(['CERT_HAS_EXPIRED']);
const AUTH_NOT_YET = new Set(['CERT_NOT_YET_VALID']);
const AUTH_MISSING_ISSUER = new Set(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT']);

/** Why a caIssuers download did not give the issuer, in words. */
function issuerFetchFailure(exchange: HttpExchange): string {
  if (!exchange.ok) return exchange.error.message;
  if (exchange.status !== 200) return `HTTP ${exchange.status}`;
  const found = certificatesFromIssuerBody(exchange.body).length;
  if (found === 0) return `the body (${exchange.body.byteLength} bytes${exchange.contentType ? `, ${exchange.contentType}` : ''}) holds no certificate (DER, PEM or PKCS#7 certs-only expected)`;
  return `none of the ${found} certificate${found === 1 ? '' : 's'} it holds issued the leaf`;
}

/** OpenSSL's chain verdict and the name check, as certificate findings. */
function trustProblems(attempt: AttemptEvidence, issuerSource: IssuerSource | null, servername: string | null): Problem[] {
  const o = attempt.outcome;
  if (!o.ok) return [];
  const problems: Problem[] = [];
  const error = o.authorizationError;
  if (error) {
    if (AUTH_EXPIRED.has(error)) problems.push({ code: 'CERT_EXPIRED', args: { error } });
    else if (AUTH_NOT_YET.has(error)) problems.push({ code: 'CERT_NOT_YET_VALID', args: { error } });
    // A missing intermediate that AIA supplied is the incomplete chain already reported, not a distrust.
    else if (!(AUTH_MISSING_ISSUER.has(error) && issuerSource === 'aia')) problems.push({ code: 'CERT_UNTRUSTED', args: { error } });
  }
  if (o.nameError) problems.push({ code: 'CERT_NAME_MISMATCH', args: { servername, message: o.nameError } });
  return problems;
}

async function assessProbe(evidence: ProbeEvidence, ctx: Context, at: string): Promise<Report> {
  const findings = new Findings();
  const target = evidence.target.input;
  const targetWhere: Location = { target };
  if (evidence.resolveError) findings.add({ code: 'TLS_RESOLVE_FAILED', args: { message: evidence.resolveError.message } }, targetWhere);
  if (evidence.addresses.length === 0 && !evidence.resolveError) {
    findings.add({ code: 'TLS_RESOLVE_FAILED', args: { message: 'no address to probe' } }, targetWhere);
  }

  const certs = new Certs();
  const given = evidence.issuer ? certs.of(evidence.issuer, 'issuer') : null;
  const fromCaFile = certs.all(evidence.extraCerts ?? [], 'ca-file');
  const fetchedFor = (leafKey: string): Cert[] =>
    (evidence.issuerFetches ?? [])
      .filter((f) => f.leaf === leafKey && f.exchange.ok && f.exchange.status === 200)
      .flatMap((f) => (f.exchange.ok ? certs.all(certificatesFromIssuerBody(f.exchange.body), 'aia') : []));

  // Everything about one leaf is worked out once, however many addresses and attempts served it.
  interface LeafFacts {
    readonly leaf: Cert;
    readonly choice: IssuerChoice;
    readonly live: LiveJudged | null;
  }
  const leafFacts = new Map<string, Promise<LeafFacts>>();
  const factsOf = (leafDer: Uint8Array, servedDers: readonly Uint8Array[]): Promise<LeafFacts> | null => {
    const key = sha256Hex(leafDer);
    const leaf = certs.of(leafDer, 'leaf');
    if (!leaf) return null;
    let facts = leafFacts.get(key);
    if (!facts) {
      facts = (async () => {
        const served = certs.all(servedDers, 'chain');
        const choice = await chooseIssuer(
          leaf,
          [
            { source: 'given', certs: given ? [given] : [] },
            { source: 'served', certs: served },
            { source: 'ca-file', certs: fromCaFile },
            { source: 'aia', certs: fetchedFor(key) },
          ],
          ctx.verifier,
        );
        const liveEvidence = (evidence.live ?? []).find((l) => l.leaf === key);
        const live = liveEvidence && choice.issuer ? await judgeLive(liveEvidence, leaf, choice.issuer, ctx) : null;
        return { leaf, choice, live };
      })();
      leafFacts.set(key, facts);
    }
    return facts;
  };

  const judgedCache = new Map<string, Promise<Judged>>();
  const staples: { sha256: string; decoded: DecodedResponse | null }[] = [];
  const targetAddresses: TargetReport['addresses'][number][] = [];
  const views: AddressView[] = [];
  const liveReports = new Map<string, LiveReport>();
  let firstFacts: LeafFacts | null = null;

  for (const address of evidence.addresses) {
    const base: Location = { target, address: address.address };
    const versionStats = new Map<TlsVersion, { total: number; version: number; failures: TlsFailure[] }>();
    const sequence: { tlsVersion: TlsVersion; attempt: number; stapled: boolean }[] = [];
    const attemptsOut: TargetReport['addresses'][number]['attempts'][number][] = [];
    const statuses = new Set<string>();
    let addressLeaf: Cert | null = null;

    for (const attempt of address.attempts) {
      const where: Location = { ...base, tlsVersion: attempt.tlsVersion, attempt: attempt.attempt };
      const stats = versionStats.get(attempt.tlsVersion) ?? { total: 0, version: 0, failures: [] };
      stats.total++;
      versionStats.set(attempt.tlsVersion, stats);
      const outcome = attempt.outcome;
      if (!outcome.ok) {
        if (outcome.error.kind === 'version') stats.version++;
        stats.failures.push(outcome.error);
        attemptsOut.push({ attempt: attempt.attempt, tlsVersion: attempt.tlsVersion, ok: false, protocol: null, cipher: null, error: outcome.error, staple: null, chain: [], durationMs: outcome.durationMs });
        continue;
      }
      const leafDer = outcome.chain[0];
      const factsPromise = leafDer ? factsOf(leafDer, outcome.chain.slice(1)) : null;
      const facts = factsPromise ? await factsPromise : null;
      firstFacts ??= facts;
      addressLeaf ??= facts?.leaf ?? null;
      for (const p of trustProblems(attempt, facts?.choice.source ?? null, evidence.target.servername)) findings.add(p, { ...base, tlsVersion: attempt.tlsVersion });

      let stapleHash: string | null = null;
      if (outcome.staple) {
        stapleHash = sha256Hex(outcome.staple);
        const judgeKey = `${stapleHash}:${facts ? sha256Hex(facts.leaf.der) : '-'}`;
        let judged = judgedCache.get(judgeKey);
        if (!judged) {
          const leaf = facts?.leaf ?? null;
          const reason = facts ? noIssuerReason(facts.choice, given !== null || evidence.issuer !== null) : 'issuer-not-found';
          const live = facts?.live?.valid ?? null;
          judged = judgeResponse(outcome.staple, leaf, facts?.choice.issuer ?? null, reason, ctx).then((j) => ({
            ...j,
            problems: [...j.problems, ...(live ? compareStapleWithLive(j, live) : [])],
          }));
          judgedCache.set(judgeKey, judged);
          const decoded = (await judged).decoded;
          if (!staples.some((s) => s.sha256 === stapleHash)) staples.push({ sha256: stapleHash, decoded });
        }
        const done = await judged;
        for (const p of done.problems) findings.add(p, where);
        // A staple counts for the comparison between addresses when only its status (not its validity) is bad.
        const broken = done.problems.some((p) => FINDINGS[p.code].severity === 'critical' && p.code !== 'STAPLE_REVOKED' && p.code !== 'STAPLE_STATUS_UNKNOWN');
        if (done.single && !broken) statuses.add(done.single.status);
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
        chain: certs.all(outcome.chain, 'chain').map(summarizeCert),
        durationMs: outcome.durationMs,
      });
    }

    // Connection failures. A version refused while another works is a fact about the server, not a failure.
    const anyOk = sequence.length > 0;
    for (const [tlsVersion, stats] of versionStats) {
      const allVersionRefusals = stats.failures.length > 0 && stats.version === stats.total;
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
      if ([...byVersion.values()].some(Boolean)) {
        for (const [tlsVersion, stapled] of byVersion) {
          if (!stapled) findings.add({ code: 'STAPLE_MISSING_ON_VERSION', args: { tlsVersion } }, { ...base, tlsVersion });
        }
        const relevant = sequence.filter((s) => byVersion.get(s.tlsVersion));
        const first = relevant.findIndex((s) => s.stapled);
        const firstStapled = relevant[first];
        if (first > 0 && firstStapled) {
          findings.add(
            {
              code: addressLeaf?.mustStaple ? 'STAPLE_LAZY_MUST_STAPLE' : 'STAPLE_LAZY',
              args: { handshakesWithout: first, tlsVersion: firstStapled.tlsVersion, attempt: firstStapled.attempt },
            },
            { ...base, tlsVersion: firstStapled.tlsVersion, attempt: firstStapled.attempt },
          );
        }
        const dropped = relevant.slice(first + 1).find((s) => !s.stapled);
        if (dropped) findings.add({ code: 'STAPLE_INTERMITTENT', args: {} }, { ...base, tlsVersion: dropped.tlsVersion, attempt: dropped.attempt });
      }
    }
    views.push({ address: address.address, leaf: addressLeaf, stapled: anyOk ? sequence.some((s) => s.stapled) : null, statuses });
    targetAddresses.push({ address: address.address, family: address.family, attempts: attemptsOut });
  }

  // Per certificate: issuer discovery, the live answer, and what a missing staple means for it.
  for (const factsPromise of leafFacts.values()) {
    const facts = await factsPromise;
    const leafWhere: Location = { target };
    const leaf = facts.leaf;
    const mismatch = mismatchProblem(facts.choice, leaf);
    if (mismatch) findings.add(mismatch, leafWhere);
    if (leaf.mustStaple) findings.add({ code: 'CERT_MUST_STAPLE', args: {} }, leafWhere);
    if (facts.choice.source === 'aia' && facts.choice.issuer) {
      const issuerKey = facts.choice.issuer.sha256;
      const fetch = (evidence.issuerFetches ?? []).find(
        (f) => f.leaf === sha256Hex(leaf.der) && f.exchange.ok && certificatesFromIssuerBody(f.exchange.body).some((der) => sha256Hex(der) === issuerKey),
      );
      findings.add({ code: 'CERT_CHAIN_INCOMPLETE', args: { issuer: facts.choice.issuer.subject, url: fetch?.url ?? null } }, leafWhere);
    }
    if (!facts.choice.issuer) {
      for (const f of (evidence.issuerFetches ?? []).filter((f) => f.leaf === leaf.sha256)) {
        findings.add({ code: 'CERT_ISSUER_FETCH_FAILED', args: { url: f.url, reason: issuerFetchFailure(f.exchange) } }, leafWhere);
      }
    }
    if (facts.live) {
      for (const p of facts.live.problems) findings.add(p, { target, url: facts.live.report.url });
      liveReports.set(facts.live.report.url + leaf.serial, facts.live.report);
    } else if (!evidence.liveDisabled && leaf.ocspUrls.length > 0 && !facts.choice.issuer) {
      findings.add({ code: 'LIVE_NOT_QUERIED', args: { reason: 'no-issuer' } }, leafWhere);
    }

    const servedBy = views.filter((v) => v.leaf === leaf && v.stapled === false);
    if (servedBy.length === 0) continue;
    if (leaf.ocspUrls.length === 0 && !leaf.mustStaple) {
      findings.add({ code: 'CERT_NO_OCSP_URL', args: { crlUrls: leaf.crlUrls.join(', ') || null } }, leafWhere);
      continue;
    }
    const liveResponder = facts.live ? (facts.live.valid ? 'ok' : 'failed') : 'not-queried';
    const code: FindingCode = leaf.mustStaple ? 'STAPLE_MISSING_MUST_STAPLE' : 'STAPLE_MISSING';
    for (const v of servedBy) findings.add({ code, args: leaf.mustStaple ? {} : { liveResponder } }, { target, address: v.address });
  }

  // Addresses of one host must behave alike.
  const answered = views.filter((v) => v.stapled !== null);
  if (answered.length > 1) {
    const leaves = new Set(answered.map((v) => v.leaf?.sha256 ?? '?'));
    if (leaves.size > 1) {
      findings.add({ code: 'COMPARE_ADDRESSES_DISAGREE', args: { aspect: 'certificate', detail: answered.map((v) => `${v.address} serves serial ${v.leaf?.serial ?? '?'}`).join(', ') } }, targetWhere);
    }
    const stapling = answered.filter((v) => v.stapled);
    if (stapling.length > 0 && stapling.length < answered.length) {
      findings.add(
        { code: 'COMPARE_ADDRESSES_DISAGREE', args: { aspect: 'stapling', detail: answered.map((v) => `${v.address} ${v.stapled ? 'staples' : 'does not staple'}`).join(', ') } },
        targetWhere,
      );
    }
    const statusSets = new Set(stapling.map((v) => [...v.statuses].sort().join('+')).filter(Boolean));
    if (statusSets.size > 1) {
      findings.add(
        { code: 'COMPARE_ADDRESSES_DISAGREE', args: { aspect: 'status', detail: stapling.map((v) => `${v.address} staples ${[...v.statuses].join('/') || 'an invalid response'}`).join(', ') } },
        targetWhere,
      );
    }
  }
  for (const p of certs.problems) findings.add(p, targetWhere);

  const list = findings.list();
  const verdict = verdictOf(list);
  // With no completed handshake nothing about stapling was seen: its verdict is unknown, never a vacuous ok
  // (the TLS_ findings that say why are left out of it, as ever).
  const observed = evidence.addresses.some((a) => a.attempts.some((t) => t.outcome.ok));
  const staplingVerdict = observed ? staplingVerdictOf(list) : worstVerdict([staplingVerdictOf(list), 'unknown']);
  const leafCert = firstFacts?.leaf ?? null;
  const header =
    [
      ...evidence.addresses.map((a) => a.serverHeader ?? null),
      ...evidence.addresses.flatMap((a) => a.attempts).map((a) => (a.outcome.ok ? (a.outcome.serverHeader ?? null) : null)),
    ].find((h) => h !== null) ?? null;
  const detected = serverFromHeader(header);
  const server: TargetReport['server'] = evidence.server
    ? { name: evidence.server, header, source: 'flag' }
    : { name: detected, header, source: detected ? 'header' : null };
  return {
    schemaVersion: 1,
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
        leaf: leafCert ? summarizeCert(leafCert) : null,
        issuer: firstFacts?.choice.issuer ? summarizeCert(firstFacts.choice.issuer) : null,
        issuerSource: firstFacts?.choice.source ?? null,
        mustStaple: leafCert?.mustStaple ?? false,
        server,
        live: [...liveReports.values()],
        addresses: targetAddresses,
      },
    ],
    server: server.name,
    staples,
  };
}

/** nginx, Apache, HAProxy or Caddy from a `Server` header ("nginx/1.22.1", "Apache/2.4.71 (Debian)"). */
export function serverFromHeader(header: string | null): ServerName | null {
  if (!header) return null;
  if (/nginx|openresty|tengine/i.test(header)) return 'nginx';
  if (/apache/i.test(header)) return 'apache';
  if (/haproxy/i.test(header)) return 'haproxy';
  if (/caddy/i.test(header)) return 'caddy';
  return null;
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
    // Each report's own, not one over the merged findings: a target whose stapling could not be seen is unknown.
    staplingVerdict: worstVerdict(reports.map((r) => r.staplingVerdict)),
    findings,
    targets: reports.flatMap((r) => r.targets),
    server: reports.length === 1 ? (reports[0]?.server ?? null) : null,
    staples,
  };
}

