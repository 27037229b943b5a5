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
import { renderJson } from './render/json.js';
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

export const VERSION: string = (() => {
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
  --skew DUR            clock skew tolerated on thisUpdate/nextUpdate/producedAt (default: 5m)

Inspect options:
  --issuer FILE         issuer certificate: enables the signature and responder checks
  --cert FILE           the certificate the response is for: enables the serial check
  --server NAME         nginx, apache, haproxy or caddy: word the fixes for it

Output:
  --format table|json   human diagnosis (default) or JSON (schema: report.v1.schema.json)
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
`;

const COMMON = {
  issuer: { type: 'string' },
  at: { type: 'string' },
  'warn-remaining': { type: 'string' },
  'crit-remaining': { type: 'string' },
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
  const warn = values['warn-remaining'] !== undefined ? parseDuration(values['warn-remaining'], '--warn-remaining') : undefined;
  const crit = values['crit-remaining'] !== undefined ? parseDuration(values['crit-remaining'], '--crit-remaining') : undefined;
  if (warn !== undefined && crit !== undefined && crit > warn) throw new UsageError('--crit-remaining must not exceed --warn-remaining');
  return {
    ...(now ? { now } : {}),
    ...(warn !== undefined ? { warnRemainingSeconds: warn } : {}),
    ...(crit !== undefined ? { critRemainingSeconds: crit } : {}),
    ...(values.skew !== undefined ? { skewSeconds: parseDuration(values.skew, '--skew') } : {}),
  };
}

function output(io: Io, values: Common, report: Report): void {
  const format = values.json ? 'json' : (values.format ?? 'table');
  if (format === 'json') io.stdout(renderJson(report, VERSION));
  else {
    const color = !values['no-color'] && io.stdoutIsTty && !io.env.NO_COLOR && io.env.TERM !== 'dumb';
    io.stdout(renderTable(report, { width: Math.max(60, Math.min(io.columns ?? 100, 160)), color }));
  }
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

async function runProbe(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, PROBE_OPTIONS);
  if (values.help) return io.stdout(HELP), 0;
  if (values.version) return io.stdout(`${VERSION}\n`), 0;
  checkFormat(values);
  if (positionals.length === 0) throw new UsageError('no target given');
  const tls = values.tls ?? 'both';
  if (tls !== '1.2' && tls !== '1.3' && tls !== 'both') throw new UsageError(`--tls ${tls}: expected 1.2, 1.3 or both`);
  const tlsVersions: TlsVersion[] = tls === 'both' ? ['1.2', '1.3'] : [tls];
  const attempts = values.attempts !== undefined ? parseIntIn(values.attempts, '--attempts', 1, 20) : 3;
  const timeoutMs = values.timeout !== undefined ? parseIntIn(values.timeout, '--timeout', 100, 600_000) : 10_000;
  const retryDelayMs = values['retry-delay'] !== undefined ? parseIntIn(values['retry-delay'], '--retry-delay', 0, 60_000) : 250;
  const targets = positionals.map((p) => {
    try {
      return parseTarget(p, values.servername !== undefined ? { servername: values.servername } : {});
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
  const reports: Report[] = [];
  for (const [i, target] of targets.entries()) {
    if (targets.length > 1 && io.stderrIsTty) io.stderr(`\rprobing ${i + 1}/${targets.length}: ${target.input}\u001b[K`);
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
    reports.push(await assess(evidence, { ...judge, verifier, now: judge.now ?? new Date() }));
  }
  if (targets.length > 1 && io.stderrIsTty) io.stderr('\r\u001b[K');
  const report = reports.length === 1 ? (reports[0] as Report) : mergeReports(reports, (judge.now ?? new Date()).toISOString());
  output(io, values, report);
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
