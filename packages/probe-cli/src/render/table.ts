/**
 * The table output. By default one screen (issue #23): the headline, one line per finding with its fix for the
 * detected server, one frame of key/value rows (handshakes per address, certificate, issuer, server, live
 * answer, staples), and the headline again. `--verbose` keeps every detail (`verbose.ts`).
 */
import { type Finding, type FindingCode, isStaplingCode, type Report, renderMessage, type Verdict, verdictOf } from '@staple-probe/core';
import { certificateStates, crlOkClause, titleClause } from './certificates.js';
import { fixesFor, shortFix, usualServers, wantsServer } from './fixes.js';
import {
  ISSUER_SOURCE,
  keyValueTable,
  paint,
  relative,
  serverText,
  SEVERITY_LABEL,
  SEVERITY_STYLE,
  type TableOptions,
  VERDICT_LABEL,
  VERDICT_STYLE,
  wrap,
} from './text.js';
import { type AttemptView, OFFER_LABEL, runs, shortNames, type TargetView, verboseSections } from './verbose.js';

export type { TableOptions } from './text.js';
export { formatWhere } from './verbose.js';

/** What a finding outside the stapling verdict is about, as the headline names it. */
export function subjectOf(code: FindingCode): string {
  if (code.startsWith('TLS_')) return 'connection';
  if (code.startsWith('CRL_')) return 'revocation by CRL';
  return /^CERT_(UNTRUSTED|CHAIN_|ISSUER_)/.test(code) ? 'certificate chain' : 'certificate';
}

/**
 * The two verdicts of a report with certificate (or connection, or CRL) problems: each subject with its
 * verdict and its worst finding, also when both are critical (so that an untrusted chain is never read as a
 * stapling failure); null without such problems, when stapling has nothing of its own to say beside them (a
 * refused connection), for a CRL file, and for a report of several targets (whose summary is about targets).
 */
export function twoVerdicts(report: Report): {
  readonly other: { readonly subject: string; readonly verdict: Verdict; readonly findings: readonly Finding[] };
  readonly stapling: { readonly subject: string; readonly verdict: Verdict; readonly findings: readonly Finding[]; readonly notApplicable: boolean };
} | null {
  if (report.targets.length > 1 || subjectOfReport(report) === 'CRL') return null;
  const rest = report.findings.filter((f) => !isStaplingCode(f.code) && f.severity !== 'info');
  const stapling = report.findings.filter((f) => isStaplingCode(f.code) && f.severity !== 'info');
  const worst = rest.find((f) => f.severity === report.verdict) ?? rest[0];
  // Two subjects only where each has its own say: a failed connection leaves stapling unknown with nothing of
  // its own, and one message says it all.
  if (!worst || (report.verdict === report.staplingVerdict && stapling.length === 0)) return null;
  return {
    other: { subject: subjectOf(worst.code), verdict: verdictOf(rest), findings: rest },
    stapling: {
      subject: subjectOfReport(report),
      verdict: report.staplingVerdict,
      findings: stapling,
      // A certificate without an OCSP URL has nothing to staple.
      notApplicable: report.staplingVerdict === 'ok' && report.findings.some((f) => f.code === 'CERT_NO_OCSP_URL'),
    },
  };
}

/** "OCSP stapling", "OCSP response" (inspect) or "CRL" (inspect of a CRL file). */
function subjectOfReport(report: Report): string {
  const crlFile = report.kind === 'inspect' && report.staples.length === 0 && report.findings.some((f) => f.code.startsWith('CRL_'));
  return report.kind === 'inspect' ? (crlFile ? 'CRL' : 'OCSP response') : 'OCSP stapling';
}

/**
 * The one-line diagnosis: verdict and the worst finding's message. Where certificate (or connection) findings
 * and stapling findings give different verdicts, each subject with its own ("certificate chain CRITICAL ·
 * OCSP stapling OK"); the worst message is then the first finding below. For a target that served several
 * certificates, each one's state too ("RSA certificate 1001: staple is for another certificate; ECDSA
 * certificate 1002: ok"), so that a broken certificate never hides behind a healthy one.
 */
export function headline(report: Report): string {
  const subject = subjectOfReport(report);
  const two = twoVerdicts(report);
  const verdicts = two
    ? `${two.other.subject} ${VERDICT_LABEL[two.other.verdict]} · ${two.stapling.subject}${two.stapling.notApplicable ? ': not applicable' : ` ${VERDICT_LABEL[two.stapling.verdict]}`}`
    : null;
  const states = certificateStates(report);
  if (states)
    return `${verdicts ?? `${subject} ${VERDICT_LABEL[report.verdict]}`} · ${states.map((s) => `${s.name}: ${s.worst ? titleClause(s.worst.code) : 'ok'}`).join('; ')}`;
  if (verdicts) return verdicts;
  const worst = report.findings.find((f) => f.severity !== 'info');
  if (!worst) {
    const crl = crlOkClause(report);
    // A certificate without an OCSP URL has nothing to staple: its revocation verdict is the CRL's.
    if (crl && report.findings.some((f) => f.code === 'CERT_NO_OCSP_URL')) return `${subject}: not applicable · ${crl}`;
    const note = report.findings.find((f) => f.severity === 'info' && !(crl && f.code === 'CRL_NOT_LISTED'));
    return `${subject} ${VERDICT_LABEL[report.verdict]}${note ? ` (${renderMessage(note)})` : ''}${crl ? ` · ${crl}` : ''}`;
  }
  const more = report.findings.filter((f) => f.severity !== 'info').length - 1;
  return `${subject} ${VERDICT_LABEL[report.verdict]}: ${renderMessage(worst)}${more > 0 ? ` (+${more} more)` : ''}`;
}

