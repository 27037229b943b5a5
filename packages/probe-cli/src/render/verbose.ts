/**
 * The long layout (`--verbose`): every finding with its meaning, its places and every server's fix; the
 * handshakes in a table per target; the live answer and each staple field by field, with the CertID.
 */
import { type CertificateReport, FINDINGS, type Location, type Report, renderMessage } from '@staple-probe/core';
import { certificateName, certificateStates, titleClause } from './certificates.js';
import { fixesFor } from './fixes.js';
import {
  ISSUER_SOURCE,
  paint,
  relative,
  SERVER_LABEL,
  serverText,
  SEVERITY_LABEL,
  SEVERITY_STYLE,
  table,
  type TableOptions,
  VERDICT_LABEL,
  VERDICT_STYLE,
} from './text.js';

/**
 * "127.0.0.1 TLS 1.2 #1 #2, TLS 1.3 #1" — where a finding was seen, compressed per address; per certificate
 * too ("127.0.0.1 RSA 1001 TLS 1.2 #1") when its places name more than one (the message names a single one).
 */
export function formatWhere(where: readonly Location[]): string {
  const groups = new Map<string, Map<string, number[]>>();
  const plain: string[] = [];
  const certificate = (w: Location) => (w.serial === undefined ? undefined : `${w.keyType ?? 'other'} ${w.serial}`);
  const perCertificate = new Set(where.map(certificate).filter(Boolean)).size > 1;
  for (const w of where) {
    if (w.file) {
      plain.push(w.file);
      continue;
    }
    if (w.url) {
      plain.push(w.url);
      continue;
    }
    const address = w.address && w.address !== w.target?.replace(/:\d+$/, '') ? w.address : undefined;
    const head = [w.target, address, perCertificate ? certificate(w) : undefined].filter(Boolean).join(' ');
    const byVersion = groups.get(head) ?? new Map<string, number[]>();
    groups.set(head, byVersion);
    if (w.tlsVersion) {
      const list = byVersion.get(w.tlsVersion) ?? [];
      if (w.attempt !== undefined) list.push(w.attempt);
      byVersion.set(w.tlsVersion, list);
    }
  }
  for (const [head, byVersion] of groups) {
    const parts = [...byVersion].map(([v, attempts]) => `TLS ${v}${attempts.length ? ` ${attempts.map((a) => `#${a}`).join(' ')}` : ''}`);
    plain.push([head, parts.join(', ')].filter(Boolean).join(' '));
  }
  return [...new Set(plain)].join('; ');
}

export type TargetView = Report['targets'][number];
export type AttemptView = TargetView['addresses'][number]['attempts'][number];

/** "yes (1a2b3c4d), no, failed": each handshake's staple. */
function stapleMarks(attempts: readonly AttemptView[]): string {
  return attempts.map((x) => (!x.ok ? 'failed' : x.staple ? `yes (${x.staple.slice(0, 8)})` : 'no')).join(', ');
}

/** The protocol and cipher of the first completed handshake, else the first failure's message. */
function negotiated(attempts: readonly AttemptView[]): string {
  const ok = attempts.find((x) => x.ok);
  return ok ? `${ok.protocol} ${ok.cipher}` : (attempts.find((x) => !x.ok)?.error?.message ?? '');
}

/**
 * One certificate: a row per address and TLS version with the default offer's handshakes. The offers of one
 * key type either got this certificate again or were refused (the server has no other kind), so they add
 * nothing a reader needs.
 */
function singleCertificateRows(t: TargetView, options: TableOptions): string {
  const w = options.width;
  const address = Math.min(26, Math.floor(w * 0.25));
  const marks = Math.max(20, Math.floor(w * 0.3));
  const tbl = table(options, [address, 7, marks, Math.max(18, w - address - 7 - marks - 5)], ['Address', 'TLS', 'Staple per handshake', 'Negotiated']);
  for (const a of t.addresses) {
    const own = a.attempts.filter((x) => x.offer === 'default');
    const shown = own.length ? own : a.attempts;
    for (const v of new Set(shown.map((x) => x.tlsVersion))) {
      const attempts = shown.filter((x) => x.tlsVersion === v);
      tbl.push([a.address, v, stapleMarks(attempts), negotiated(attempts)]);
    }
  }
  return tbl.toString();
}

/** A short name per certificate for the handshake rows: the key type, with the serial only when two share it. */
export function shortNames(t: TargetView): Map<string, string> {
  const count = (keyType: string) => t.certificates.filter((c) => c.keyType === keyType).length;
  return new Map(t.certificates.map((c) => [c.leaf.sha256, count(c.keyType) > 1 ? `${c.keyType} ${c.leaf.serial}` : c.keyType]));
}

/**
 * Several certificates: a row per address, TLS version and certificate, with every handshake (of any offer)
 * that got that certificate; the default offer's failed handshakes in a row of their own. An offer refused
 * only says the server has no certificate of that kind, as the findings read it.
 */
