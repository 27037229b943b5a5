/** The one option table: what each command accepts, its checks, its defaults (core's) and its help lines. */
import { readFileSync } from 'node:fs';
import { DEFAULTS } from '@staple-probe/core';
import { describe, expect, it } from 'vitest';
import { HELP } from '../../packages/probe-cli/src/cli.js';
import { formatDuration, namesOf, OPTIONS, type OptionName, parseCommandLine, specOf, tlsVersionsOf } from '../../packages/probe-cli/src/options.js';
import { SERVE_HELP } from '../../packages/probe-cli/src/serve/command.js';
import { parseConfig } from '../../packages/probe-cli/src/serve/config.js';
import { repoFile } from '../helpers.js';
import { moduleOf, runCli } from './run.js';

/** No file is read by these command lines. */
const run = (args: string[]) =>
  runCli(args, {
    readFile: () => {
      throw Object.assign(new Error('no files here'), { code: 'ENOENT' });
    },
  });

const valuesOf = <C extends 'probe' | 'inspect' | 'serve'>(command: C, args: string[]) => {
  const line = parseCommandLine(command, args);
  if (line.exit !== null) throw new Error(`unexpected --${line.exit}`);
  return line;
};

describe('defaults come from core', () => {
  it('probe with no flags: the collect, HTTP and judgement defaults are DEFAULTS', () => {
    const { values, given } = valuesOf('probe', ['example.test']);
    expect(tlsVersionsOf(values.tls)).toEqual(DEFAULTS.tlsVersions);
    expect(values['key-types']).toBe(DEFAULTS.keyTypes);
    expect(values['key-types']).toBe('all');
    expect([values.attempts, values.timeout, values['retry-delay']]).toEqual([DEFAULTS.attempts, DEFAULTS.timeoutMs, DEFAULTS.retryDelayMs]);
    expect([values['live-timeout'], values['live-max-bytes']]).toEqual([DEFAULTS.httpTimeoutMs, DEFAULTS.httpMaxBytes]);
    expect([values['warn-remaining'], values['crit-remaining'], values.skew]).toEqual([
      DEFAULTS.warnRemainingSeconds,
      DEFAULTS.critRemainingSeconds,
      DEFAULTS.skewSeconds,
    ]);
    expect([values.concurrency, values.format, values.server, values.nonce]).toEqual([8, 'table', undefined, false]);
    expect([...given]).toEqual([]);
  });

  it('serve with no flags: the same module defaults, its own listen address and concurrency', () => {
    const { values } = valuesOf('serve', []);
    expect([values.attempts, values.timeout, values['retry-delay'], values['warn-remaining'], values['crit-remaining']]).toEqual([
      DEFAULTS.attempts,
      DEFAULTS.timeoutMs,
      DEFAULTS.retryDelayMs,
      DEFAULTS.warnRemainingSeconds,
      DEFAULTS.critRemainingSeconds,
    ]);
    expect([values.listen, values.concurrency, values.allow]).toEqual(['127.0.0.1:9219', 16, []]);
    expect(values['key-types']).toBe(DEFAULTS.keyTypes);
  });

  it('given values are converted: ms and counts to numbers, durations to seconds, --server to lower case', () => {
    const { values, given } = valuesOf('probe', ['h', '--attempts', '5', '--skew', '90s', '--warn-remaining', '1d', '--server', 'NGINX', '--tls', '1.3']);
    expect([values.attempts, values.skew, values['warn-remaining'], values.server, values.tls]).toEqual([5, 90, 86400, 'nginx', '1.3']);
    expect([...given].sort()).toEqual(['attempts', 'server', 'skew', 'tls', 'warn-remaining']);
  });

  it('--key-types default and --key-types all, for probe and serve', () => {
    expect(valuesOf('probe', ['h', '--key-types', 'default']).values['key-types']).toBe('default');
    expect(valuesOf('probe', ['h', '--key-types', 'all']).values['key-types']).toBe('all');
    expect(valuesOf('serve', ['--key-types', 'default']).values['key-types']).toBe('default');
  });

  it('--no-crl, --crl-timeout and --crl-max-bytes (issue #22), with the defaults from core', () => {
    const plain = valuesOf('probe', ['h']).values;
    expect([plain['no-crl'], plain['crl-timeout'], plain['crl-max-bytes']]).toEqual([false, DEFAULTS.crlTimeoutMs, DEFAULTS.crlMaxBytes]);
    const given = valuesOf('probe', ['h', '--no-crl', '--crl-timeout', '5000', '--crl-max-bytes', '1048576']).values;
    expect([given['no-crl'], given['crl-timeout'], given['crl-max-bytes']]).toEqual([true, 5000, 1048576]);
    expect(valuesOf('serve', ['--no-crl']).values['no-crl']).toBe(true);
  });
});

