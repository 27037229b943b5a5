import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { type BenchResults, compareBench, FLOOR, historyFiles, meets, pruneHistory, renderComparison } from '../../bench/compare.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** A results file as `pnpm bench` writes it, reduced to the fields the comparison reads. */
function results(over: { cold: number; coldMs: number; pipelineMs: number; library: number; nginx?: number; rss1000: number; commit?: string }): BenchResults {
  // Each round's library ratio within ±0.05 of the median; the cold probe's times within ±10%.
  const server = (ratio: number) => ({ ratio, ratioPerRound: { median: ratio, min: ratio - 0.05, max: ratio + 0.05 }, ratioToRawValidating: ratio + 0.1, chainCeiling: 0.7, ratioSteady: 0.55, library: { median: 300 }, cpuMsPerEndpoint: { library: { median: 4 }, raw: { median: 1.3 } }, liveRequestsPerCertificate: 1, stapleVerificationsPerStaple: 1 });
  return {
    ...(over.commit ? { commit: over.commit, dirty: false, date: '2026-11-30T03:00:00.000Z' } : {}),
    node: 'v20.20.2',
    startup: {
      'node -e 0': { ms: { median: over.coldMs / over.cold }, ratioToNode: 1 },
      'probe host (bundle, live on)': { ms: { median: over.coldMs, min: over.coldMs * 0.9, max: over.coldMs * 1.1 }, ratioToNode: over.cold },
      'openssl s_client -status + openssl ocsp': { ms: { median: over.pipelineMs } },
    },
    throughput: { node: server(over.library), ...(over.nginx === undefined ? {} : { nginx: server(over.nginx) }) },
    memory: { '100': { maxRssMiB: 78 }, '1000': { maxRssMiB: over.rss1000 }, '5000': { maxRssMiB: 120 } },
  };
}

const before = results({ cold: 4, coldMs: 200, pipelineMs: 50, library: 0.4, rss1000: 110, commit: 'aaaaaaaaaaaaaaaa' });
const after = results({ cold: 3, coldMs: 150, pipelineMs: 50, library: 0.36, nginx: 0.5, rss1000: 160, commit: 'bbbbbbbbbbbbbbbb' });