function severalCertificateRows(t: TargetView, options: TableOptions): string {
  const w = options.width;
  // Negotiated fits ECDHE-ECDSA-AES128-GCM-SHA256 on one line; the staple marks take what is left.
  const address = Math.min(26, Math.floor(w * 0.2));
  const marks = Math.max(20, w - address - 5 - 13 - 32 - 6);
  const tbl = table(
    options,
    [address, 5, 13, marks, Math.max(18, w - address - 5 - 13 - marks - 6)],
    ['Address', 'TLS', 'Certificate', 'Staple per handshake', 'Negotiated'],
  );
  const names = shortNames(t);
  for (const a of t.addresses) {
    for (const v of new Set(a.attempts.map((x) => x.tlsVersion))) {
      const groups = new Map<string, AttemptView[]>([...names.values()].map((name) => [name, []]));
      for (const x of a.attempts.filter((y) => y.tlsVersion === v)) {
        const leaf = x.chain[0]?.sha256;
        const name = x.ok ? ((leaf ? names.get(leaf) : undefined) ?? 'other') : x.offer === 'default' ? 'none' : null;
        if (name !== null) groups.set(name, [...(groups.get(name) ?? []), x]);
      }
      for (const [name, attempts] of groups) if (attempts.length) tbl.push([a.address, v, name, runs(stapleMarks(attempts)), negotiated(attempts)]);
    }
  }
  return tbl.toString();
}

/** "yes (1a2b3c4d), yes (1a2b3c4d), no" -> "yes (1a2b3c4d) ×2, no": the rows of several certificates hold every offer's handshakes. */
export function runs(marks: string): string {
  const out: { mark: string; n: number }[] = [];
  for (const mark of marks.split(', ')) {
    const last = out.at(-1);
    if (last?.mark === mark) last.n++;
    else out.push({ mark, n: 1 });
  }
  return out.map(({ mark, n }) => (n > 1 ? `${mark} ×${n}` : mark)).join(', ');
}

export const OFFER_LABEL = { default: 'default', rsa: 'RSA', ecdsa: 'ECDSA' } as const;

/** Several certificates: one row each, with the offers that got it, whether it was stapled, and its verdict. */
function certificateRows(report: Report, t: TargetView, options: TableOptions): string {
  const w = options.width;
  const name = Math.max(30, Math.floor(w * 0.38));
  const tbl = table(options, [name, 16, 11, Math.max(20, w - name - 16 - 11 - 5)], ['Certificate', 'Offers', 'Stapled', 'Verdict']);
  for (const { certificate: c, worst } of certificateStates(report, t) ?? []) {
    const about = [
      `${c.keyType} · serial ${c.leaf.serial}${c.mustStaple ? ' · must-staple' : ''}`,
      c.leaf.subject,
      `issuer ${c.issuer?.subject ?? 'not found'}`,
    ];
    const verdict = `${paint(options.color, VERDICT_STYLE[c.verdict], VERDICT_LABEL[c.verdict])}${worst ? `: ${titleClause(worst.code)}` : ''}`;
    tbl.push([about.join('\n'), c.offers.map((o) => OFFER_LABEL[o]).join(', '), c.stapled, verdict]);
  }
  return tbl.toString();
}

function renderHandshakes(report: Report, options: TableOptions): string {
  const out: string[] = [];
  for (const t of report.targets) {
    const sni = t.target.servername ? `SNI ${t.target.servername}` : 'no SNI';
    out.push(paint(options.color, 'bold', `Handshakes with ${t.target.host}:${t.target.port} (${sni})`));
    if (t.addresses.length === 0) {
      out.push('  no address was probed');
      continue;
    }
    const several = t.certificates.length > 1;
    out.push(several ? severalCertificateRows(t, options) : singleCertificateRows(t, options));
    if (several) out.push(certificateRows(report, t, options));
    else if (t.leaf) out.push(`Certificate: ${t.leaf.subject} · serial ${t.leaf.serial} · issuer ${t.leaf.issuer}${t.mustStaple ? ' · must-staple' : ''}`);
    if (t.server.name || t.server.header) {
      out.push(`Server software: ${serverText(t)}`);
    }
    if (t.issuerSource)
      out.push(
        `Issuer${several ? ` of the ${certificateName(t.certificates[0] as CertificateReport)}` : ''}: ${t.issuer?.subject ?? '?'} (from ${ISSUER_SOURCE[t.issuerSource]})`,
      );
    for (const l of t.live) out.push('', renderLive(l, report.at, options));
  }
  return out.join('\n');
}

