import { FINDINGS, type FindingCode, type Location, type Report, renderMessage, type ServerName, type Severity } from '@staple-probe/core';
import { fixesFor } from './fixes.js';
import { exitCodeOf } from '../exit-code.js';
import { type Scope, scopedVerdict } from '../scope.js';

/** The JSON document `--format json` prints: the report plus wording, versioned by `schemaVersion`. */
export interface JsonReport {
  readonly schemaVersion: 2;
  readonly tool: { readonly name: 'staple-probe'; readonly version: string };
  readonly kind: Report['kind'];
  readonly at: string;
  readonly verdict: Report['verdict'];
  /** The verdict over the stapling findings alone (certificate and connection problems left out). */
  readonly staplingVerdict: Report['verdict'];
  /** What `exitCode` follows: every finding, or the stapling verdict alone (`--scope`). */
  readonly scope: Scope;
  readonly exitCode: 0 | 1 | 2 | 3;
  readonly findings: readonly {
    readonly code: FindingCode;
    readonly severity: Severity;
    readonly title: string;
    readonly message: string;
    readonly hint: string;
    readonly docs: string;
    /** The fix per server software: only the detected (or --server) one when known, else each. */
    readonly fixes: readonly { readonly server: ServerName; readonly text: string }[];
    readonly args: Readonly<Record<string, string | number | boolean | null>>;
    readonly where: readonly Location[];
  }[];
  readonly targets: Report['targets'];
  readonly server: Report['server'];
  readonly staples: Report['staples'];
}

/** `scope` decides `exitCode` (the process's exit code); both verdicts are always given. */
export function toJsonReport(report: Report, version: string, scope: Scope = 'all'): JsonReport {
  return {
    schemaVersion: 2,
    tool: { name: 'staple-probe', version },
    kind: report.kind,
    at: report.at,
    verdict: report.verdict,
    staplingVerdict: report.staplingVerdict,
    scope,
    exitCode: exitCodeOf(scopedVerdict(report, scope)),
    findings: report.findings.map((f) => ({
      code: f.code,
      severity: f.severity,
      title: FINDINGS[f.code].title,
      message: renderMessage(f),
      hint: FINDINGS[f.code].hint,
      docs: FINDINGS[f.code].docs,
      fixes: fixesFor(f, report),
      args: f.args,
      where: f.where,
    })),
    targets: report.targets,
    server: report.server,
    staples: report.staples,
  };
}

export function renderJson(report: Report, version: string, scope: Scope = 'all'): string {
  return `${JSON.stringify(toJsonReport(report, version, scope), null, 2)}\n`;
}
