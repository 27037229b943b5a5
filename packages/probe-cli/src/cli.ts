import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  assess,
  collect,
  createCollectCache,
  inspect,
  ipVersion,
  mergeReports,
  parseTarget,
  type Report,
  type ServerName,
  readCertificates,
  SignatureVerifier,
  TargetError,
  type TlsVersion,
} from '@staple-probe/core';
import { exitCodeOf } from './exit-code.js';
import { parseDuration, parseIntIn, UsageError } from './options.js';
import { renderJson, toJsonReport } from './render/json.js';
import { renderNagios } from './render/nagios.js';
import { renderSummary } from './render/summary.js';
import { renderTable } from './render/table.js';

/** Where the CLI writes and what it knows of its terminal; tests pass their own. */
export interface Io {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdoutIsTty: boolean;
  readonly stderrIsTty: boolean;
  readonly columns: number | undefined;
  /** Read a file given on the command line; '-' is standard input. */
  readonly readFile: (path: string) => Uint8Array;
}

declare const __STAPLE_PROBE_VERSION__: string | undefined;

/** Set at bundling time; read from package.json when running from tsc output or sources. */
export const VERSION: string = (() => {
  if (typeof __STAPLE_PROBE_VERSION__ === 'string') return __STAPLE_PROBE_VERSION__;
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
})();

export const HELP = `probe ${VERSION}: does a TLS server's OCSP stapling really work?

Usage:
  probe <host[:port]>... [options]      probe live servers (port 443 by default)
  probe inspect <response> [options]    judge an OCSP response file (DER, PEM or base64) offline
  probe demo                            run against throwaway local servers; needs no internet
  probe serve [options]                 Prometheus exporter (/probe?target=...); see probe serve --help

Probe options:
  --servername NAME     SNI name to send (default: the host name; none for an IP address)
  --address IP          connect to this address instead of resolving the host (SNI stays the host)
  --issuer FILE         issuer certificate (PEM or DER), when the server does not send it
  --ca-file FILE        more trusted roots (PEM), also searched for the issuer
  --tls 1.2|1.3|both    TLS versions to probe, each separately (default: both)
  --attempts N          full handshakes per address and version (default: 3; nginx staples
                        only after its first handshake)
  --retry-delay MS      pause after a handshake without a staple (default: 250)
  --timeout MS          deadline per handshake (default: 10000)
  --server NAME         nginx, apache, haproxy or caddy: word the fixes for it (default: detected
                        from the Server header of one HEAD /; otherwise the fix for each is given)
  --no-http             do not send that HEAD / (for ports that do not speak HTTP)

Live query (the CA's responder, from the certificate's OCSP URL):
  --no-live             do not ask the responder; judge the staple alone
  --nonce               send a nonce (many responders ignore it, RFC 5019)
  --live-timeout MS     total deadline for the query, body included (default: 10000)
  --live-max-bytes N    largest answer accepted (default: 65536)

Judgement options (probe and inspect):
  --at ISO-8601         judge as of this instant instead of now
  --warn-remaining DUR  warn when less validity remains before nextUpdate (default: 2d)
  --crit-remaining DUR  critical when less remains (default: 0, i.e. only once expired)
  -w, --warning N       the same as --warn-remaining in check_ssl_cert style: N days (or a duration)
  -c, --critical N      the same as --crit-remaining: N days (or a duration)
  --skew DUR            clock skew tolerated on thisUpdate/nextUpdate/producedAt (default: 5m)

Inspect options:
  --issuer FILE         issuer certificate: enables the signature and responder checks
  --cert FILE           the certificate the response is for: enables the serial check
  --server NAME         nginx, apache, haproxy or caddy: word the fixes for it

Many targets:
  -f, --file FILE       read targets from FILE (- for standard input): one "host[:port] [servername]"
                        per line, # starts a comment
  --concurrency N       targets probed at once (default: 8)

Output:
  --format FORMAT       table (default; a summary table for several targets), json (one document,
                        schema report.v1.schema.json), jsonl (one report per line as each target
                        finishes), nagios (one Monitoring Plugins status line with perfdata)
  --json                same as --format json
  --no-color            no ANSI colours (also: NO_COLOR=1, or output is not a terminal)
  -h, --help            this help
  -V, --version         the version

Durations: 90s, 30m, 36h, 2d (a bare number is seconds).
Exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (unreachable, bad arguments).

Examples:
  probe example.com
  probe 203.0.113.10:8443 --servername www.example.com --tls 1.3
  probe inspect /etc/nginx/ocsp/example.der --issuer chain.pem --cert example.pem
  probe example.com --json | jq '.findings[].code'
  probe -f targets.txt --concurrency 16 --format jsonl > results.jsonl
  probe example.com --format nagios -w 3 -c 1      # Nagios/Icinga check, thresholds in days
`;