function renderLive(l: Report['targets'][number]['live'][number], at: string, options: TableOptions): string {
  const title = paint(options.color, 'bold', `Live answer from ${l.url} (${l.method}, ${Math.round(l.durationMs)} ms)`);
  const tbl = table(options, [16, Math.max(30, options.width - 19)]);
  if (l.error) tbl.push(['error', `${l.error.kind}: ${l.error.message}`]);
  if (l.httpStatus !== null) tbl.push(['HTTP', `${l.httpStatus}${l.contentType ? ` ${l.contentType}` : ''}`]);
  if (l.response) tbl.push(['responseStatus', `${l.response.responseStatus} (${l.response.responseStatusCode})`]);
  if (l.certStatus) tbl.push(['certStatus', `${l.certStatus} · serial ${l.leafSerial}`]);
  if (l.thisUpdate) tbl.push(['thisUpdate', `${l.thisUpdate} (${relative(l.thisUpdate, at)})`]);
  if (l.nextUpdate) tbl.push(['nextUpdate', `${l.nextUpdate} (${relative(l.nextUpdate, at)})`]);
  if (l.signer) tbl.push(['signed by', l.signer]);
  tbl.push(['verified', l.valid ? 'yes: comparable with the staple' : 'no (see findings)']);
  return `${title}\n${tbl.toString()}`;
}

function renderStaples(report: Report, options: TableOptions): string {
  const out: string[] = [];
  for (const s of report.staples) {
    const d = s.decoded;
    const title = paint(options.color, 'bold', `Staple ${s.sha256.slice(0, 8)}${d ? ` (${d.length} bytes)` : ''}`);
    out.push(title);
    if (!d) {
      out.push('  does not decode (see findings)');
      continue;
    }
    const tbl = table(options, [16, Math.max(30, options.width - 19)]);
    tbl.push(['responseStatus', `${d.responseStatus} (${d.responseStatusCode})`]);
    if (d.basic) {
      const b = d.basic;
      const r = b.responses;
      for (const [i, single] of r.entries()) {
        const label = r.length > 1 ? `response ${i + 1}` : 'certStatus';
        let status = `${single.certStatus} · serial ${single.certId.serial} · ${single.certId.hashAlgorithm} CertID`;
        if (single.revocationTime) status += ` · revoked ${single.revocationTime}${single.revocationReason ? ` (${single.revocationReason})` : ''}`;
        tbl.push([label, status]);
        if (i === 0 || r.length <= 3) {
          // The CertID as `openssl s_client -status` and `openssl ocsp -resp_text` print it, to set beside theirs.
          tbl.push(['hashAlgorithm', single.certId.hashAlgorithm]);
          tbl.push(['issuerNameHash', single.certId.issuerNameHash]);
          tbl.push(['issuerKeyHash', single.certId.issuerKeyHash]);
          tbl.push(['serialNumber', single.certId.serial]);
          tbl.push(['thisUpdate', `${single.thisUpdate} (${relative(single.thisUpdate, report.at)})`]);
          tbl.push(['nextUpdate', single.nextUpdate ? `${single.nextUpdate} (${relative(single.nextUpdate, report.at)})` : 'absent']);
        }
        if (i >= 2 && r.length > 3) {
          tbl.push(['…', `${r.length - 3} more responses`]);
          break;
        }
      }
      tbl.push(['producedAt', `${b.producedAt} (${relative(b.producedAt, report.at)})`]);
      const rid = 'byName' in b.responderId ? `byName ${b.responderId.byName}` : `byKey ${b.responderId.byKeyHash}`;
      tbl.push(['responderID', rid]);
      tbl.push(['signature', b.signatureAlgorithm.name ?? b.signatureAlgorithm.oid]);
      if (b.certs.length) tbl.push(['certs', b.certs.map((c) => c.subject).join('\n')]);
      if (b.extensions.length) tbl.push(['extensions', b.extensions.map((e) => `${e.name ?? e.oid}${e.critical ? ' (critical)' : ''}`).join(', ')]);
    }
    out.push(tbl.toString());
  }
  return out.join('\n');
}

function renderFindings(report: Report, options: TableOptions): string {
  const findings = report.findings;
  if (findings.length === 0) return paint(options.color, 'green', 'No problems found.');
  const tbl = table(options, [10, Math.max(30, options.width - 13)]);
  for (const f of findings) {
    const info = FINDINGS[f.code];
    const lines = [
      `${paint(options.color, 'bold', info.title)}  [${f.code}]`,
      renderMessage(f),
      paint(options.color, 'dim', `Seen: ${formatWhere(f.where)}`),
      `Fix: ${info.hint}`,
      ...fixesFor(f, report).map((x) => `${SERVER_LABEL[x.server]}: ${x.text}`),
    ];
    tbl.push([paint(options.color, SEVERITY_STYLE[f.severity], SEVERITY_LABEL[f.severity]), lines.join('\n')]);
  }
  return tbl.toString();
}

/** The sections of the long layout, after the headline: findings, handshakes per target, staples. */
export function verboseSections(report: Report, options: TableOptions): string[] {
  const parts = [renderFindings(report, options)];
  if (report.targets.length) parts.push('', renderHandshakes(report, options));
  if (report.staples.length) parts.push('', renderStaples(report, options));
  return parts;
}
