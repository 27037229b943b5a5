import { readFileSync } from 'node:fs';
import {
  assess,
  collect,
  createCollectCache,
  inspect,
  parseCrl,
  ipVersion,
  mergeReports,
  parseTarget,
  type Report,
  type Verdict,
  readCertificates,
  SignatureVerifier,
  TargetError,
} from '@staple-probe/core';
import { exitCodeOf } from './exit-code.js';
import { scopedVerdict } from './scope.js';
import { helpLines, type OptionName, parseCommandLine, parseDuration, tlsVersionsOf, UsageError, type Values } from './options.js';
import { proxyOption } from './proxy.js';
import { renderJson, toJsonReport } from './render/json.js';
import { renderNagios } from './render/nagios.js';
import { renderSummary } from './render/summary.js';
import { renderTable } from './render/table.js';
import { prepareStapleDir, saveStaples } from './save-staples.js';

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
  /** Call `handler` on each Ctrl-C (SIGINT) until the returned function is called; the process's signal when absent. */
  readonly onInterrupt?: (handler: () => void) => () => void;
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
  probe inspect <response> [options]    judge an OCSP response file (DER, PEM or base64) offline, or a CRL
  probe demo                            run against throwaway local servers; needs no internet
  probe serve [options]                 Prometheus exporter (/probe?target=...); see probe serve --help

Probe options:
${helpLines('probe', ['servername', 'address', 'issuer', 'ca-file', 'tls', 'key-types', 'starttls', 'attempts', 'retry-delay', 'timeout', 'server', 'no-http', 'proxy'])}

Live query (the CA's responder, from the certificate's OCSP URL):
${helpLines('probe', ['no-live', 'nonce', 'live-timeout', 'live-max-bytes'])}