const COMMON = {
  issuer: { type: 'string' },
  at: { type: 'string' },
  'warn-remaining': { type: 'string' },
  'crit-remaining': { type: 'string' },
  warning: { type: 'string', short: 'w' },
  critical: { type: 'string', short: 'c' },
  skew: { type: 'string' },
  format: { type: 'string' },
  json: { type: 'boolean' },
  'no-color': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const;

const PROBE_OPTIONS = {
  ...COMMON,
  servername: { type: 'string' },
  address: { type: 'string' },
  'ca-file': { type: 'string' },
  tls: { type: 'string' },
  attempts: { type: 'string' },
  'retry-delay': { type: 'string' },
  timeout: { type: 'string' },
  'no-live': { type: 'boolean' },
  file: { type: 'string', short: 'f' },
  concurrency: { type: 'string' },

  server: { type: 'string' },
  'no-http': { type: 'boolean' },
  nonce: { type: 'boolean' },
  'live-timeout': { type: 'string' },
  'live-max-bytes': { type: 'string' },
} as const;

const INSPECT_OPTIONS = { ...COMMON, cert: { type: 'string' }, server: { type: 'string' } } as const;

const SERVERS = ['nginx', 'apache', 'haproxy', 'caddy'] as const;

function serverFlag(value: string | undefined): ServerName | null {
  if (value === undefined) return null;
  const name = value.toLowerCase();
  if (!(SERVERS as readonly string[]).includes(name)) throw new UsageError(`--server ${value}: expected nginx, apache, haproxy or caddy`);
  return name as ServerName;
}

function parse<T extends NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>['options']>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    // node:util names the flag; keep its sentence, drop its stack.
    throw new UsageError((error as Error).message.replace(/\. To specify a positional argument.*$/, ''));
  }
}

type Common = { [K in keyof typeof COMMON]?: (typeof COMMON)[K]['type'] extends 'string' ? string : boolean };

function readInput(io: Io, path: string, what: string): Uint8Array {
  try {
    return io.readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new UsageError(`cannot read ${what} ${path}: ${reason}`);
  }
}

function readOneCert(io: Io, path: string, what: string): Uint8Array {
  const certs = readCertificates(readInput(io, path, what));
  const first = certs[0];
  if (!first || first.byteLength === 0) throw new UsageError(`${what} ${path} holds no certificate`);
  return first;
}

/** An OCSP response file: DER, or base64 text with or without PEM armour (openssl .ors files are base64). */
export function readResponseBytes(input: Uint8Array): Uint8Array {
  if (input[0] === 0x30) return input;
  const text = Buffer.from(input).toString('latin1').trim();
  const armoured = /-----BEGIN [^-]+-----([\s\S]*?)-----END [^-]+-----/.exec(text);
  const body = (armoured ? armoured[1] : text)?.replace(/\s+/g, '') ?? '';
  if (body.length > 0 && /^[A-Za-z0-9+/]+=*$/.test(body)) return new Uint8Array(Buffer.from(body, 'base64'));
  return input;
}

function judgement(values: Common) {
  let now: Date | undefined;
  if (values.at !== undefined) {
    const ms = Date.parse(values.at);
    if (!/^\d{4}-\d{2}-\d{2}/.test(values.at) || !Number.isFinite(ms)) throw new UsageError(`--at ${values.at}: not an ISO-8601 date-time`);
    now = new Date(ms);
  }
  // -w/-c as check_ssl_cert has them: a bare number is days; a duration (36h, 2d) is taken as is.
  const days = (text: string, flag: string) => (/^\d+(\.\d+)?$/.test(text.trim()) ? Number(text) * 86400 : parseDuration(text, flag));
  if (values.warning !== undefined && values['warn-remaining'] !== undefined) throw new UsageError('give -w or --warn-remaining, not both');
  if (values.critical !== undefined && values['crit-remaining'] !== undefined) throw new UsageError('give -c or --crit-remaining, not both');
  const warn =
    values.warning !== undefined
      ? days(values.warning, '-w')
      : values['warn-remaining'] !== undefined
        ? parseDuration(values['warn-remaining'], '--warn-remaining')
        : undefined;
  const crit =
    values.critical !== undefined
      ? days(values.critical, '-c')
      : values['crit-remaining'] !== undefined
        ? parseDuration(values['crit-remaining'], '--crit-remaining')
        : undefined;
  if (warn !== undefined && crit !== undefined && crit > warn) throw new UsageError('the critical threshold must not exceed the warning threshold');
  return {
    ...(now ? { now } : {}),
    ...(warn !== undefined ? { warnRemainingSeconds: warn } : {}),
    ...(crit !== undefined ? { critRemainingSeconds: crit } : {}),
    ...(values.skew !== undefined ? { skewSeconds: parseDuration(values.skew, '--skew') } : {}),
  };
}

