import { type Report, renderMessage } from '@staple-probe/core';
import { VERSION } from '../cli.js';
import { renderJson } from '../render/json.js';
import { formatWhere } from '../render/table.js';
import { moduleYaml } from './config.js';
import type { Module } from './exporter.js';

/** What one probe left behind, for `/probe?…&debug=true` and `/logs?id=N`. */
export interface ProbeTrace {
  readonly target: string;
  readonly moduleName: string;
  readonly module: Module;
  /** null when the exporter failed before a report existed. */
  readonly report: Report | null;
  /** The error when the exporter failed. */
  readonly error?: string;
  /** The probe's log lines, whatever the exporter's log level. */
  readonly logs: readonly string[];
  /** The metrics the scrape answered (or would have). */
  readonly metrics: string;
}

const LABEL = { info: 'NOTE', warn: 'WARNING', critical: 'CRITICAL', unknown: 'UNKNOWN' } as const;

function findingLines(report: Report): string {
  if (report.findings.length === 0) return 'none';
  return report.findings.map((f) => `${LABEL[f.severity].padEnd(8)} ${f.code}: ${renderMessage(f)}\n         seen: ${formatWhere(f.where)}`).join('\n');
}

/**
 * The debug output of one probe, as blackbox_exporter's `debug=true` gives it: the probe's log lines, its
 * findings with their messages and places, the full report as `probe --json` prints it, the metrics, and
 * the module. Plain text. The JSON report, not the table: cli-table3 wraps long cells in time that grows
 * with their length (1.1 to 3.6 s for the 97-line table of an expired staple, measured on Node 20), and that
 * would stall every other scrape of the exporter; the JSON takes about a millisecond.
 */
export function renderDebug(trace: ProbeTrace): string {
  const sections: [string, string][] = [['Logs for the probe:', trace.logs.join('\n')]];
  if (trace.report) {
    sections.push(['Findings:', findingLines(trace.report)]);
    sections.push(['Report (as probe --json prints it):', renderJson(trace.report, VERSION, trace.module.scope).trimEnd()]);
  } else {
    sections.push(['Probe failed:', trace.error ?? 'unknown error']);
  }
  sections.push(['Metrics that would have been returned:', trace.metrics.trimEnd()]);
  sections.push([`Module configuration (${trace.moduleName}):`, moduleYaml(trace.module)]);
  return `${sections.map(([title, body]) => `${title}\n${body}`).join('\n\n')}\n`;
}