const INDENT = 9;

/** One line per finding (more when it wraps): severity, code, message, then its fix in at most two lines. */
function findingLines(report: Report, options: TableOptions): string[] {
  if (report.findings.length === 0) return [paint(options.color, 'green', 'No problems found.')];
  const out: string[] = [];
  const shown = new Set<string>();
  for (const f of report.findings) {
    const label = SEVERITY_LABEL[f.severity];
    const [first = '', ...rest] = wrap(`${f.code}: ${renderMessage(f)}`, options.width, INDENT, `${label.padEnd(INDENT - 1)} `);
    out.push(first.replace(label, paint(options.color, SEVERITY_STYLE[f.severity], label)), ...rest);
    const lines = (text: string) => wrap(text, options.width, INDENT);
    // A server's fix may take three lines (the directive and its context), the hint two when it is all there
    // is; with the server unknown, one generic line, and the line below says how to get the server's.
    const room = wantsServer(f, report) ? 1 : fixesFor(f, report).length ? 3 : 2;
    const fix = shortFix(f, report, (text) => lines(text).length <= room);
    const text = `${fix.label}: ${fix.text}`;
    // Two findings with one fix (an expired staple that is also stale): said once.
    out.push(...lines(shown.has(text) ? `${fix.label}: as above` : text).map((l) => paint(options.color, 'dim', l)));
    shown.add(text);
  }
  const general = report.findings.filter((f) => wantsServer(f, report));
  if (general.length) {
    const docs = general.length === 1 ? `docs/findings.md#${(general[0] as Finding).code.toLowerCase()}` : 'docs/findings.md';
    const names = usualServers(general[0] as Finding, report).join('|');
    out.push(...wrap(`Fixes per server: --server ${names}|…, or ${docs}`, options.width, 2, ''));
  }
  return out;
}

/** Each handshake's staple, in runs: "×3 stapled", "×3: no staple, stapled ×2", "failed". */
function marksOf(attempts: readonly AttemptView[], hashes: boolean): string {
  const marks = runs(attempts.map((x) => (!x.ok ? 'failed' : x.staple ? `stapled${hashes ? ` (${x.staple.slice(0, 8)})` : ''}` : 'no staple')).join(', '));
  const count = attempts.length > 1 ? `×${attempts.length}` : '';
  if (!marks.includes(', ')) return [count, marks.replace(/ ×\d+$/, '')].filter(Boolean).join(' ');
  return `${count}: ${marks}`;
}

/**
 * Per address, each TLS version's handshakes. One certificate: the default offer's handshakes (the offers of
 * one key type got that certificate again or were refused). Several: every handshake that got each one.
 */
function handshakeRows(report: Report, t: TargetView): [string, string][] {
  if (t.addresses.length === 0) return [['addresses', 'none was probed']];
  const hashes = report.staples.length > 1;
  const names = shortNames(t);
  return t.addresses.map((a) => {
    if (t.certificates.length <= 1) {
      const own = a.attempts.filter((x) => x.offer === 'default');
      const shown = own.length ? own : a.attempts;
      const versions = [...new Set(shown.map((x) => x.tlsVersion))];
      return [
        a.address,
        versions
          .map((v) =>
            `TLS ${v} ${marksOf(
              shown.filter((x) => x.tlsVersion === v),
              hashes,
            )}`.replace(' :', ':'),
          )
          .join(' · '),
      ];
    }
    const versions = [...new Set(a.attempts.map((x) => x.tlsVersion))];
    const parts = versions.map((v) => {
      const groups = new Map<string, AttemptView[]>();
      for (const x of a.attempts.filter((y) => y.tlsVersion === v)) {
        const leaf = x.chain[0]?.sha256;
        const name = x.ok ? ((leaf ? names.get(leaf) : undefined) ?? 'other') : x.offer === 'default' ? 'none' : null;
        if (name !== null) groups.set(name, [...(groups.get(name) ?? []), x]);
      }
      return `TLS ${v}: ${[...groups].map(([name, xs]) => `${name} ${marksOf(xs, hashes)}`.replace(' :', ':')).join(', ')}`;
    });
    return [a.address, parts.join(' · ')];
  });
}