describe('help text generated from the table', () => {
  const helpOf = { probe: HELP, inspect: HELP, serve: SERVE_HELP };
  for (const command of ['probe', 'inspect', 'serve'] as const) {
    it(`every flag ${command} takes is in its help, with its default`, () => {
      const names = namesOf(command).filter((name) => !(command === 'serve' && name === 'help'));
      for (const name of names) {
        const spec = specOf(name, command);
        const flag = `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.arg ? ` ${spec.arg}` : ''}`;
        const line = helpOf[command].split('\n').find((l) => l.startsWith(`  ${flag} `) && l.includes(spec.help.split(/[\n{]/)[0] as string));
        expect(line, `${command} --${name}`).toBeDefined();
        if (spec.default !== undefined) {
          const shown = typeof spec.default === 'number' && spec.kind === 'duration' ? formatDuration(spec.default) : String(spec.default);
          expect(line, `${command} --${name} default`).toContain(shown);
        }
      }
    });
  }

  it('the defaults as probe --help shows them', () => {
    expect(HELP).toContain(
      '  --attempts N          full handshakes per address and version (default: 3; nginx staples\n                        only after its first handshake)',
    );
    expect(HELP).toContain('  --timeout MS          deadline per handshake (default: 10000)');
    expect(HELP).toContain('  --retry-delay MS      pause after a handshake without a staple (default: 250)');
    expect(HELP).toContain(
      "  --warn-remaining DUR  warn when less validity remains before nextUpdate (default: 2d), or less\n                        than a quarter of the response's validity when that is shorter",
    );
    expect(HELP).toContain('Durations: 90s, 30m, 36h, 2d (with a unit; -w and -c take a bare number as days).');
    expect(HELP).toContain('  --skew DUR            clock skew tolerated on thisUpdate/nextUpdate/producedAt (default: 5m)');
    expect(SERVE_HELP).toContain('  --concurrency N       probes in flight at most; more get 503 (default: 16)');
    expect(SERVE_HELP).toContain('  --timeout MS          deadline per handshake (default: 10000)');
  });

  it("docs/monitoring.md's table of serve flags lists every flag with the table's default", () => {
    const doc = readFileSync(repoFile('docs/monitoring.md'), 'utf8');
    const table = doc.slice(doc.indexOf('### Flags'), doc.indexOf('\n## ', doc.indexOf('### Flags')));
    const rows = new Map(
      [...table.matchAll(/^\| `--([a-z-]+)[^`]*` \|\s*([^|]*?)\s*\|/gm)].map((m) => [m[1] as string, (m[2] as string).replaceAll('`', '').trim()]),
    );
    for (const name of namesOf('serve').filter((n) => n !== 'help')) {
      const spec = specOf(name, 'serve');
      const shown = spec.default === undefined ? '' : spec.kind === 'duration' ? formatDuration(spec.default as number) : String(spec.default);
      expect(rows.get(name), `--${name}`).toBe(shown);
    }
  });

  it('every option has a kind the parser knows and names the commands that take it', () => {
    for (const name of Object.keys(OPTIONS) as OptionName[]) {
      expect(['boolean', 'string', 'file', 'integer', 'duration', 'choice']).toContain(OPTIONS[name].kind);
      expect(OPTIONS[name].commands.length).toBeGreaterThan(0);
    }
  });
});

describe('one parser for probe, inspect and serve: one line on stderr, exit 3', () => {
  const cases: [string, string[], string][] = [
    ['probe serve --tls 1.1', ['serve', '--tls', '1.1'], '--tls 1.1: expected 1.2, 1.3 or both'],
    ['probe host --key-types rsa', ['example.test', '--key-types', 'rsa'], '--key-types rsa: expected all or default'],
    ['probe serve --key-types ALL', ['serve', '--key-types', 'ALL'], '--key-types ALL: expected all or default'],
    ['probe inspect x.der --key-types all (probe and serve only)', ['inspect', 'x.der', '--key-types', 'all'], "Unknown option '--key-types'"],
    ['probe serve --attempts 21', ['serve', '--attempts', '21'], '--attempts 21: expected 1 to 20'],
    ['probe host --crl-timeout 50', ['example.test', '--crl-timeout', '50'], '--crl-timeout 50: expected 100 to'],
    ['probe inspect x.der --no-crl (probe and serve only)', ['inspect', 'x.der', '--no-crl'], "Unknown option '--no-crl'"],
    ['probe serve --concurrency 2000', ['serve', '--concurrency', '2000'], '--concurrency 2000: expected 1 to 1024'],
    ['probe host --concurrency 300', ['example.test', '--concurrency', '300'], '--concurrency 300: expected 1 to 256'],
    ['probe serve --warn-remaining soon', ['serve', '--warn-remaining', 'soon'], '--warn-remaining soon: expected a duration such as 90s, 30m, 36h or 2d'],
    ['probe serve --bogus', ['serve', '--bogus'], "Unknown option '--bogus'"],
    ['probe serve extra', ['serve', 'extra'], "Unexpected argument 'extra'"],
    ['probe serve --nonce (probe only)', ['serve', '--nonce'], "Unknown option '--nonce'"],
    ['probe inspect x.der --format jsonl', ['inspect', 'x.der', '--format', 'jsonl'], '--format jsonl: expected table, json or nagios'],
    ['probe inspect x.der --tls 1.3 (probe only)', ['inspect', 'x.der', '--tls', '1.3'], "Unknown option '--tls'"],
  ];
  for (const [name, args, message] of cases) {
    it(name, async () => {
      const r = await run(args);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain(`probe: ${message}`);
      expect(r.stderr.trim().split('\n')).toHaveLength(2);
      expect(r.stdout).toBe('');
    });
  }

  it('--help is answered beside a bad value: probe, inspect and serve', async () => {
    for (const args of [
      ['--help', '--tls', '9'],
      ['inspect', '-h', '--format', 'xml'],
      ['serve', '--help', '--attempts', '0'],
    ]) {
      const r = await run(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Usage:');
      expect(r.stderr).toBe('');
    }
  });
});

describe('the modules file takes the flags limits', () => {
  const module = moduleOf();
  const modules = (fields: string) => () => parseConfig(`modules:\n  m:\n${fields}`, 'm.yaml', module);
  it('attempts, timeout, retry_delay and tls out of range are refused, naming the range', () => {
    expect(modules('    attempts: 21\n')).toThrow('m.yaml: modules.m: attempts must be 1 to 20');
    expect(modules('    timeout: 11m\n')).toThrow('m.yaml: modules.m: timeout must be 0.1s to 10m (a bare number is seconds)');
    expect(modules('    timeout: 0.05\n')).toThrow('timeout must be 0.1s to 10m');
    expect(modules('    retry_delay: 61s\n')).toThrow('m.yaml: modules.m: retry_delay must be at most 1m');
    expect(modules('    tls: "1.1"\n')).toThrow('m.yaml: modules.m: tls must be 1.2, 1.3 or both');
    expect(modules('    key_types: ecdsa\n')).toThrow('m.yaml: modules.m: key_types must be all or default');
  });
  it('the limits themselves are accepted', () => {
    expect(parseConfig('modules:\n  m:\n    attempts: 20\n    timeout: 10m\n    retry_delay: 60s\n    tls: 1.3\n', 'm.yaml', module).modules.m).toMatchObject({
      attempts: 20,
      timeoutMs: 600_000,
      retryDelayMs: 60_000,
      tlsVersions: ['1.3'],
    });
  });
});
