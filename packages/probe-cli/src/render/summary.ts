import { type Report, renderMessage, type Verdict } from '@staple-probe/core';
import Table from 'cli-table3';
import type { TableOptions } from './table.js';

const LABEL: Record<Verdict, string> = { ok: 'OK', warn: 'WARNING', critical: 'CRITICAL', unknown: 'UNKNOWN' };
const COLOUR: Record<Verdict, number> = { ok: 32, warn: 33, critical: 31, unknown: 35 };
/** Worst first, so that what needs attention is at the top of a long list; ties keep the input order. */
const ORDER: Record<Verdict, number> = { critical: 0, unknown: 1, warn: 2, ok: 3 };

/** One row per target for runs over many targets, worst verdict first: verdict, stapling verdict and the worst problem. */
export function renderSummary(reports: readonly Report[], options: TableOptions): string {
  const paint = (v: Verdict) => (options.color ? `\u001b[${COLOUR[v]}m${LABEL[v]}\u001b[0m` : LABEL[v]);
  const rest = Math.max(20, options.width - 30 - 10 - 10 - 5);
  const table = new Table({
    head: ['Target', 'Verdict', 'Stapling', 'Worst finding'],
    colWidths: [30, 10, 10, rest],
    wordWrap: true,
    style: { head: options.color ? ['bold'] : [], border: [], compact: true },
  });
  const counts: Record<Verdict, number> = { ok: 0, warn: 0, critical: 0, unknown: 0 };
  const sorted = reports.map((r, i) => ({ r, i })).sort((a, b) => ORDER[a.r.verdict] - ORDER[b.r.verdict] || a.i - b.i);
  for (const { r } of sorted) {
    counts[r.verdict]++;
    const worst = r.findings.find((f) => f.severity !== 'info');
    const t = r.targets[0];
    const name = t ? `${t.target.input}${t.target.servername && !t.target.input.startsWith(t.target.servername) ? ` (SNI ${t.target.servername})` : ''}` : '?';
    table.push([name, paint(r.verdict), paint(r.staplingVerdict), worst ? `${worst.code}: ${renderMessage(worst)}` : '']);
  }
  const tally = (Object.keys(counts) as Verdict[]).map((v) => `${counts[v]} ${LABEL[v]}`).join(', ');
  return `${table.toString()}\n${reports.length} target${reports.length === 1 ? '' : 's'}: ${tally}\n`;
}