function useColor(io: Io, values: Common): boolean {
  return !values['no-color'] && io.stdoutIsTty && !io.env.NO_COLOR && io.env.TERM !== 'dumb';
}

function tableWidth(io: Io): number {
  return Math.max(60, Math.min(io.columns ?? 100, 160));
}

function output(io: Io, values: Common, report: Report): void {
  const format = values.json ? 'json' : (values.format ?? 'table');
  if (format === 'json') io.stdout(renderJson(report, VERSION));
  else io.stdout(renderTable(report, { width: tableWidth(io), color: useColor(io, values) }));
}

function checkFormat(values: Common): void {
  if (values.format !== undefined && values.format !== 'table' && values.format !== 'json') {
    throw new UsageError(`--format ${values.format}: expected table or json`);
  }
}

async function runInspect(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, INSPECT_OPTIONS);
  if (values.help) return io.stdout(HELP), 0;
  checkFormat(values);
  if (positionals.length !== 1) throw new UsageError(positionals.length ? 'inspect takes exactly one response file' : 'inspect needs a response file (or - for standard input)');
  const file = positionals[0] as string;
  const raw = readInput(io, file, 'response file');
  const options = judgement(values);
  const report = await inspect(readResponseBytes(raw), {
    ...options,
    file,
    issuer: values.issuer ? readOneCert(io, values.issuer, '--issuer') : null,
    cert: values.cert ? readOneCert(io, values.cert, '--cert') : null,
    server: serverFlag(values.server),
  });
  output(io, values, report);
  return exitCodeOf(report.verdict);
}

/** `host[:port] [servername]` per line; `#` starts a comment; blank lines are skipped. */
export function parseTargetsFile(text: string, source: string): { target: string; servername?: string }[] {
  const out: { target: string; servername?: string }[] = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) continue;
    const parts = line.split(/\s+/);
    if (parts.length > 2) throw new UsageError(`${source} line ${i + 1}: expected "host[:port] [servername]", got "${line}"`);
    out.push({ target: parts[0] as string, ...(parts[1] ? { servername: parts[1] } : {}) });
  }
  return out;
}