/** The certificate(s), issuer, server software, CRLs and live answers of one target. */
function targetRows(report: Report, t: TargetView): [string, string][] {
  const rows = handshakeRows(report, t);
  const states = certificateStates(report, t);
  if (states)
    for (const { certificate: c, worst } of states) {
      const offers = c.offers.map((o) => OFFER_LABEL[o]).join(', ');
      const verdict = `${VERDICT_LABEL[c.verdict]}${worst ? `: ${titleClause(worst.code)}` : ''}`;
      rows.push([
        `${c.keyType} ${c.leaf.serial}`,
        `${c.leaf.subject}${c.mustStaple ? ' · must-staple' : ''} · offers ${offers} · stapled ${c.stapled} · ${verdict}`,
      ]);
    }
  else if (t.leaf) rows.push(['certificate', `${t.leaf.subject} · serial ${t.leaf.serial}${t.mustStaple ? ' · must-staple' : ''}`]);
  if (t.issuerSource) rows.push(['issuer', `${t.issuer?.subject ?? '?'} (from ${ISSUER_SOURCE[t.issuerSource]})`]);
  else if (t.leaf) rows.push(['issuer', 'not found']);
  if (t.server.name || t.server.header) {
    rows.push(['server', serverText(t)]);
  }
  for (const c of t.certificates)
    for (const crl of c.crls) {
      const next = crl.nextUpdate ? ` · nextUpdate ${relative(crl.nextUpdate, report.at)}` : '';
      rows.push([states ? `CRL ${c.keyType}` : 'CRL', `${crl.status}${next} · ${crl.url}`]);
    }
  for (const l of t.live) {
    const answer = l.error
      ? `${l.error.kind}: ${l.error.message}`
      : l.certStatus
        ? `${l.certStatus}${l.nextUpdate ? ` · nextUpdate ${relative(l.nextUpdate, report.at)}` : ''}${l.valid ? '' : ' · not verified'}`
        : `${l.response ? l.response.responseStatus : `HTTP ${l.httpStatus ?? '?'}`} · not verified`;
    rows.push([t.live.length > 1 ? `live ${l.leafSerial}` : 'live answer', `${answer} · ${l.method} ${l.url} · ${Math.round(l.durationMs)} ms`]);
  }
  return rows;
}

/** Each distinct staple in one row: its status, serial, times and size. */
function stapleRows(report: Report): [string, string][] {
  return report.staples.map((s) => {
    const d = s.decoded;
    const name = `staple ${s.sha256.slice(0, 8)}`;
    if (!d) return [name, 'does not decode (see findings)'];
    const single = d.basic?.responses[0];
    if (!single) return [name, `${d.responseStatus} (${d.responseStatusCode}) · ${d.length} bytes`];
    const revoked = single.revocationTime ? ` ${single.revocationTime}${single.revocationReason ? ` (${single.revocationReason})` : ''}` : '';
    const more = (d.basic?.responses.length ?? 1) > 1 ? ` · +${(d.basic?.responses.length ?? 1) - 1} more responses` : '';
    const next = single.nextUpdate ? `nextUpdate ${relative(single.nextUpdate, report.at)}` : 'no nextUpdate';
    return [
      name,
      `${single.certStatus}${revoked} · serial ${single.certId.serial} · thisUpdate ${relative(single.thisUpdate, report.at)} · ${next} · ${d.length} bytes${more}`,
    ];
  });
}

/** The default layout's sections after the headline: the findings, then one frame of facts. */
function compactSections(report: Report, options: TableOptions): string[] {
  const rows: [string, string][] = [];
  for (const t of report.targets) {
    const own = targetRows(report, t);
    rows.push(...(report.targets.length > 1 ? own.map(([k, v]): [string, string] => [k, `${t.target.input}: ${v}`]) : own));
  }
  rows.push(...stapleRows(report));
  const parts = findingLines(report, options);
  if (rows.length) parts.push('', keyValueTable(options, rows));
  return parts;
}

/** Where and when: "staple-probe 127.0.0.1:8443 (no SNI) · judged at …". */
function contextLine(report: Report): string {
  const sni = (t: TargetView) =>
    (t.target.servername === null ? ' (no SNI)' : t.target.input.startsWith(t.target.servername) ? '' : ` (SNI ${t.target.servername})`) +
    (t.starttls ? ` over ${t.starttls.toUpperCase()} STARTTLS` : '');
  const about = report.kind === 'inspect' ? 'inspect' : report.targets.map((t) => `${t.target.input}${sni(t)}`).join(', ');
  return `staple-probe ${about} · judged at ${report.at}`;
}

/** Human output that reads like a diagnosis: the verdict first and last, each finding with its fix between. */
export function renderTable(report: Report, options: TableOptions): string {
  const head = wrap(headline(report), options.width, 0, '')
    .map((l) => paint(options.color, VERDICT_STYLE[report.verdict], paint(options.color, 'bold', l)))
    .join('\n');
  const body = options.verbose ? verboseSections(report, options) : compactSections(report, options);
  return `${[head, paint(options.color, 'dim', contextLine(report)), '', ...body, head].join('\n')}\n`;
}
