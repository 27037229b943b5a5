import { FINDINGS, type Finding, type FindingInfo, type Report, type ServerName } from '@staple-probe/core';

/** The server software a finding's hints should speak to: its target's, else the report's. */
export function serverOf(finding: Pick<Finding, 'where'>, report: Report): ServerName | null {
  const target = finding.where.find((w) => w.target)?.target;
  const t = target ? report.targets.find((x) => x.target.input === target) : undefined;
  return t ? t.server.name : report.server;
}

/** The server-specific fixes of a finding: the known server's alone, or every server's when unknown. */
export function fixesFor(finding: Finding, report: Report): { server: ServerName; text: string }[] {
  const info: FindingInfo = FINDINGS[finding.code];
  const servers = info.servers ?? {};
  const all = (Object.entries(servers) as [ServerName, string][]).map(([server, text]) => ({ server, text }));
  const known = serverOf(finding, report);
  if (!known) return all;
  return all.filter((f) => f.server === known);
}
