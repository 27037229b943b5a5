/**
 * `pnpm bench:compare [BEFORE.json] [AFTER.json]`: the headline figures of two `pnpm bench` results side by
 * side, with the change and each goal. Without arguments it takes the two newest files of .tmp/bench-history/
 * (every `pnpm bench` writes one there, named by time and commit; BENCH_HISTORY names another folder); with
 * one, that file against the newest.
 * A figure that one run lacks (an older bench, nginx not installed, a quick run) shows as "-". Where both runs
 * keep a figure's min–max over their rounds and those ranges overlap, the change is marked "ranges overlap"
 * instead of better or worse: this VM's runs of one commit differ by tens of percent.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Table from 'cli-table3';

/** The part of .tmp/bench.json this reads; every field may be missing in an older or partial run. */
export interface BenchResults {
  commit?: string;
  dirty?: boolean;
  date?: string;
  node?: string;
  quick?: boolean;
  startup?: Record<string, { ms?: { median?: number; min?: number; max?: number }; ratioToNode?: number; ratioToNodePerRound?: { min?: number; max?: number }; rssMiB?: number | null }>;
  throughput?: Record<string, Record<string, unknown>>;
  memory?: Record<string, { maxRssMiB?: number }>;
}

export interface Row {
  readonly name: string;
  readonly before: number | null;
  readonly after: number | null;
  /** after ÷ before − 1, when both are known. */
  readonly change: number | null;
  /** Which way is better. */
  readonly better: 'lower' | 'higher';
  readonly goal: { readonly op: '<=' | '>=' | '='; readonly value: number } | null;
  readonly digits: number;
  /**
   * Whether the two runs' ranges (min–max over their rounds) overlap: then the change is within the spread
   * of the runs themselves. Null when a run has no range for the figure.
   */
  readonly overlap: boolean | null;
}

const COLD = 'probe host (bundle, live on)';
const PIPELINE = 'openssl s_client -status + openssl ocsp';
const SLOW = 'probe host, 50 ms round trip (bundle)';
const SLOW_PIPELINE = 'the openssl pipeline, 50 ms round trip';
const SLOW_NGINX = 'probe nginx, 50 ms round trip and connect (bundle)';
const SLOW_NGINX_PIPELINE = 'the openssl pipeline, nginx, 50 ms round trip and connect';
/** bench/floor-prober.cjs: the least a Node 20 prober does for the same answer. */
export const FLOOR = 'floor prober (1 handshake + chain, 1 OCSP POST)';

const num = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);
const path = (o: unknown, ...keys: string[]): number | null => {
  let x: unknown = o;
  for (const k of keys) x = x !== null && typeof x === 'object' ? (x as Record<string, unknown>)[k] : undefined;
  return num(x);
};
const div = (a: number | null, b: number | null) => (a !== null && b !== null && b !== 0 ? a / b : null);

type Range = readonly [number, number];
const range = (o: unknown, ...keys: string[]): Range | null => {
  const min = path(o, ...keys, 'min');
  const max = path(o, ...keys, 'max');
  return min !== null && max !== null ? [min, max] : null;
};

interface Measure {
  readonly name: string;
  readonly get: (r: BenchResults) => number | null;
  /** The figure's min–max over the run's rounds, where the results keep one. */
  readonly range?: (r: BenchResults) => Range | null;
  readonly better: 'lower' | 'higher';
  readonly goal?: Row['goal'];
  readonly digits?: number;
}

