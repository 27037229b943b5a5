/** What the table renderers share: colours, labels, times, word wrapping and the two kinds of cli-table3 table. */
import { SERVERS, type ServerName, type Severity, type TargetReport, type Verdict } from '@staple-probe/core';
import Table from 'cli-table3';

export interface TableOptions {
  /** Total width in columns. */
  readonly width: number;
  /** ANSI colours on or off (off for NO_COLOR and non-terminals). */
  readonly color: boolean;
  /** Everything: each finding's places and every server's fix, the handshakes, live answer and staples in full (`--verbose`). */
  readonly verbose?: boolean;
}

const SGR = { red: 31, yellow: 33, green: 32, magenta: 35, cyan: 36, dim: 2, bold: 1 } as const;
export type Style = keyof typeof SGR;

export function paint(on: boolean, style: Style, text: string): string {
  return on ? `\u001b[${SGR[style]}m${text}\u001b[0m` : text;
}

export const VERDICT_STYLE: Record<Verdict, Style> = { ok: 'green', warn: 'yellow', critical: 'red', unknown: 'magenta' };
export const VERDICT_LABEL: Record<Verdict, string> = { ok: 'OK', warn: 'WARNING', critical: 'CRITICAL', unknown: 'UNKNOWN' };
export const SEVERITY_LABEL: Record<Severity, string> = { info: 'NOTE', warn: 'WARNING', critical: 'CRITICAL', unknown: 'UNKNOWN' };
export const SEVERITY_STYLE: Record<Severity, Style> = { info: 'cyan', warn: 'yellow', critical: 'red', unknown: 'magenta' };
/**
 * The server software of a target and how it was learned: "Exim (SMTP greeting: mx ESMTP Exim 4.96 …)",
 * "nginx (Server: nginx/1.22.1)", "HAProxy (from --server)", or "not recognised (…)".
 */
export function serverText(t: TargetReport): string {
  const protocol = t.starttls ?? t.implicitTls;
  const how = t.server.source === 'flag' ? 'from --server' : protocol ? `${protocol.toUpperCase()} greeting: ${t.server.header}` : `Server: ${t.server.header}`;
  return `${t.server.name ? SERVER_LABEL[t.server.name] : 'not recognised'} (${how})`;
}

/** Each known server's name as people write it. */
export const SERVER_LABEL = Object.fromEntries(Object.entries(SERVERS).map(([name, profile]) => [name, profile.label])) as Record<ServerName, string>;
export const ISSUER_SOURCE = { given: '--issuer', served: 'the served chain', 'ca-file': '--ca-file', aia: 'the AIA caIssuers URL' } as const;

/** "in 7.0d", "60m ago": an instant against the report's. */
export function relative(fromIso: string, atIso: string): string {
  const s = (Date.parse(fromIso) - Date.parse(atIso)) / 1000;
  const abs = Math.abs(s);
  const text =
    abs < 120 ? `${Math.round(abs)}s` : abs < 7200 ? `${Math.round(abs / 60)}m` : abs < 172800 ? `${(abs / 3600).toFixed(1)}h` : `${(abs / 86400).toFixed(1)}d`;
  return s >= 0 ? `in ${text}` : `${text} ago`;
}

/** A table with borders and a line between rows: the verbose layout. */
export function table(options: TableOptions, colWidths: number[], head?: string[]): Table.Table {
  return new Table({
    ...(head ? { head } : {}),
    colWidths,
    wordWrap: true,
    style: { head: options.color ? ['bold'] : [], border: options.color ? ['grey'] : [], compact: false },
  });
}

/** Key/value rows in a frame, without a line between rows: the default layout. */
export function keyValueTable(options: TableOptions, rows: readonly (readonly [string, string])[]): string {
  const key = Math.min(18, Math.max(...rows.map(([k]) => k.length)) + 2);
  const tbl = new Table({
    colWidths: [key, Math.max(30, options.width - key - 3)],
    wordWrap: true,
    style: { head: [], border: options.color ? ['grey'] : [], compact: true },
  });
  tbl.push(...rows.map(([k, v]) => [k, v]));
  return tbl.toString();
}

/**
 * `text` word-wrapped to `width` columns: the first line after `first` (already counted in `indent`
 * columns), the others after `indent` spaces. A word longer than a line is cut.
 */
export function wrap(text: string, width: number, indent: number, first = ' '.repeat(indent)): string[] {
  const room = Math.max(20, width - indent);
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    let rest = word;
    while (rest.length > room) {
      if (line) lines.push(line);
      lines.push(rest.slice(0, room));
      rest = rest.slice(room);
      line = '';
    }
    if (!line) line = rest;
    else if (line.length + 1 + rest.length <= room) line += ` ${rest}`;
    else {
      lines.push(line);
      line = rest;
    }
  }
  if (line || lines.length === 0) lines.push(line);
  return lines.map((l, i) => `${i === 0 ? first : ' '.repeat(indent)}${l}`);
}

/**
 * Word-cut to at most `max` characters, ending in "…" when cut. The compact layout's fix lines: the whole text
 * is in `--verbose`, the JSON and docs/findings.md.
 */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = text.slice(0, max - 1);
  const space = head.lastIndexOf(' ');
  return `${(space > max / 2 ? head.slice(0, space) : head).replace(/[\s,;:]+$/, '')}…`;
}