Revocation lists (each certificate's CRL distribution points, http and https):
${helpLines('probe', ['no-crl', 'crl-timeout', 'crl-max-bytes'])}

Judgement options (probe and inspect):
${helpLines('probe', ['at', 'warn-remaining', 'crit-remaining', 'warning', 'critical', 'skew'])}

Inspect options:
${helpLines('inspect', ['issuer', 'cert', 'serial', 'server'])}

Many targets:
${helpLines('probe', ['file', 'concurrency'])}

Output:
${helpLines('probe', ['format', 'json', 'scope', 'verbose', 'save-staples', 'no-color', 'help', 'version'])}

Durations: 90s, 30m, 36h, 2d (with a unit; -w and -c take a bare number as days).
Exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (unreachable, bad arguments).

Examples:
  probe example.com
  probe 203.0.113.10:8443 --servername www.example.com --tls 1.3
  probe inspect /etc/nginx/ocsp/example.der --issuer fullchain.pem --cert cert.pem
  probe example.com --json | jq '.findings[].code'
  probe -f targets.txt --concurrency 16 --format jsonl > results.jsonl
  probe example.com --format nagios -w 3 -c 1      # Nagios/Icinga check, thresholds in days
`;

/** The judgement flags, which probe and inspect share. */
type JudgementFlags = Pick<Values<'inspect'>, 'at' | 'warn-remaining' | 'crit-remaining' | 'warning' | 'critical' | 'skew'>;

function readInput(io: Io, path: string, what: string): Uint8Array {
  try {
    return io.readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new UsageError(`cannot read ${what} ${path}: ${reason}`);
  }
}

/**
 * Whether `der` frames as one DER SEQUENCE whose content starts with another (a certificate's tbsCertificate).
 * Text, a key or a truncated PEM body fails; a certificate that frames but does not parse is left to the
 * report (CERT_UNPARSEABLE).
 */
function framesAsCertificate(der: Uint8Array): boolean {
  if (der.length < 4 || der[0] !== 0x30) return false;
  const first = der[1] as number;
  let header = 2;
  let length = first;
  if (first & 0x80) {
    const octets = first & 0x7f;
    if (octets === 0 || octets > 4) return false;
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + (der[2 + i] ?? 0);
    header = 2 + octets;
  }
  return header + length === der.length && der[header] === 0x30;
}

/** The certificates in a file given on the command line: at least one, each one DER certificate, or a usage error. */
function readCertFile(io: Io, path: string, what: string): Uint8Array[] {
  const certs = readCertificates(readInput(io, path, what));
  if (certs.length === 0 || certs.every((c) => c.byteLength === 0)) throw new UsageError(`${what} ${path} holds no certificate`);
  if (!certs.every(framesAsCertificate)) throw new UsageError(`${what} ${path}: not a certificate (PEM or DER)`);
  return certs;
}

function readOneCert(io: Io, path: string, what: string): Uint8Array {
  return readCertFile(io, path, what)[0] as Uint8Array;
}

/** An OCSP response file: DER, or base64 text with or without PEM armour (openssl .ors files are base64). */
function isCrl(bytes: Uint8Array): boolean {
  try {
    parseCrl(bytes);
    return true;
  } catch {
    return false;
  }
}

export function readResponseBytes(input: Uint8Array): Uint8Array {
  if (input[0] === 0x30) return input;
  const text = Buffer.from(input).toString('latin1').trim();
  const armoured = /-----BEGIN [^-]+-----([\s\S]*?)-----END [^-]+-----/.exec(text);
  const body = (armoured ? armoured[1] : text)?.replace(/\s+/g, '') ?? '';
  if (body.length > 0 && /^[A-Za-z0-9+/]+=*$/.test(body)) return new Uint8Array(Buffer.from(body, 'base64'));
  return input;
}

function judgement(values: JudgementFlags, given: ReadonlySet<OptionName>) {
  let now: Date | undefined;
  if (values.at !== undefined) {
    const ms = Date.parse(values.at);
    if (!/^\d{4}-\d{2}-\d{2}/.test(values.at) || !Number.isFinite(ms)) throw new UsageError(`--at ${values.at}: not an ISO-8601 date-time`);
    now = new Date(ms);
  }
  // -w/-c as check_ssl_cert has them: a bare number is days; a duration (36h, 2d) is taken as is.
  const days = (text: string, flag: string) => (/^\d+(\.\d+)?$/.test(text.trim()) ? Number(text) * 86400 : parseDuration(text, flag));
  if (given.has('warning') && given.has('warn-remaining')) throw new UsageError('give -w or --warn-remaining, not both');
  if (given.has('critical') && given.has('crit-remaining')) throw new UsageError('give -c or --crit-remaining, not both');
  const warn = values.warning !== undefined ? days(values.warning, '-w') : values['warn-remaining'];
  const crit = values.critical !== undefined ? days(values.critical, '-c') : values['crit-remaining'];
  const bothGiven = (given.has('warning') || given.has('warn-remaining')) && (given.has('critical') || given.has('crit-remaining'));
  if (bothGiven && crit > warn) throw new UsageError('the critical threshold must not exceed the warning threshold');
  return { ...(now ? { now } : {}), warnRemainingSeconds: warn, critRemainingSeconds: crit, skewSeconds: values.skew };
}

/** `--json` is `--format json`: beside another --format it would silently win, so the pair is refused. */
function refuseFormatConflict(values: { readonly json: boolean; readonly format: string }, given: ReadonlySet<OptionName>): void {
  if (values.json && given.has('format') && values.format !== 'json') throw new UsageError(`--json and --format ${values.format} conflict: give one`);
}

function useColor(io: Io, values: { readonly 'no-color': boolean }): boolean {
  return !values['no-color'] && io.stdoutIsTty && !io.env.NO_COLOR && io.env.TERM !== 'dumb';
}

function tableWidth(io: Io): number {
  return Math.max(60, Math.min(io.columns ?? 100, 160));
}

async function runInspect(args: string[], io: Io): Promise<number> {
  const line = parseCommandLine('inspect', args);
  if (line.exit === 'help') return (io.stdout(HELP), 0);
  if (line.exit === 'version') return (io.stdout(`${VERSION}\n`), 0);
  const { values, positionals, given } = line;
  refuseFormatConflict(values, given);
  if (positionals.length !== 1)
    throw new UsageError(positionals.length ? 'inspect takes exactly one response file' : 'inspect needs a response file (or - for standard input)');
  const file = positionals[0] as string;
  const raw = readInput(io, file, 'response file');
  const options = judgement(values, given);
  const bytes = readResponseBytes(raw);
  // Both an OCSP response and a CRL are a DER SEQUENCE: anything else is the wrong file, not a malformed staple.
  if (bytes[0] !== 0x30) throw new UsageError(`${file}: not an OCSP response or a CRL (DER, PEM or base64)`);
  // A CRL (issue #22) is told from an OCSP response by its structure: only a CRL frames as one.
  const format = isCrl(bytes) ? 'crl' : 'ocsp';
  const serial = values.serial?.trim().toLowerCase().replace(/^0x/, '').replace(/:/g, '');
  if (serial !== undefined && !/^[0-9a-f]+$/.test(serial)) throw new UsageError(`--serial ${values.serial}: expected hexadecimal digits`);
  if (serial !== undefined && format !== 'crl') throw new UsageError('--serial is for a CRL file; an OCSP response is checked against --cert');
  if (format === 'crl' && !values.cert && serial === undefined) throw new UsageError('a CRL file needs --cert or --serial: the certificate to look up');
  const report = await inspect(bytes, {
    ...options,
    file,
    // Every certificate of the file: a full chain works, the one that signed the leaf is used (core's choice).
    issuer: values.issuer ? readCertFile(io, values.issuer, '--issuer') : null,
    cert: values.cert ? readOneCert(io, values.cert, '--cert') : null,
    server: values.server ?? null,
    format,
    ...(serial !== undefined ? { serial } : {}),
  });
  if (values.json || values.format === 'json') io.stdout(renderJson(report, VERSION));
  else if (values.format === 'nagios')
    io.stdout(renderNagios(report, { warnSeconds: options.warnRemainingSeconds, critSeconds: options.critRemainingSeconds }));
  else io.stdout(renderTable(report, { width: tableWidth(io), color: useColor(io, values), verbose: values.verbose }));
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
async function pool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
  hooks: { readonly onStart: (index: number) => void; readonly onDone: (result: R, index: number) => void; readonly stopped: () => boolean },
): Promise<(R | undefined)[]> {
  const results: (R | undefined)[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length && !hooks.stopped()) {
      const index = next++;
      hooks.onStart(index);
      const result = await fn(items[index] as T, index);
      // A target aborted by Ctrl-C has no result worth showing: it is reported as not probed.
      if (hooks.stopped()) return;
      results[index] = result;
      hooks.onDone(result, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** `[====    ] 25/27 probed · running: a.example, b.example`, cut to the terminal's width. */
export function progressBar(done: number, total: number, running: readonly string[], columns = 100, width = 30): string {
  const filled = Math.round((done / total) * width);
  let line = `[${'='.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total} probed`;
  if (running.length > 0) line += ` · running: ${running.join(', ')}`;
  const room = Math.max(width + 20, columns - 1);
  if (line.length > room) line = `${line.slice(0, room - 1)}…`;
  return `\r${line}\u001b[K`;
}

/**
 * Ctrl-C during a run over many targets: the first stops starting targets and aborts those under way, so the
 * report of what finished is still printed; the second exits at once. Only installed for several targets.
 */
function interruptible(io: Io, onFirst: () => void): { readonly stopped: () => boolean; readonly dispose: () => void } {
  let count = 0;
  const handler = () => {
    count++;
    if (count === 1) onFirst();
    // 128 + SIGINT, as a shell reports a process killed by Ctrl-C.
    else process.exit(130);
  };
  const subscribe = io.onInterrupt ?? ((h: () => void) => (process.on('SIGINT', h), () => void process.off('SIGINT', h)));
  return { stopped: () => count > 0, dispose: subscribe(handler) };
}

const RANK: Record<Verdict, number> = { ok: 0, warn: 1, unknown: 2, critical: 3 };
const worse = (a: Verdict, b: Verdict): Verdict => (RANK[b] > RANK[a] ? b : a);

async function runProbe(args: string[], io: Io): Promise<number> {
  const line = parseCommandLine('probe', args);
  if (line.exit === 'help') return (io.stdout(HELP), 0);
  if (line.exit === 'version') return (io.stdout(`${VERSION}\n`), 0);
  const { values, positionals, given } = line;
  refuseFormatConflict(values, given);
  const format = values.json ? 'json' : values.format;
  const listed: { target: string; servername?: string }[] = positionals.map((target) => ({ target }));
  if (values.file !== undefined) {
    const text = Buffer.from(readInput(io, values.file, 'targets file')).toString('utf8');
    listed.push(...parseTargetsFile(text, values.file === '-' ? 'standard input' : values.file));
  }
  if (listed.length === 0) throw new UsageError(values.file !== undefined ? `no target in ${values.file}` : 'no target given');
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
  const issuer = values.issuer ? readCertFile(io, values.issuer, '--issuer') : null;
  const extraCerts = values['ca-file'] ? readCertFile(io, values['ca-file'], '--ca-file') : [];
  const proxy = proxyOption(values.proxy, io.env);
  const judge = judgement(values, given);
  if (values['save-staples'] !== undefined) prepareStapleDir(values['save-staples']);
  // One cache and one verifier for the run: one live query per certificate however many targets serve it.
  const cache = createCollectCache();
  const verifier = new SignatureVerifier();
  const abort = new AbortController();
  const showProgress = targets.length > 1 && io.stderrIsTty;
  const running = new Map<number, string>();
  let finished = 0;
  const progress = () => showProgress && io.stderr(progressBar(finished, targets.length, [...running.values()], io.columns));
  const interrupt = targets.length > 1 ? interruptible(io, () => abort.abort(new Error('interrupted'))) : null;
  progress();
  let reports: (Report | undefined)[];
  try {
    reports = await pool(
      targets,
      values.concurrency,
      async (target) => {
        const evidence = await collect(target, {
          tlsVersions: tlsVersionsOf(values.tls),
          keyTypes: values['key-types'],
          starttls: values.starttls,
          attempts: values.attempts,
          timeoutMs: values.timeout,
          retryDelayMs: values['retry-delay'],
          issuer,
          extraCerts,
          live: !values['no-live'],
          httpHead: !values['no-http'],
          server: values.server ?? null,
          nonce: values.nonce,
          http: { timeoutMs: values['live-timeout'], maxBytes: values['live-max-bytes'] },
          crl: !values['no-crl'],
          crlHttp: { timeoutMs: values['crl-timeout'], maxBytes: values['crl-max-bytes'] },
          cache,
          verifier,
          proxy,
          signal: abort.signal,
          ...(values.address ? { address: values.address } : {}),
        });
        return assess(evidence, { ...judge, verifier, now: judge.now ?? new Date() });
      },
      {
        onStart: (index) => (running.set(index, targets[index]?.input ?? '?'), progress()),
        onDone: (report, index) => {
          running.delete(index);
          finished++;
          if (format === 'jsonl') io.stdout(`${JSON.stringify(toJsonReport(report, VERSION, values.scope))}\n`);
          progress();
        },
        stopped: () => interrupt?.stopped() ?? false,
      },
    );
  } finally {
    interrupt?.dispose();
  }
  if (showProgress) io.stderr('\r\u001b[K');
  const done = reports.filter((r): r is Report => r !== undefined);
  const missing = targets.filter((_, i) => reports[i] === undefined).map((t) => t.input);
  if (missing.length > 0) io.stderr(`probe: interrupted; not probed: ${missing.join(', ')}\n`);
  if (done.length === 0) return 3;
  if (values['save-staples'] !== undefined) saveStaples(values['save-staples'], done);
  const report = done.length === 1 && targets.length === 1 ? (done[0] as Report) : mergeReports(done, (judge.now ?? new Date()).toISOString());
  const style = { width: tableWidth(io), color: useColor(io, values), verbose: values.verbose };
  if (format === 'nagios')
    io.stdout(renderNagios(report, { warnSeconds: judge.warnRemainingSeconds, critSeconds: judge.critRemainingSeconds, scope: values.scope }));
  else if (format === 'json') io.stdout(renderJson(report, VERSION, values.scope));
  else if (format === 'table') io.stdout(targets.length > 1 ? renderSummary(done, style) : renderTable(report, style));
  // An interrupted run is incomplete: at best unknown, unless what finished is already critical.
  const verdict = scopedVerdict(report, values.scope);
  return exitCodeOf(missing.length > 0 ? worse(verdict, 'unknown') : verdict);
}

/** Run the CLI. Returns the exit code; usage errors print one line, never a stack trace. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const args = [...argv];
  try {
    if (args[0] === 'inspect') return await runInspect(args.slice(1), io);
    if (args[0] === 'demo') {
      if (args.includes('--help') || args.includes('-h')) return (io.stdout(HELP), 0);
      const extra = args.slice(1).find((arg) => arg !== '--no-color');
      if (extra !== undefined) throw new UsageError(`demo takes no arguments but --no-color (got ${extra})`);
      const { runDemo } = await import('./demo.js');
      return await runDemo(args.slice(1), io);
    }
    if (args[0] === 'serve') {
      const { runServe } = await import('./serve/command.js');
      return await runServe(args.slice(1), io);
    }
    if (args[0] === 'help') return (io.stdout(HELP), 0);
    return await runProbe(args, io);
  } catch (error) {
    // By name too: in the bundle, `probe serve` is a bundle of its own, with its own copy of the class.
    if (error instanceof UsageError || (error instanceof Error && error.name === 'UsageError')) {
      io.stderr(`probe: ${error.message}\nTry 'probe ${args[0] === 'serve' ? 'serve ' : ''}--help'.\n`);
      return 3;
    }
    // Anything else is our bug: say so in one line and keep the exit code honest.
    io.stderr(`probe: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
    if (io.env.STAPLE_PROBE_DEBUG) io.stderr(`${(error as Error).stack}\n`);
    return 3;
  }
}