describe('pnpm bench:compare', () => {
  const rows = compareBench(before, after);
  const row = (name: string) => rows.find((r) => r.name === name);

  it('computes each change from the two runs, and which way is better', () => {
    expect(row('cold probe ÷ node -e 0')).toMatchObject({ before: 4, after: 3, better: 'lower', goal: { op: '<=', value: 2.5 } });
    expect(row('cold probe ÷ node -e 0')?.change).toBeCloseTo(-0.25, 10);
    expect(row('cold probe ÷ openssl pipeline')).toMatchObject({ before: 4, after: 3 });
    expect(row('node: library ÷ raw')?.change).toBeCloseTo(-0.1, 10);
    expect(row('node: library ÷ raw')?.better).toBe('higher');
    const validating = row('node: library ÷ raw validating the chain');
    expect(validating?.before).toBeCloseTo(0.5, 10);
    expect(validating?.after).toBeCloseTo(0.46, 10);
    expect(validating?.better).toBe('higher');
    expect(row('node: library ÷ raw')?.overlap).toBe(true);
    // Neither run measured the raw loop in a fresh process.
    expect(row('node: library ÷ raw in a fresh process')).toMatchObject({ before: null, after: null, change: null });
    expect(row('cold probe, ms')?.overlap).toBe(false);
    // No range kept for it: neither overlapping nor apart.
    expect(row('cold probe ÷ openssl pipeline')?.overlap).toBeNull();
  });

  it('a figure one run lacks has no change: nginx only in the second, no round-trip rows in either', () => {
    expect(row('nginx: library ÷ raw')).toMatchObject({ before: null, after: 0.5, change: null });
    expect(row('50 ms round trip: probe, ms')).toMatchObject({ before: null, after: null, change: null });
    expect(row('50 ms round trip and connect, nginx: probe ÷ pipeline')).toMatchObject({ before: null, after: null, change: null });
    // Without either run measuring nginx, it has no rows at all.
    expect(compareBench(before, before).some((r) => r.name.startsWith('nginx'))).toBe(false);
  });

  it('the floor prober: its ratio to node -e 0 and the cold probe against it, none when a run lacks it', () => {
    const withFloor: BenchResults = { ...after, startup: { ...after.startup, [FLOOR]: { ms: { median: 100, min: 90, max: 120 }, ratioToNode: 2, ratioToNodePerRound: { min: 1.8, max: 2.4 } } } };
    const floorRows = compareBench(before, withFloor);
    expect(floorRows.find((r) => r.name === 'floor prober ÷ node -e 0')).toMatchObject({ before: null, after: 2, better: 'lower' });
    // 150 ms cold probe ÷ 100 ms floor.
    expect(floorRows.find((r) => r.name === 'cold probe ÷ floor prober')?.after).toBeCloseTo(1.5, 10);
    expect(floorRows.find((r) => r.name === 'cold probe ÷ floor prober')?.before).toBeNull();
    const fresh: BenchResults = { ...after, throughput: { node: { ...after.throughput?.node, ratioToRawFresh: 0.5, ratioToRawFreshPerRound: { median: 0.5, min: 0.45, max: 0.55 } } } };
    expect(compareBench(after, fresh).find((r) => r.name === 'node: library ÷ raw in a fresh process')).toMatchObject({ before: null, after: 0.5, better: 'higher' });
  });

  it('goals: ≤, ≥ and exactly 1', () => {
    expect(meets({ op: '<=', value: 2.5 }, 2.5)).toBe(true);
    expect(meets({ op: '<=', value: 2.5 }, 2.51)).toBe(false);
    expect(meets({ op: '>=', value: 0.8 }, 0.79)).toBe(false);
    expect(meets({ op: '>=', value: 0.8 }, 0.8)).toBe(true);
    expect(meets({ op: '=', value: 1 }, 1)).toBe(true);
    expect(meets({ op: '=', value: 1 }, 1.5)).toBe(false);
  });

  it('renders the commits, the changes as better or worse, and each goal as met or not', () => {
    const text = renderComparison(before, after, ['a.json', 'b.json']);
    expect(text).toContain('aaaaaaaaaa');
    expect(text).toContain('bbbbbbbbbb');
    const line = (name: string) => text.split('\n').find((l) => l.includes(name)) ?? '';
    expect(line('cold probe ÷ node -e 0')).toMatch(/-25\.0% better.*≤ 2\.5 not met/);
    // 0.40 (0.35–0.45) against 0.36 (0.31–0.41): within both runs' spread.
    expect(line('node: library ÷ raw')).toMatch(/-10\.0% \(ranges overlap\).*≥ 0\.8 not met/);
    // 200 ms (180–220) against 150 ms (135–165): apart.
    expect(line('cold probe, ms')).toMatch(/-25\.0% better/);
    expect(line('peak RSS, 1000 targets')).toMatch(/\+45\.5% worse.*≤ 150 not met/);
    expect(line('node: live requests per certificate')).toMatch(/\+0\.0%.*1 met/);
  });

  describe('the command', () => {
    const dir = mkdtempSync(join(tmpdir(), 'staple-probe-compare-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', join(root, 'bench/compare.ts'), ...args], { cwd: root, encoding: 'utf8' });

    it('compares two files given on the command line', () => {
      writeFileSync(join(dir, 'a.json'), JSON.stringify(before));
      writeFileSync(join(dir, 'b.json'), JSON.stringify(after));
      const out = run(join(dir, 'a.json'), join(dir, 'b.json'));
      expect(out.stderr).toBe('');
      expect(out.status).toBe(0);
      expect(out.stdout).toMatch(/cold probe ÷ node -e 0.*4\.00.*3\.00.*-25\.0% better/);
    });

    it('without arguments, the two newest runs of the history; with fewer than two there, exit 2 and what to do', () => {
      const history = join(dir, 'history');
      mkdirSync(history);
      writeFileSync(join(dir, 'a.json'), JSON.stringify(before));
      const inHistory = (...args: string[]) =>
        spawnSync(process.execPath, ['--import', 'tsx', join(root, 'bench/compare.ts'), ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, BENCH_HISTORY: history } });
      writeFileSync(join(history, '2026-11-30T01-00-00-000Z-aaaaaaaaaa.json'), JSON.stringify(before));
      const lonely = inHistory();
      expect(lonely.status).toBe(2);
      expect(lonely.stderr).toMatch(/give two results files .* run `pnpm bench` twice/);
      writeFileSync(join(history, '2026-11-30T02-00-00-000Z-bbbbbbbbbb.json'), JSON.stringify(after));
      writeFileSync(join(history, '2026-11-29T23-00-00-000Z-cccccccccc.json'), JSON.stringify(results({ cold: 9, coldMs: 450, pipelineMs: 50, library: 0.1, rss1000: 100, commit: 'cccccccccccc' })));
      const two = inHistory();
      expect(two.status).toBe(0);
      // The two newest by name (time first), oldest of them as "before".
      expect(two.stdout).toMatch(/aaaaaaaaaa.*bbbbbbbbbb/);
      expect(two.stdout).not.toContain('cccccccccc');
      // One file given: it against the newest.
      expect(inHistory(join(dir, 'a.json')).stdout).toMatch(/cold probe ÷ node -e 0.*4\.00.*3\.00/);
    });

    it('a missing or malformed file: a one-line error and exit 2, no stack trace', () => {
      writeFileSync(join(dir, 'bad.json'), '{ not json');
      for (const args of [[join(dir, 'a.json'), join(dir, 'missing.json')], [join(dir, 'bad.json'), join(dir, 'a.json')]]) {
        const out = run(...args);
        expect(out.status).toBe(2);
        expect(out.stderr).toMatch(/^bench:compare: cannot read .*\n$/);
        expect(out.stderr).not.toMatch(/\n\s+at /);
      }
    });
  });

  it('the history keeps the newest runs: pruneHistory deletes the oldest beyond the limit, and only results files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'staple-probe-history-'));
    try {
      const names = Array.from({ length: 7 }, (_, i) => `2026-11-30T0${i}-00-00-000Z-abc${i}.json`);
      for (const name of [...names].reverse()) writeFileSync(join(dir, name), '{}');
      writeFileSync(join(dir, 'notes.txt'), 'kept');
      expect(pruneHistory(dir, 10)).toEqual([]);
      expect(pruneHistory(dir, 3).map((f) => f.slice(dir.length + 1))).toEqual(names.slice(0, 4));
      expect(historyFiles(dir).map((f) => f.slice(dir.length + 1))).toEqual(names.slice(4));
      expect(readdirSync(dir).sort()).toEqual([...names.slice(4), 'notes.txt'].sort());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
