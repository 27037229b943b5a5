import type { Verdict } from '@staple-probe/core';

/** One finished probe as the `/` page lists it, with its debug output for `/logs?id=N`. */
export interface ProbeRecord {
  readonly id: number;
  readonly at: Date;
  /** The target as written in the scrape URL. */
  readonly target: string;
  readonly module: string;
  /** The verdict `staple_probe_verdict` showed (the module's scope), or `error` when the exporter failed. */
  readonly verdict: Verdict | 'error';
  readonly durationSeconds: number;
  /** The debug output (as `debug=true` answers), rendered only when asked: most probes are never looked at. */
  readonly debug: () => string;
}

/**
 * The last `limit` probes, oldest dropped first: memory stays bounded (each keeps its report, a few tens
 * of KiB) however long the exporter runs. Debug output is cut at `maxDebugChars` when rendered.
 */
export class ProbeHistory {
  readonly #records: ProbeRecord[] = [];
  #next = 1;

  constructor(
    readonly limit = 100,
    readonly maxDebugChars = 65_536,
  ) {}

  add(record: Omit<ProbeRecord, 'id'>): ProbeRecord {
    const max = this.maxDebugChars;
    const debug = () => {
      const text = record.debug();
      return text.length > max ? `${text.slice(0, max)}\n… cut at ${max} characters\n` : text;
    };
    const kept = { ...record, debug, id: this.#next++ };
    this.#records.push(kept);
    if (this.#records.length > this.limit) this.#records.shift();
    return kept;
  }

  /** The probe with this id, while it is among the last `limit`. */
  get(id: number): ProbeRecord | undefined {
    return this.#records.find((r) => r.id === id);
  }

  /** Newest first. */
  list(): ProbeRecord[] {
    return [...this.#records].reverse();
  }
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for HTML content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] as string);
}

const STYLE = `body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse}
th,td{text-align:left;padding:.2em .8em;border-bottom:1px solid #ddd}td.num{text-align:right;font-variant-numeric:tabular-nums}
.ok{color:#070}.warn{color:#a60}.critical,.error{color:#b00}.unknown{color:#80a}`;

function row(r: ProbeRecord): string {
  const probeAgain = `/probe?target=${encodeURIComponent(r.target)}&module=${encodeURIComponent(r.module)}&debug=true`;
  return `<tr><td>${r.at.toISOString()}</td><td>${escapeHtml(r.target)}</td><td>${escapeHtml(r.module)}</td><td class="verdict ${r.verdict}">${r.verdict}</td><td class="num">${r.durationSeconds.toFixed(3)} s</td><td><a href="/logs?id=${r.id}">log</a> · <a href="${escapeHtml(probeAgain)}">probe again</a></td></tr>`;
}

/** The `/` page: the endpoints, the modules, and the recent probes newest first. Every user-given text is escaped. */
export function renderIndex(records: readonly ProbeRecord[], modules: readonly string[], limit: number): string {
  const rows = records.length ? records.map(row).join('\n') : '<tr><td colspan="6">No probe yet: scrape <code>/probe?target=host:port</code>.</td></tr>';
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>staple-probe exporter</title><style>${STYLE}</style></head>
<body><h1>staple-probe exporter</h1>
<p>Probes a TLS server's OCSP stapling per scrape, in the pattern of blackbox_exporter.</p>
<ul>
<li><a href="/probe?target=example.com:443">/probe?target=host:port</a> (optional <code>module=</code>, <code>servername=</code>, <code>debug=true</code>)</li>
<li><a href="/metrics">/metrics</a>: the exporter's own metrics</li>
<li>modules: ${modules.map((m) => `<code>${escapeHtml(m)}</code>`).join(', ')}</li>
</ul>
<h2>Recent probes</h2>
<p>The last ${limit}, newest first.</p>
<table id="probes"><thead><tr><th>time</th><th>target</th><th>module</th><th>verdict</th><th>duration</th><th>debug</th></tr></thead>
<tbody>
${rows}
</tbody></table>
</body></html>
`;
}
