import { FINDINGS, type Finding, type FindingInfo, type Report, SERVERS, type ServerName, type ServerProfile, type ServiceProtocol } from '@staple-probe/core';
import { cut, SERVER_LABEL } from './text.js';

/** The server software a finding's hints should speak to: its target's, else the report's. */
export function serverOf(finding: Pick<Finding, 'where'>, report: Report): ServerName | null {
  const target = finding.where.find((w) => w.target)?.target;
  const t = target ? report.targets.find((x) => x.target.input === target) : undefined;
  return t ? t.server.name : report.server;
}

/** The protocol a finding's target was probed over: its STARTTLS protocol, its implicit-TLS port's, else HTTPS. */
export function protocolOf(finding: Pick<Finding, 'where'>, report: Report): ServiceProtocol {
  const target = finding.where.find((w) => w.target)?.target;
  const t = target ? report.targets.find((x) => x.target.input === target) : report.targets[0];
  return t?.starttls ?? t?.implicitTls ?? 'https';
}

/**
 * The server-specific fixes of a finding: the known server's alone; when the server is not known, those of
 * the usual servers of the target's protocol (nginx, Apache, HAProxy and Caddy for HTTPS; Exim and Postfix
 * for SMTP; …), so that a web server's report does not list a mail server's directives.
 */
export function fixesFor(finding: Finding, report: Report): { server: ServerName; text: string }[] {
  const info: FindingInfo = FINDINGS[finding.code];
  const servers = info.servers ?? {};
  const all = (Object.entries(servers) as [ServerName, string][]).map(([server, text]) => ({ server, text }));
  const known = serverOf(finding, report);
  if (known) return all.filter((f) => f.server === known);
  const protocol = protocolOf(finding, report);
  return all.filter((f) => (SERVERS[f.server] as ServerProfile).usualFor.includes(protocol));
}

/** The usual servers of a finding's protocol, whose fixes an unknown server gets (for "--server a|b|…"). */
export function usualServers(finding: Finding, report: Report): ServerName[] {
  const protocol = protocolOf(finding, report);
  return (Object.keys(SERVERS) as ServerName[]).filter((name) => (SERVERS[name] as ServerProfile).usualFor.includes(protocol));
}

/** `text` without its asides: each " (…)" outside backticks goes, nested ones with it. */
export function withoutAsides(text: string): string {
  let out = '';
  let depth = 0;
  let code = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (c === '`') code = !code;
    else if (!code && c === '(' && (depth > 0 || text.charAt(i - 1) === ' ')) {
      if (depth === 0) out = out.replace(/ $/, '');
      depth++;
      continue;
    } else if (!code && c === ')' && depth > 0) {
      depth--;
      continue;
    }
    if (depth === 0) out += c;
  }
  return out;
}

/** The sentences of a hint: split after ".", "!" or "?" and a space, but not after "e.g." or "i.e.". */
export function sentencesOf(text: string): string[] {
  return text
    .split(/(?<=(?<!\be\.g|\bi\.e)[.!?])\s+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * The longest run of whole sentences that `fits`, from the start (a server's fix leads with the directive) or
 * from the end (a hint ends with the action); else, for a hint, the last single sentence that fits; else the
 * first sentence word-cut.
 */
function fitted(sentences: readonly string[], fits: (text: string) => boolean, fromEnd: boolean): string {
  const ordered = fromEnd ? [...sentences].reverse() : [...sentences];
  let best = '';
  for (let n = 1; n <= ordered.length; n++) {
    const run = ordered.slice(0, n);
    const text = (fromEnd ? run.reverse() : run).join(' ');
    if (!fits(text)) break;
    best = text;
  }
  if (best) return best;
  // A hint's last sentence may be long and an earlier one the action; a server's fix starts with the directive.
  const single = fromEnd ? ordered.find((s) => fits(s)) : undefined;
  if (single) return single;
  const first = ordered[0] ?? '';
  for (let max = first.length - 1; max > 10; max -= 3) if (fits(cut(first, max))) return cut(first, max);
  return cut(first, 10);
}

/**
 * The fix the compact table prints for a finding: the detected server's own (its first sentences without
 * asides; the directive leads), else the generic hint (its last sentences without asides; the action ends it),
 * as much as `fits`. `label` is the server's name, or "Fix" for the generic one.
 */
export function shortFix(finding: Finding, report: Report, fits: (text: string) => boolean): { label: string; text: string } {
  const own = fixesFor(finding, report);
  const server = serverOf(finding, report);
  const mine = server ? own.find((f) => f.server === server) : undefined;
  if (mine)
    return { label: SERVER_LABEL[mine.server], text: fitted(sentencesOf(withoutAsides(mine.text)), (t) => fits(`${SERVER_LABEL[mine.server]}: ${t}`), false) };
  return { label: 'Fix', text: fitted(sentencesOf(withoutAsides(FINDINGS[finding.code].hint)), (t) => fits(`Fix: ${t}`), true) };
}

/**
 * Whether a finding words its fix per server, the server is not known and one of the usual servers of its
 * protocol has a fix for it: the table says how to get them.
 */
export function wantsServer(finding: Finding, report: Report): boolean {
  return serverOf(finding, report) === null && fixesFor(finding, report).length > 0;
}