function measures(servers: readonly string[]): Measure[] {
  const list: Measure[] = [
    { name: 'cold probe ÷ node -e 0', get: (r) => path(r.startup, COLD, 'ratioToNode'), range: (r) => range(r.startup, COLD, 'ratioToNodePerRound'), better: 'lower', goal: { op: '<=', value: 2.5 }, digits: 2 },
    { name: 'cold probe, ms', get: (r) => path(r.startup, COLD, 'ms', 'median'), range: (r) => range(r.startup, COLD, 'ms'), better: 'lower', digits: 0 },
    { name: 'node -e 0, ms', get: (r) => path(r.startup, 'node -e 0', 'ms', 'median'), range: (r) => range(r.startup, 'node -e 0', 'ms'), better: 'lower', digits: 0 },
    { name: 'floor prober ÷ node -e 0', get: (r) => path(r.startup, FLOOR, 'ratioToNode'), range: (r) => range(r.startup, FLOOR, 'ratioToNodePerRound'), better: 'lower', digits: 2 },
    { name: 'cold probe ÷ floor prober', get: (r) => div(path(r.startup, COLD, 'ms', 'median'), path(r.startup, FLOOR, 'ms', 'median')), better: 'lower', digits: 2 },
    { name: 'cold probe ÷ openssl pipeline', get: (r) => div(path(r.startup, COLD, 'ms', 'median'), path(r.startup, PIPELINE, 'ms', 'median')), better: 'lower', digits: 2 },
    { name: '50 ms round trip: probe, ms', get: (r) => path(r.startup, SLOW, 'ms', 'median'), range: (r) => range(r.startup, SLOW, 'ms'), better: 'lower', digits: 0 },
    { name: '50 ms round trip: probe ÷ pipeline', get: (r) => div(path(r.startup, SLOW, 'ms', 'median'), path(r.startup, SLOW_PIPELINE, 'ms', 'median')), better: 'lower', digits: 2 },
    { name: '50 ms round trip and connect, nginx: probe, ms', get: (r) => path(r.startup, SLOW_NGINX, 'ms', 'median'), range: (r) => range(r.startup, SLOW_NGINX, 'ms'), better: 'lower', digits: 0 },
    {
      name: '50 ms round trip and connect, nginx: probe ÷ pipeline',
      get: (r) => div(path(r.startup, SLOW_NGINX, 'ms', 'median'), path(r.startup, SLOW_NGINX_PIPELINE, 'ms', 'median')),
      better: 'lower',
      digits: 2,
    },
  ];
  for (const s of servers) {
    list.push(
      { name: `${s}: library ÷ raw`, get: (r) => path(r.throughput, s, 'ratio'), range: (r) => range(r.throughput, s, 'ratioPerRound'), better: 'higher', goal: { op: '>=', value: 0.8 }, digits: 2 },
      {
        name: `${s}: library ÷ raw in a fresh process`,
        get: (r) => path(r.throughput, s, 'ratioToRawFresh'),
        range: (r) => range(r.throughput, s, 'ratioToRawFreshPerRound'),
        better: 'higher',
        digits: 2,
      },
      { name: `${s}: raw + chain ÷ raw (ceiling)`, get: (r) => path(r.throughput, s, 'chainCeiling'), better: 'higher', digits: 2 },
      {
        name: `${s}: library ÷ raw validating the chain`,
        get: (r) => path(r.throughput, s, 'ratioToRawValidating'),
        range: (r) => range(r.throughput, s, 'ratioToRawValidatingPerRound'),
        better: 'higher',
        digits: 2,
      },
      { name: `${s}: steady state ÷ raw`, get: (r) => path(r.throughput, s, 'ratioSteady'), range: (r) => range(r.throughput, s, 'ratioSteadyPerRound'), better: 'higher', digits: 2 },
      {
        name: `${s}: steady state ÷ raw validating`,
        get: (r) => path(r.throughput, s, 'ratioSteadyToRawValidating'),
        range: (r) => range(r.throughput, s, 'ratioSteadyToRawValidatingPerRound'),
        better: 'higher',
        digits: 2,
      },
      { name: `${s}: library, endpoints/s`, get: (r) => path(r.throughput, s, 'library', 'median'), range: (r) => range(r.throughput, s, 'library'), better: 'higher', digits: 0 },
      {
        name: `${s}: CPU per endpoint, library, ms`,
        get: (r) => path(r.throughput, s, 'cpuMsPerEndpoint', 'library', 'median'),
        range: (r) => range(r.throughput, s, 'cpuMsPerEndpoint', 'library'),
        better: 'lower',
        digits: 2,
      },
      { name: `${s}: CPU per endpoint, raw, ms`, get: (r) => path(r.throughput, s, 'cpuMsPerEndpoint', 'raw', 'median'), range: (r) => range(r.throughput, s, 'cpuMsPerEndpoint', 'raw'), better: 'lower', digits: 2 },
      { name: `${s}: live requests per certificate`, get: (r) => path(r.throughput, s, 'liveRequestsPerCertificate'), better: 'lower', goal: { op: '=', value: 1 }, digits: 2 },
      { name: `${s}: staple verifications per staple`, get: (r) => path(r.throughput, s, 'stapleVerificationsPerStaple'), better: 'lower', goal: { op: '=', value: 1 }, digits: 2 },
    );
  }
  for (const n of ['100', '1000', '5000']) {
    list.push({ name: `peak RSS, ${n} targets, MiB`, get: (r) => path(r.memory, n, 'maxRssMiB'), better: 'lower', ...(n === '1000' ? { goal: { op: '<=' as const, value: 150 } } : {}), digits: 1 });
  }
  return list;
}

