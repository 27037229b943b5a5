/**
 * `--format nagios`: one status line as the Monitoring Plugins Development Guidelines define it
 * (https://www.monitoring-plugins.org/doc/guidelines.html, "Plugin Output" and "Performance data"):
 *
 *   OCSP STAPLING <OK|WARNING|CRITICAL|UNKNOWN> - <summary> | <perfdata>
 *
 * The exit code is not decided here: it stays `exitCodeOf` of the verdict `--scope` picks, so the word and the code agree.
 *
 * Several targets (a merged report): the summary counts the targets per verdict and quotes the worst
 * finding of any target; the perfdata describes the FIRST target only, because the labels are fixed
 * (a monitoring system graphs one series per label) and one check is meant to watch one target.
 *
 * Certificate (or connection, or CRL) findings and stapling findings with different verdicts: the summary
 * gives each subject its verdict and worst message, the one the status word follows (`--scope`) first.
 *
 * A target that served several certificates (an RSA and an ECDSA one): the summary gives each one's state,
 * and `staple_remaining_<key type>` is added per certificate; the other perfdata stay the target's.
 *
 * An `inspect` report has no targets: its staple is the inspected response, and the handshake metrics
 * (handshakes, stapled, time) are left out since no handshake happened.
 */
import {
  type CertificateReport,
  type DecodedResponse,
  type Finding,
  type Report,
  renderMessage,
  type SingleResponseView,
  type TargetReport,
  type Verdict,
  warnThresholdMs,
} from '@staple-probe/core';
import { type Scope, scopedVerdict } from '../scope.js';
import { certificateStates, crlOkClause, titleClause, worstOf } from './certificates.js';
import { twoVerdicts } from './table.js';

/** Thresholds of the staple_remaining perfdata, in seconds, as judged with --warn-remaining / --crit-remaining. */
export interface NagiosThresholds {
  /** Warn when less than this many seconds remain before nextUpdate. */
  readonly warnSeconds: number;
  /** Critical when less than this many seconds remain before nextUpdate. */
  readonly critSeconds: number;
  /** What the status word follows (`--scope`); `all` when absent. */
  readonly scope?: Scope;
}

const LABEL: Record<Verdict, string> = { ok: 'OK', warn: 'WARNING', critical: 'CRITICAL', unknown: 'UNKNOWN' };
const VERDICT_ORDER: readonly Verdict[] = ['critical', 'unknown', 'warn', 'ok'];