/** Run `fn` over `items` with at most `limit` at a time, in order of start; `onDone` sees each as it ends. */
async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>, onDone: (result: R, index: number) => void): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      const result = await fn(items[index] as T);
      results[index] = result;
      onDone(result, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function progressBar(done: number, total: number, width = 30): string {
  const filled = Math.round((done / total) * width);
  return `\r[${'='.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total} probed\u001b[K`;
}

async function runProbe(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, PROBE_OPTIONS);
  if (values.help) return io.stdout(HELP), 0;
  if (values.version) return io.stdout(`${VERSION}\n`), 0;
  const format = values.json ? 'json' : (values.format ?? 'table');
  if (!['table', 'json', 'jsonl', 'nagios'].includes(format)) throw new UsageError(`--format ${format}: expected table, json, jsonl or nagios`);
  const listed: { target: string; servername?: string }[] = positionals.map((target) => ({ target }));
  if (values.file !== undefined) {
    const text = Buffer.from(readInput(io, values.file, 'targets file')).toString('utf8');
    listed.push(...parseTargetsFile(text, values.file === '-' ? 'standard input' : values.file));
  }
  if (listed.length === 0) throw new UsageError(values.file !== undefined ? `no target in ${values.file}` : 'no target given');
  const tls = values.tls ?? 'both';
  if (tls !== '1.2' && tls !== '1.3' && tls !== 'both') throw new UsageError(`--tls ${tls}: expected 1.2, 1.3 or both`);
  const tlsVersions: TlsVersion[] = tls === 'both' ? ['1.2', '1.3'] : [tls];
  const attempts = values.attempts !== undefined ? parseIntIn(values.attempts, '--attempts', 1, 20) : 3;
  const timeoutMs = values.timeout !== undefined ? parseIntIn(values.timeout, '--timeout', 100, 600_000) : 10_000;
  const retryDelayMs = values['retry-delay'] !== undefined ? parseIntIn(values['retry-delay'], '--retry-delay', 0, 60_000) : 250;
  const concurrency = values.concurrency !== undefined ? parseIntIn(values.concurrency, '--concurrency', 1, 256) : 8;
  const targets = listed.map(({ target, servername }) => {
    try {
      const sni = servername ?? values.servername;
      return parseTarget(target, sni !== undefined ? { servername: sni } : {});
    } catch (error) {
      if (error instanceof TargetError) throw new UsageError(error.message);
      throw error;
    }
  });
  if (values.address !== undefined && ipVersion(values.address) === 0) throw new UsageError(`--address ${values.address}: not an IP address`);
  const server = serverFlag(values.server);
  const issuer = values.issuer ? readOneCert(io, values.issuer, '--issuer') : null;
  const extraCerts = values['ca-file'] ? readCertificates(readInput(io, values['ca-file'], '--ca-file')) : [];
  const judge = judgement(values);
  const http = {
    timeoutMs: values['live-timeout'] !== undefined ? parseIntIn(values['live-timeout'], '--live-timeout', 100, 600_000) : 10_000,
    maxBytes: values['live-max-bytes'] !== undefined ? parseIntIn(values['live-max-bytes'], '--live-max-bytes', 1024, 64 * 1024 * 1024) : 64 * 1024,
  };
  // One cache and one verifier for the run: one live query per certificate however many targets serve it.
  const cache = createCollectCache();
  const verifier = new SignatureVerifier();
  const showProgress = targets.length > 1 && io.stderrIsTty;
  let finished = 0;
  if (showProgress) io.stderr(progressBar(0, targets.length));
  const reports = await pool(
    targets,
    concurrency,
    async (target) => {
      const evidence = await collect(target, {
        tlsVersions,
        attempts,
        timeoutMs,
        retryDelayMs,
        issuer,
        extraCerts,
        live: !values['no-live'],
        httpHead: !values['no-http'],
        server,
        nonce: values.nonce === true,
        http,
        cache,
        verifier,
        ...(values.address ? { address: values.address } : {}),
      });
      return assess(evidence, { ...judge, verifier, now: judge.now ?? new Date() });
    },
    (report) => {
      finished++;
      if (format === 'jsonl') io.stdout(`${JSON.stringify(toJsonReport(report, VERSION))}\n`);
      if (showProgress) io.stderr(progressBar(finished, targets.length));
    },
  );
  if (showProgress) io.stderr('\r\u001b[K');
  const report = reports.length === 1 ? (reports[0] as Report) : mergeReports(reports, (judge.now ?? new Date()).toISOString());
  if (format === 'nagios') {
    io.stdout(renderNagios(report, { warnSeconds: judge.warnRemainingSeconds ?? 2 * 86400, critSeconds: judge.critRemainingSeconds ?? 0 }));
  } else if (format === 'table' && reports.length > 1) {
    io.stdout(renderSummary(reports, { width: tableWidth(io), color: useColor(io, values) }));
  } else if (format !== 'jsonl') {
    output(io, { ...values, format }, report);
  }
  return exitCodeOf(report.verdict);
}

/** Run the CLI. Returns the exit code; usage errors print one line, never a stack trace. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const args = [...argv];
  try {
    if (args[0] === 'inspect') return await runInspect(args.slice(1), io);
    if (args[0] === 'demo') {
      const { runDemo } = await import('./demo.js');
      return await runDemo(args.slice(1), io);
    }
    if (args[0] === 'serve') {
      const { runServe } = await import('./serve/command.js');
      return await runServe(args.slice(1), io);
    }
    if (args[0] === 'help') return io.stdout(HELP), 0;
    return await runProbe(args, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`probe: ${error.message}\nTry 'probe --help'.\n`);
      return 3;
    }
    // Anything else is our bug: say so in one line and keep the exit code honest.
    io.stderr(`probe: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
    if (io.env.STAPLE_PROBE_DEBUG) io.stderr(`${(error as Error).stack}\n`);
    return 3;
  }
}
