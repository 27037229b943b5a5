/**
 * docs/monitoring.md and its companions stay usable: the alerting rules load and pass their unit tests,
 * every Prometheus configuration shown on the page passes `promtool check config`, the modules files shown
 * parse, and every metric the exporter registers is documented.
 *
 * promtool is required in CI (CI=true): there a missing promtool fails the promtool tests. Elsewhere those
 * tests return early, so the suite runs on machines without Prometheus installed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../packages/probe-cli/src/serve/config.js';
import { moduleOf } from '../cli/run.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const DOC = read('docs/monitoring.md');
const PROMTOOL = process.env.PROMTOOL ?? 'promtool';

function hasPromtool(): boolean {
  const run = spawnSync(PROMTOOL, ['--version'], { encoding: 'utf8' });
  return run.error === undefined && run.status === 0;
}
const HAVE_PROMTOOL = hasPromtool();

/** Run promtool from the repository root; the output is returned whole so a failure shows promtool's reasons. */
function promtool(...args: string[]): { status: number | null; output: string } {
  const run = spawnSync(PROMTOOL, args, { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, output: `${run.stdout ?? ''}${run.stderr ?? ''}${run.error ? String(run.error) : ''}` };
}

/** The bodies of the ```yaml fences of a Markdown page, with the line each starts on. */
function yamlBlocks(markdown: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  let current: { line: number; lines: string[] } | null = null;
  for (const [i, line] of markdown.split(/\r?\n/).entries()) {
    if (current) {
      if (/^\s*```\s*$/.test(line)) {
        out.push({ line: current.line, text: `${current.lines.join('\n')}\n` });
        current = null;
      } else current.lines.push(line);
    } else if (/^\s*```ya?ml\s*$/.test(line)) current = { line: i + 2, lines: [] };
  }
  expect(current, 'an unclosed ```yaml fence').toBeNull();
  return out;
}

/** Top-level keys of each YAML document in a block (a block may hold several `---` documents). */
function topLevelKeys(text: string): Set<string> {
  return new Set([...text.matchAll(/^([A-Za-z_][\w-]*):/gm)].map((m) => m[1] as string));
}

/** The text of a `key: |` literal block scalar: the lines indented deeper than the key, dedented. */
function literalBlock(text: string, key: string): string {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => new RegExp(`^\\s*${key.replace(/\./g, '\\.')}: \\|\\s*$`).test(l));
  expect(start, `no "${key}: |" block`).toBeGreaterThanOrEqual(0);
  const indent = (lines[start] as string).search(/\S/);
  const body: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() !== '' && line.search(/\S/) <= indent) break;
    body.push(line);
  }
  const inner = Math.min(...body.filter((l) => l.trim() !== '').map((l) => l.search(/\S/)));
  return `${body.map((l) => l.slice(inner)).join('\n')}\n`;
}

const BLOCKS = yamlBlocks(DOC);
const PROMETHEUS_CONFIGS = BLOCKS.filter((b) => topLevelKeys(b.text).has('scrape_configs'));
const MODULES_FILES = BLOCKS.filter((b) => topLevelKeys(b.text).has('modules'));

const tmp = mkdtempSync(join(tmpdir(), 'staple-probe-monitoring-doc-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('docs/alerts.yml and docs/alerts.test.yml', () => {
  it('promtool check rules docs/alerts.yml', () => {
    if (!HAVE_PROMTOOL) {
      // No promtool on this machine: nothing to check with. CI must have it, so fail there.
      expect(process.env.CI, `${PROMTOOL} not found, and CI requires it`).not.toBe('true');
      return;
    }
    const run = promtool('check', 'rules', 'docs/alerts.yml');
    expect(run.status, run.output).toBe(0);
  });

  it('promtool test rules docs/alerts.test.yml', () => {
    if (!HAVE_PROMTOOL) {
      // No promtool on this machine: nothing to check with. CI must have it, so fail there.
      expect(process.env.CI, `${PROMTOOL} not found, and CI requires it`).not.toBe('true');
      return;
    }
    const run = promtool('test', 'rules', 'docs/alerts.test.yml');
    expect(run.status, run.output).toBe(0);
  });
});

describe('docs/monitoring.md', () => {
  it('shows Prometheus configurations (```yaml blocks with scrape_configs)', () => {
    expect(PROMETHEUS_CONFIGS.length).toBeGreaterThanOrEqual(3);
  });

  it('every Prometheus configuration passes promtool check config', () => {
    if (!HAVE_PROMTOOL) {
      // No promtool on this machine: nothing to check with. CI must have it, so fail there.
      expect(process.env.CI, `${PROMTOOL} not found, and CI requires it`).not.toBe('true');
      return;
    }
    const failures: string[] = [];
    for (const block of PROMETHEUS_CONFIGS) {
      // rule_files are resolved next to the config: give the block the real alerts.yml to find.
      const dir = mkdtempSync(join(tmp, 'config-'));
      writeFileSync(join(dir, 'alerts.yml'), read('docs/alerts.yml'));
      const file = join(dir, 'prometheus.yml');
      writeFileSync(file, block.text);
      const run = promtool('check', 'config', file);
      if (run.status !== 0) failures.push(`docs/monitoring.md line ${block.line}:\n${run.output}`);
    }
    expect(failures.join('\n')).toBe('');
  });

  it('every modules file shown parses as probe serve --config', () => {
    const defaults = moduleOf();
    // The Kubernetes ConfigMap embeds one too, as a `modules.yaml: |` literal block.
    const embedded = BLOCKS.filter((b) => /^kind: ConfigMap$/m.test(b.text)).map((b) => literalBlock(b.text, 'modules.yaml'));
    const files = [...MODULES_FILES.map((b) => b.text), ...embedded];
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const text of files) expect(() => parseConfig(text, 'docs/monitoring.md', defaults)).not.toThrow();
  });

  it('documents every metric the exporter registers', () => {
    const names = new Set<string>();
    for (const source of ['packages/probe-cli/src/serve/metrics.ts', 'packages/probe-cli/src/serve/exporter.ts']) {
      const text = read(source);
      // gauge('name', ...) in metrics.ts, and new Gauge/Counter/Histogram({ name: '...' }) anywhere.
      for (const m of text.matchAll(/\bgauge\(\s*['"`]([a-zA-Z_:][a-zA-Z0-9_:]*)['"`]/g)) names.add(m[1] as string);
      for (const m of text.matchAll(/\bname:\s*['"`]([a-zA-Z_:][a-zA-Z0-9_:]*)['"`]/g)) names.add(m[1] as string);
    }
    // The scan must see the registry: these are known to exist, so an empty or partial scan fails here.
    expect([...names]).toEqual(expect.arrayContaining(['probe_success', 'staple_probe_verdict', 'staple_probe_finding', 'staple_probe_exporter_probes_total']));
    const missing = [...names].filter((name) => !new RegExp(`(?<![\\w:])${name}(?![\\w:])`).test(DOC));
    expect(missing).toEqual([]);
  });
});