/** The summary is the part before `|`: no `|` (it would start the perfdata) and no line break (it would start the long text). */
function sanitize(text: string): string {
  return [...text]
    .map((c) => (c < ' ' || c === '\u007f' ? ' ' : c))
    .join('')
    .replace(/\|/g, '/')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Time left, rounded down to one decimal so the summary never promises more than there is. */
function left(seconds: number): string {
  const s = Math.max(0, seconds);
  const down = (value: number) => (Math.floor(value * 10) / 10).toFixed(1);
  if (s < 120) return `${Math.floor(s)}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${down(s / 3600)}h`;
  return `${down(s / 86400)}d`;
}

/** A perfdata label, single-quoted only when it must be (space, `=` or `'`), with `'` doubled. */
function label(name: string): string {
  return /[\s=']/.test(name) ? `'${name.replace(/'/g, "''")}'` : name;
}

/** One `label=value[UOM];[warn];[crit];[min];[max]` item. Empty fields stay as empty `;` slots. */
function perf(name: string, value: string, uom: string, warn = '', crit = '', min = '0', max = ''): string {
  return `${label(name)}=${value}${uom};${warn};${crit};${min};${max}`;
}

/** A number in the guidelines' class [-0-9.]: never an exponent, never `-0`. */
function num(value: number, decimals = 0): string {
  const fixed = value.toFixed(decimals);
  return /^-0(\.0*)?$/.test(fixed) ? fixed.slice(1) : fixed;
}

/**
 * A guideline range meaning "alert when the value is below `seconds`" (`N:` alerts outside N..∞).
 * A bare `N` would mean the opposite (alert above N), which is wrong for time left.
 */
function below(seconds: number): string {
  return `${num(seconds)}:`;
}

/** The findings of one target; a single-target or inspect report is all of its findings. */
function findingsOf(report: Report, target: TargetReport | undefined): readonly Finding[] {
  if (!target || report.targets.length <= 1) return report.findings;
  return report.findings.filter((f) => f.where.some((w) => w.target === target.target.input));
}

const problems = (findings: readonly Finding[]) => findings.filter((f) => f.severity !== 'info');

/** The SingleResponse about the target's certificate (the first one when the certificate is unknown). */
function singleFor(decoded: DecodedResponse | null, serial: string | null): SingleResponseView | null {
  if (!decoded || decoded.responseStatus !== 'successful' || !decoded.basic) return null;
  const responses = decoded.basic.responses;
  return (serial === null ? responses[0] : responses.find((r) => r.certId.serial === serial)) ?? null;
}

/**
 * The first valid staple of the target, in handshake order: one that decodes as a successful basic
 * response with a SingleResponse for the served certificate. (Signature and freshness problems are
 * findings; a decodable staple still has a thisUpdate and nextUpdate worth graphing.)
 */
function stapleOf(report: Report, target: TargetReport | undefined, certificate?: CertificateReport): SingleResponseView | null {
  const decodedOf = (sha256: string) => report.staples.find((s) => s.sha256 === sha256)?.decoded ?? null;
  if (!target) return report.kind === 'inspect' && report.staples[0] ? singleFor(report.staples[0].decoded, null) : null;
  const serial = certificate ? certificate.leaf.serial : (target.leaf?.serial ?? null);
  for (const address of target.addresses) {
    for (const attempt of address.attempts) {
      // One certificate's staple: only from the handshakes that served it.
      if (certificate && attempt.chain[0]?.sha256 !== certificate.leaf.sha256) continue;
      const single = attempt.staple ? singleFor(decodedOf(attempt.staple), serial) : null;
      if (single) return single;
    }
  }
  return null;
}

function okSummary(findings: readonly Finding[], single: SingleResponseView | null, nowMs: number): string {
  if (findings.some((f) => f.code === 'CERT_NO_OCSP_URL')) return 'no staple expected (no OCSP URL)';
  if (!single) return 'no problems found';
  if (!single.nextUpdate) return `staple ${single.certStatus}, no nextUpdate`;
  return `staple ${single.certStatus}, ${left((Date.parse(single.nextUpdate) - nowMs) / 1000)} until nextUpdate`;
}

/**
 * Several certificates: each one's state, "RSA certificate 1001: staple is for another certificate; ECDSA
 * certificate 1002: staple good, 6.9d until nextUpdate" (the table's headline, with the time left of a good one).
 */
function certificatesSummary(report: Report, first: TargetReport | undefined, nowMs: number): string | null {
  const states = certificateStates(report);
  if (!states) return null;
  return states
    .map((s) => `${s.name}: ${s.worst ? titleClause(s.worst.code) : okSummary(s.findings, stapleOf(report, first, s.certificate), nowMs)}`)
    .join('; ');
}

/** A subject's worst message, with how many more problems it has: "the staple expired 3.0d ago (+1 more)". */
function worstText(findings: readonly Finding[]): string | null {
  const worst = worstOf(findings);
  const more = problems(findings).length - 1;
  return worst ? `${renderMessage(worst)}${more > 0 ? ` (+${more} more)` : ''}` : null;
}

/**
 * Certificate (or connection, or CRL) findings and stapling findings with different verdicts: each subject
 * with its verdict and worst message, the one `--scope` follows first. "certificate chain CRITICAL: the served
 * chain does not validate: …; OCSP stapling OK: staple good, 6.9d until nextUpdate".
 */
function twoVerdictsSummary(report: Report, first: TargetReport | undefined, single: SingleResponseView | null, nowMs: number, scope: Scope): string | null {
  const two = twoVerdicts(report);
  if (!two) return null;
  const other = `${two.other.subject} ${LABEL[two.other.verdict]}: ${worstText(two.other.findings) ?? ''}`;
  const crl = crlOkClause(report);
  const ok = `${okSummary(findingsOf(report, first), single, nowMs)}${crl ? `; ${crl}` : ''}`;
  const stapling = two.stapling.notApplicable
    ? `${two.stapling.subject}: not applicable (no OCSP URL)`
    : `${two.stapling.subject} ${LABEL[two.stapling.verdict]}: ${worstText(two.stapling.findings) ?? ok}`;
  const states = certificateStates(report);
  const perCertificate = states ? `; ${states.map((s) => `${s.name}: ${s.worst ? titleClause(s.worst.code) : 'ok'}`).join('; ')}` : '';
  return `${scope === 'stapling' ? `${stapling}; ${other}` : `${other}; ${stapling}`}${perCertificate}`;
}

function summaryOf(report: Report, first: TargetReport | undefined, single: SingleResponseView | null, nowMs: number, scope: Scope): string {
  const worst = worstOf(report.findings);
  const more = problems(report.findings).length - 1;
  const two = twoVerdictsSummary(report, first, single, nowMs, scope);
  if (two !== null) return sanitize(two);
  const several = certificatesSummary(report, first, nowMs);
  if (several !== null) return sanitize(several);
  const crl = crlOkClause(report);
  let text = worst
    ? `${renderMessage(worst)}${more > 0 ? ` (+${more} more)` : ''}`
    : `${okSummary(findingsOf(report, first), single, nowMs)}${crl ? `; ${crl}` : ''}`;
  if (report.targets.length > 1) {
    const counts = VERDICT_ORDER.map((v) => [v, report.targets.filter((t) => t.verdict === v).length] as const)
      .filter(([, n]) => n > 0)
      .map(([v, n]) => `${n} ${v}`);
    const about = worst ? worst.where.find((w) => w.target)?.target : first?.target.input;
    text = `${report.targets.length} targets: ${counts.join(', ')}; ${about ? `${about}: ` : ''}${text}`;
  }
  return sanitize(text);
}

/** `staple_remaining` (or `name`) of a staple with a nextUpdate; no minimum: the value goes negative once it has expired. */
function remainingItem(name: string, single: SingleResponseView | null, nowMs: number, thresholds: NagiosThresholds): string[] {
  if (!single?.nextUpdate) return [];
  const remaining = Math.floor((Date.parse(single.nextUpdate) - nowMs) / 1000);
  // The warning threshold this staple was judged with: shorter for a short-lived response (core's warnThresholdMs).
  const warn = Math.floor(warnThresholdMs(Date.parse(single.thisUpdate), Date.parse(single.nextUpdate), thresholds.warnSeconds * 1000) / 1000);
  return [perf(name, num(remaining), 's', below(warn), below(thresholds.critSeconds), '')];
}

/**
 * Several certificates: `staple_remaining_rsa`, `staple_remaining_ecdsa`, … for each one with a staple of its
 * own (the key type names the series, so it stays the same whichever certificate the default offer gets).
 */
function certificateItems(report: Report, first: TargetReport | undefined, nowMs: number, thresholds: NagiosThresholds): string[] {
  if (!first || certificateStates(report) === null) return [];
  const seen = new Set<string>();
  return first.certificates.flatMap((c) => {
    let name = `staple_remaining_${c.keyType.toLowerCase()}`;
    if (seen.has(name)) name = `${name}_${c.leaf.serial}`;
    seen.add(name);
    return remainingItem(name, stapleOf(report, first, c), nowMs, thresholds);
  });
}

function perfdataOf(report: Report, first: TargetReport | undefined, single: SingleResponseView | null, nowMs: number, thresholds: NagiosThresholds): string {
  const items: string[] = remainingItem('staple_remaining', single, nowMs, thresholds);
  if (single) items.push(perf('staple_age', num(Math.floor((nowMs - Date.parse(single.thisUpdate)) / 1000)), 's'));
  items.push(perf('findings', num(problems(findingsOf(report, first)).length), ''));
  if (first) {
    const all = first.addresses.flatMap((a) => a.attempts);
    // An RSA-only or ECDSA-only offer the server refused says only that it has no certificate of that kind:
    // not a handshake that could have carried a staple.
    const attempts = all.filter((a) => a.ok || a.offer === 'default');
    items.push(perf('handshakes', num(attempts.length), ''));
    items.push(perf('stapled', num(attempts.filter((a) => a.staple !== null).length), ''));
    items.push(perf('time', num(all.reduce((sum, a) => sum + a.durationMs, 0) / 1000, 3), 's'));
  }
  items.push(...certificateItems(report, first, nowMs, thresholds));
  return items.join(' ');
}

/** One Monitoring Plugins status line (with its newline) for a report; see the module comment. */
export function renderNagios(report: Report, thresholds: NagiosThresholds): string {
  const nowMs = Date.parse(report.at);
  const first = report.targets[0];
  const single = stapleOf(report, first);
  const scope = thresholds.scope ?? 'all';
  return `OCSP STAPLING ${LABEL[scopedVerdict(report, scope)]} - ${summaryOf(report, first, single, nowMs, scope)} | ${perfdataOf(report, first, single, nowMs, thresholds)}\n`;
}