/** The rows of the comparison: the servers either run measured, in a fixed order. */
export function compareBench(before: BenchResults, after: BenchResults): Row[] {
  const servers = ['node', 'nginx'].filter((s) => before.throughput?.[s] || after.throughput?.[s]);
  return measures(servers).map((m) => {
    const b = m.get(before);
    const a = m.get(after);
    const rb = m.range?.(before) ?? null;
    const ra = m.range?.(after) ?? null;
    const overlap = rb && ra ? rb[0] <= ra[1] && ra[0] <= rb[1] : null;
    return { name: m.name, before: b, after: a, change: b !== null && a !== null && b !== 0 ? a / b - 1 : null, better: m.better, goal: m.goal ?? null, digits: m.digits ?? 2, overlap };
  });
}

/** Whether `value` meets the goal: `=` within a hundredth. */
export function meets(goal: NonNullable<Row['goal']>, value: number): boolean {
  if (goal.op === '<=') return value <= goal.value;
  if (goal.op === '>=') return value >= goal.value;
  return Math.abs(value - goal.value) < 0.01;
}

export function renderComparison(before: BenchResults, after: BenchResults, labels: readonly [string, string]): string {
  const label = (r: BenchResults, fallback: string) => `${r.commit ? r.commit.slice(0, 10) + (r.dirty ? '+' : '') : fallback}${r.quick ? ' (quick)' : ''}`;
  const table = new Table({ head: ['measure', label(before, labels[0]), label(after, labels[1]), 'change', 'goal'], style: { head: [], border: [] }, chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' } });
  for (const row of compareBench(before, after)) {
    const show = (x: number | null) => (x === null ? '-' : x.toFixed(row.digits));
    let change = '-';
    if (row.change !== null) {
      const pct = `${row.change >= 0 ? '+' : ''}${(row.change * 100).toFixed(1)}%`;
      const improved = row.better === 'lower' ? row.change < 0 : row.change > 0;
      if (Math.abs(row.change) < 0.005) change = pct;
      else if (row.overlap) change = `${pct} (ranges overlap)`;
      else change = `${pct} ${improved ? 'better' : 'worse'}`;
    }
    const goal = row.goal ? `${row.goal.op === '=' ? '' : row.goal.op === '<=' ? '≤ ' : '≥ '}${row.goal.value}${row.after === null ? '' : meets(row.goal, row.after) ? ' met' : ' not met'}` : '';
    table.push([row.name, show(row.before), show(row.after), change, goal]);
  }
  const where = (r: BenchResults, name: string) => `${name}: ${r.date ?? 'date unknown'}, Node ${r.node ?? '?'}`;
  return `${where(before, 'before')}\n${where(after, 'after')}\n${table.toString()}\n`;
}

/** The files of .tmp/bench-history/, oldest first (their names start with the time). */
export function historyFiles(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => join(dir, f));
  } catch {
    return [];
  }
}

/** How many runs .tmp/bench-history/ keeps: about 11 KB each. */
export const HISTORY_KEEP = 100;

/** Delete all but the `keep` newest results files of `dir`; returns the paths deleted. */
export function pruneHistory(dir: string, keep = HISTORY_KEEP): string[] {
  const files = historyFiles(dir);
  const old = files.slice(0, Math.max(0, files.length - keep));
  for (const file of old) rmSync(file, { force: true });
  return old;
}

function main(argv: readonly string[]): number {
  const history = historyFiles(process.env.BENCH_HISTORY ?? fileURLToPath(new URL('../.tmp/bench-history/', import.meta.url)));
  const newest = history.at(-1);
  let files: string[];
  if (argv.length >= 2) files = [argv[0] as string, argv[1] as string];
  else if (argv.length === 1 && newest) files = [argv[0] as string, newest];
  else if (argv.length === 0 && history.length >= 2) files = history.slice(-2);
  else {
    process.stderr.write('bench:compare: give two results files (BEFORE.json AFTER.json), or run `pnpm bench` twice so that .tmp/bench-history/ holds two\n');
    return 2;
  }
  const read = (file: string): BenchResults | null => {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as BenchResults;
    } catch (error) {
      process.stderr.write(`bench:compare: cannot read ${file}: ${error instanceof Error ? error.message : String(error)}\n`);
      return null;
    }
  };
  const [before, after] = files.map(read);
  if (!before || !after) return 2;
  process.stdout.write(renderComparison(before, after, [files[0] as string, files[1] as string]));
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main(process.argv.slice(2));
