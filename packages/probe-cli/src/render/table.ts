import { FINDINGS, type Location, type Report, renderMessage, type Severity, type Verdict } from '@staple-probe/core';
import Table from 'cli-table3';
import { fixesFor } from './fixes.js';

export interface TableOptions {
  /** Total width in columns. */
  readonly width: number;
  /** ANSI colours on or off (off for NO_COLOR and non-terminals). */
  readonly color: boolean;
}

const SGR = { red: 31, yellow: 33, green: 32, magenta: 35, cyan: 36, dim: 2, bold: 1 } as const;
type Style = keyof typeof SGR;

function paint(on: boolean, style: Style, text: string): string {
  return on ? `\u001b[${SGR[style]}m${text}\u001b[0m` : text;
}

const VERDICT_STYLE: Record<Verdict, Style> = { ok: 'green', warn: 'yellow', critical: 'red', unknown: 'magenta' };
const SEVERITY_LABEL: Record<Severity, string> = { info: 'NOTE', warn: 'WARNING', critical: 'CRITICAL', unknown: 'UNKNOWN' };
const SEVERITY_STYLE: Record<Severity, Style> = { info: 'cyan', warn: 'yellow', critical: 'red', unknown: 'magenta' };
const VERDICT_LABEL: Record<Verdict, string> = { ok: 'OK', warn: 'WARNING', critical: 'CRITICAL', unknown: 'UNKNOWN' };

function table(options: TableOptions, colWidths: number[], head?: string[]): Table.Table {
  return new Table({
    ...(head ? { head } : {}),
    colWidths,
    wordWrap: true,
    style: { head: options.color ? ['bold'] : [], border: options.color ? ['grey'] : [], compact: false },
  });
}

/** "127.0.0.1 TLS 1.2 #1 #2, TLS 1.3 #1" — where a finding was seen, compressed per address. */
export function formatWhere(where: readonly Location[]): string {
  const groups = new Map<string, Map<string, number[]>>();
  const plain: string[] = [];
  for (const w of where) {
    if (w.file) {
      plain.push(w.file);
      continue;
    }
    if (w.url) {
      plain.push(w.url);
      continue;
    }
    const head = [w.target, w.address && w.address !== w.target?.replace(/:\d+$/, '') ? w.address : undefined].filter(Boolean).join(' ');
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

function relative(fromIso: string, atIso: string): string {
  const s = (Date.parse(fromIso) - Date.parse(atIso)) / 1000;
  const abs = Math.abs(s);
  const text =
    abs < 120 ? `${Math.round(abs)}s` : abs < 7200 ? `${Math.round(abs / 60)}m` : abs < 172800 ? `${(abs / 3600).toFixed(1)}h` : `${(abs / 86400).toFixed(1)}d`;
  return s >= 0 ? `in ${text}` : `${text} ago`;
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
    const w = options.width;
    const tbl = table(
      options,
      [
        Math.min(26, Math.floor(w * 0.25)),
        7,
        Math.max(20, Math.floor(w * 0.3)),
        Math.max(18, w - Math.min(26, Math.floor(w * 0.25)) - 7 - Math.max(20, Math.floor(w * 0.3)) - 5),
      ],
      ['Address', 'TLS', 'Staple per handshake', 'Negotiated'],
    );
    for (const a of t.addresses) {
      const versions = [...new Set(a.attempts.map((x) => x.tlsVersion))];
      for (const v of versions) {
        const attempts = a.attempts.filter((x) => x.tlsVersion === v);
        const marks = attempts.map((x) => (!x.ok ? 'failed' : x.staple ? `yes (${x.staple.slice(0, 8)})` : 'no')).join(', ');
        const ok = attempts.find((x) => x.ok);
        const failed = attempts.find((x) => !x.ok);
        const negotiated = ok ? `${ok.protocol} ${ok.cipher}` : (failed?.error?.message ?? '');
        tbl.push([a.address, v, marks, negotiated]);
      }
    }
    out.push(tbl.toString());
    if (t.leaf) out.push(`Certificate: ${t.leaf.subject} · serial ${t.leaf.serial} · issuer ${t.leaf.issuer}${t.mustStaple ? ' · must-staple' : ''}`);
    if (t.server.name || t.server.header) {
      const how = t.server.source === 'flag' ? 'from --server' : `Server: ${t.server.header}`;
      out.push(`Server software: ${t.server.name ? SERVER_LABEL[t.server.name] : 'not recognised'} (${how})`);
    }
    if (t.issuerSource) out.push(`Issuer: ${t.issuer?.subject ?? '?'} (from ${ISSUER_SOURCE[t.issuerSource]})`);
    for (const l of t.live) out.push('', renderLive(l, report.at, options));
  }
  return out.join('\n');
}

const ISSUER_SOURCE = { given: '--issuer', served: 'the served chain', 'ca-file': '--ca-file', aia: 'the AIA caIssuers URL' } as const;

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

const SERVER_LABEL = { nginx: 'nginx', apache: 'Apache', haproxy: 'HAProxy', caddy: 'Caddy' } as const;

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

/** The one-line diagnosis: verdict and the worst finding's message. */
export function headline(report: Report): string {
  const worst = report.findings.find((f) => f.severity !== 'info');
  const subject = report.kind === 'inspect' ? 'OCSP response' : 'OCSP stapling';
  if (!worst) {
    const note = report.findings.find((f) => f.severity === 'info');
    return `${subject} ${VERDICT_LABEL[report.verdict]}${note ? ` (${renderMessage(note)})` : ''}`;
  }
  const more = report.findings.filter((f) => f.severity !== 'info').length - 1;
  const stapling = report.staplingVerdict !== report.verdict ? `; stapling alone: ${VERDICT_LABEL[report.staplingVerdict]}` : '';
  return `${subject} ${VERDICT_LABEL[report.verdict]}: ${renderMessage(worst)}${more > 0 ? ` (+${more} more)` : ''}${stapling}`;
}

/** Human output that reads like a diagnosis: verdict first, then each finding with its meaning and fix. */
export function renderTable(report: Report, options: TableOptions): string {
  const targets = report.targets.map((t) => t.target.input).join(', ');
  const parts = [
    paint(options.color, 'dim', `staple-probe ${report.kind === 'inspect' ? 'inspect' : targets} · judged at ${report.at}`),
    paint(options.color, VERDICT_STYLE[report.verdict], paint(options.color, 'bold', headline(report))),
    '',
    renderFindings(report, options),
  ];
  if (report.targets.length) parts.push('', renderHandshakes(report, options));
  if (report.staples.length) parts.push('', renderStaples(report, options));
  return `${parts.join('\n')}\n`;
}
