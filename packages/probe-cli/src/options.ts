import { parseArgs } from 'node:util';
import { DEFAULTS, SERVER_NAMES, type TlsVersion } from '@staple-probe/core';

/** A command-line mistake: printed as one line with a pointer to --help, exit code 3. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export type Command = 'probe' | 'inspect' | 'serve';

/** What a flag takes; `help` may hold `{default}` (the rendered default) and `\n` (a continuation line). */
interface Spec {
  readonly kind: 'boolean' | 'string' | 'file' | 'integer' | 'duration' | 'choice';
  readonly commands: readonly Command[];
  readonly help: string;
  /** The placeholder shown after the flag in the help: `--timeout MS`. */
  readonly arg?: string;
  readonly short?: string;
  readonly multiple?: true;
  /** integer: the accepted range. */
  readonly min?: number;
  readonly max?: number;
  readonly choices?: readonly string[];
  readonly ignoreCase?: true;
  /** A number of seconds for a duration, of the flag's unit for an integer. */
  readonly default?: number | string;
  /** Where a command takes the same flag with another range, default or help line. */
  readonly for?: Partial<Record<Command, Omit<Partial<Spec>, 'for' | 'kind' | 'commands'>>>;
}

const ALL: readonly Command[] = ['probe', 'inspect', 'serve'];
const MS_LIMIT = 600_000;

/**
 * Every flag of `probe`, `probe inspect` and `probe serve`: the parser, the value checks and the help
 * lines come from here, and the defaults from core's `DEFAULTS` where core has one.
 */
export const OPTIONS = {
  servername: { kind: 'string', arg: 'NAME', commands: ['probe'], help: 'SNI name to send (default: the host name; none for an IP address)' },
  address: { kind: 'string', arg: 'IP', commands: ['probe'], help: 'connect to this address instead of resolving the host (SNI stays the host)' },
  issuer: {
    kind: 'file',
    arg: 'FILE',
    commands: ['probe', 'inspect'],
    help: 'issuer certificate (PEM or DER), when the server does not send it; a chain\nfile works (fullchain.pem): the certificate that signed the leaf is used',
    for: {
      inspect: {
        help: 'issuer certificate: enables the signature and responder checks; in a chain\nfile, the one that signed --cert (without --cert: the one the response names)',
      },
    },
  },
  'ca-file': { kind: 'file', arg: 'FILE', commands: ['probe', 'serve'], help: 'more trusted roots (PEM), also searched for the issuer' },
  tls: {
    kind: 'choice',
    arg: '1.2|1.3|both',
    choices: ['1.2', '1.3', 'both'],
    default: 'both',
    commands: ['probe', 'serve'],
    help: 'TLS versions to probe, each separately (default: {default})',
  },
  'key-types': {
    kind: 'choice',
    arg: 'KIND',
    choices: ['all', 'default'],
    default: DEFAULTS.keyTypes,
    commands: ['probe', 'serve'],
    help: "all: besides Node's hello, offer only RSA and only ECDSA per version, so that\nevery certificate is found and judged (default: {default}); default: Node's hello\nalone, one certificate per version (fewer handshakes)",
  },
  attempts: {
    kind: 'integer',
    arg: 'N',
    min: 1,
    max: 20,
    default: DEFAULTS.attempts,
    commands: ['probe', 'serve'],
    help: 'full handshakes per address and version (default: {default}; nginx staples\nonly after its first handshake)',
  },
  'retry-delay': {
    kind: 'integer',
    arg: 'MS',
    min: 0,
    max: 60_000,
    default: DEFAULTS.retryDelayMs,
    commands: ['probe', 'serve'],
    help: 'pause after a handshake without a staple (default: {default})',
  },
  timeout: {
    kind: 'integer',
    arg: 'MS',
    min: 100,
    max: MS_LIMIT,
    default: DEFAULTS.timeoutMs,
    commands: ['probe', 'serve'],
    help: 'deadline per handshake (default: {default})',
  },
  server: {
    kind: 'choice',
    arg: 'NAME',
    choices: SERVER_NAMES,
    ignoreCase: true,
    commands: ['probe', 'inspect'],
    help: "word the fixes for this server software: nginx, apache, haproxy,\ncaddy, lighttpd, h2o, litespeed, envoy, traefik, iis, exim, postfix, dovecot,\nproftpd or stunnel (default: detected from the Server header of one HEAD /\nor a mail server's greeting; otherwise the usual servers' fixes are given)",
    for: { inspect: { help: 'word the fixes for this server software (see probe --help)' } },
  },
  starttls: {
    kind: 'choice',
    arg: 'PROTO',
    choices: ['auto', 'none', 'smtp', 'imap', 'pop3', 'ftp', 'xmpp', 'ldap', 'postgres'],
    ignoreCase: true,
    default: 'auto',
    commands: ['probe', 'serve'],
    help: 'STARTTLS before every handshake (default: {default}, by the port: 25 and 587\nsmtp, 143 imap, 110 pop3, 21 ftp, 5222 xmpp, 389 ldap, 5432 postgres): a\nprotocol, or none for TLS from the first byte; on 465, 993, 995 and 990\n(implicit TLS) no HEAD is sent: the greeting names the server (elsewhere, a\ngreeting said instead of an answer to the HEAD names it too)',
  },
  'no-http': {
    kind: 'boolean',
    commands: ['probe', 'serve'],
    help: 'do not send that HEAD / (for ports that do not speak HTTP), nor wait\nfor a greeting on an implicit-TLS mail port',
    for: { serve: { help: 'do not send the HEAD / that detects the server software (for ports that do\nnot speak HTTP)' } },
  },
  serial: {
    kind: 'string',
    arg: 'HEX',
    commands: ['inspect'],
    help: 'with a CRL file and no --cert: the serial to look up (of a certificate issued by --issuer)',
  },
  'no-live': { kind: 'boolean', commands: ['probe', 'serve'], help: 'do not ask the responder; judge the staple alone' },
  'no-crl': { kind: 'boolean', commands: ['probe', 'serve'], help: "do not download the certificates' CRLs (revocation by CRL is not checked)" },
  'crl-timeout': {
    kind: 'integer',
    arg: 'MS',
    min: 100,
    max: MS_LIMIT,
    default: DEFAULTS.crlTimeoutMs,
    commands: ['probe'],
    help: 'total deadline for one CRL download, body included (default: {default})',
  },
  'crl-max-bytes': {
    kind: 'integer',
    arg: 'N',
    min: 1024,
    max: 1024 * 1024 * 1024,
    default: DEFAULTS.crlMaxBytes,
    commands: ['probe'],
    help: 'largest CRL accepted (default: {default})',
  },
  proxy: {
    kind: 'string',
    arg: 'URL',
    commands: ['probe', 'serve'],
    help: "http://[user:pass@]host:port: the HTTP proxy of the live query, AIA and CRL\ndownloads (default: $http_proxy and $https_proxy; NO_PROXY applies either\nway; '' for none: direct)",
  },
  nonce: { kind: 'boolean', commands: ['probe'], help: 'send a nonce (many responders ignore it, RFC 5019)' },
  'live-timeout': {
    kind: 'integer',
    arg: 'MS',
    min: 100,
    max: MS_LIMIT,
    default: DEFAULTS.httpTimeoutMs,
    commands: ['probe'],
    help: 'total deadline for the query, body included (default: {default})',
  },
  'live-max-bytes': {
    kind: 'integer',
    arg: 'N',
    min: 1024,
    max: 64 * 1024 * 1024,
    default: DEFAULTS.httpMaxBytes,
    commands: ['probe'],
    help: 'largest answer accepted (default: {default})',
  },
  at: { kind: 'string', arg: 'ISO-8601', commands: ['probe', 'inspect'], help: 'judge as of this instant instead of now' },
  'warn-remaining': {
    kind: 'duration',
    arg: 'DUR',
    default: DEFAULTS.warnRemainingSeconds,
    commands: ALL,
    help: "warn when less validity remains before nextUpdate (default: {default}), or less\nthan a quarter of the response's validity when that is shorter",
  },
  'crit-remaining': {
    kind: 'duration',
    arg: 'DUR',
    default: DEFAULTS.critRemainingSeconds,
    commands: ALL,
    help: 'critical when less remains (default: {default}, i.e. only once expired)',
  },
  warning: {
    kind: 'string',
    short: 'w',
    arg: 'N',
    commands: ['probe', 'inspect'],
    help: 'the same as --warn-remaining in check_ssl_cert style: N days (or a duration)',
  },
  critical: { kind: 'string', short: 'c', arg: 'N', commands: ['probe', 'inspect'], help: 'the same as --crit-remaining: N days (or a duration)' },
  skew: {
    kind: 'duration',
    arg: 'DUR',
    default: DEFAULTS.skewSeconds,
    commands: ['probe', 'inspect'],
    help: 'clock skew tolerated on thisUpdate/nextUpdate/producedAt (default: {default})',
  },
  cert: { kind: 'file', arg: 'FILE', commands: ['inspect'], help: 'the certificate the response is for: enables the serial check' },
  file: {
    kind: 'file',
    short: 'f',
    arg: 'FILE',
    commands: ['probe'],
    help: 'read targets from FILE (- for standard input): one "host[:port] [servername]"\nper line, # starts a comment',
  },
  concurrency: {
    kind: 'integer',
    arg: 'N',
    min: 1,
    max: 256,
    default: 8,
    commands: ['probe', 'serve'],
    help: 'targets probed at once (default: {default})',
    for: { serve: { max: 1024, default: 16, help: 'probes in flight at most; more get 503 (default: {default})' } },
  },
  format: {
    kind: 'choice',
    arg: 'FORMAT',
    choices: ['table', 'json', 'jsonl', 'nagios'],
    default: 'table',
    commands: ['probe', 'inspect'],
    help: 'table (default; a summary table for several targets), json (one document,\nschema report.v2.schema.json), jsonl (one report per line as each target\nfinishes), nagios (one Monitoring Plugins status line with perfdata)',
    for: { inspect: { choices: ['table', 'json', 'nagios'] } },
  },
  scope: {
    kind: 'choice',
    arg: 'all|stapling',
    choices: ['all', 'stapling'],
    default: 'all',
    commands: ['probe', 'serve'],
    help: 'what the exit code and the Nagios status follow: all findings (default:\n{default}), or the stapling verdict alone (certificate problems still shown)',
    for: { serve: { help: 'what staple_probe_verdict follows (module key scope): all findings\n(default: {default}), or the stapling verdict alone' } },
  },
  'save-staples': {
    kind: 'file',
    arg: 'DIR',
    commands: ['probe'],
    help: 'write each distinct staple to DIR (made if missing) as <host>_<port>-<sha256\nprefix>.der, for probe inspect or openssl ocsp -respin',
  },
  json: { kind: 'boolean', commands: ['probe', 'inspect'], help: 'same as --format json' },
  verbose: {
    kind: 'boolean',
    short: 'v',
    commands: ['probe', 'inspect'],
    help: "table: every detail (places, each server's fix, handshakes, live answer and\nstaples field by field, with the CertID hashes)",
  },
  'no-color': { kind: 'boolean', commands: ['probe', 'inspect'], help: 'no ANSI colours (also: NO_COLOR=1, or output is not a terminal)' },
  help: { kind: 'boolean', short: 'h', commands: ALL, help: 'this help' },
  version: { kind: 'boolean', short: 'V', commands: ['probe', 'inspect'], help: 'the version' },
  listen: { kind: 'string', arg: 'HOST:PORT', default: '127.0.0.1:9219', commands: ['serve'], help: 'where to listen (default: {default})' },
  config: {
    kind: 'file',
    arg: 'FILE',
    commands: ['serve'],
    help: 'YAML: named modules (tls, key_types, attempts, timeout, retry_delay, live,\ncrl, http, warn_remaining, crit_remaining, scope) and an allow list; reloaded\non SIGHUP and POST /-/reload',
  },
  allow: {
    kind: 'string',
    arg: 'HOST|CIDR',
    multiple: true,
    commands: ['serve'],
    help: 'targets that may be probed (repeatable); required unless listening on loopback',
  },
  'log-level': {
    kind: 'choice',
    arg: 'LEVEL',
    choices: ['debug', 'info', 'warn', 'error'],
    default: 'info',
    commands: ['serve'],
    help: 'debug, info, warn or error: the least severe log lines written on stderr\n(default: {default}; info logs one line per probe)',
  },
} as const satisfies Record<string, Spec>;

type Options = typeof OPTIONS;
export type OptionName = keyof Options;

type Value<O> = O extends { kind: 'boolean' }
  ? boolean
  : O extends { multiple: true }
    ? string[]
    : | (O extends { kind: 'integer' | 'duration' } ? number : O extends { choices: readonly (infer C)[] } ? C : string)
      | (O extends { default: unknown } ? never : undefined);

/** The flags `command` takes, parsed and checked: numbers for integers and durations (seconds), defaults filled in. */
export type Values<C extends Command> = {
  readonly [K in OptionName as C extends Options[K]['commands'][number] ? K : never]: Value<Options[K]>;
};

/** The option as `command` takes it. */
export function specOf(name: OptionName, command: Command): Spec {
  const base: Spec = OPTIONS[name];
  return { ...base, ...base.for?.[command] };
}

/** The flags `command` takes, in table order. */
export function namesOf(command: Command): OptionName[] {
  return (Object.keys(OPTIONS) as OptionName[]).filter((name) => (OPTIONS[name].commands as readonly Command[]).includes(command));
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** "90s", "30m", "36h", "2d" or a bare number of seconds, to seconds. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)([smhd]?)$/.exec(text.trim());
  if (!m) throw new UsageError(`${flag} ${text}: expected a duration such as 90s, 30m, 36h or 2d`);
  return Number(m[1]) * (UNITS[m[2] || 's'] ?? 1);
}

/** Seconds in the largest unit that divides them: 172800 -> "2d", 0.1 -> "0.1s". */
export function formatDuration(seconds: number): string {
  if (seconds === 0) return '0';
  const unit = (['d', 'h', 'm'] as const).find((u) => seconds % (UNITS[u] as number) === 0);
  return unit ? `${seconds / (UNITS[unit] as number)}${unit}` : `${seconds}s`;
}

export function parseIntIn(text: string, flag: string, min: number, max: number): number {
  // A negative number is a number out of range, not a malformed one: say the range.
  if (!/^-?\d+$/.test(text.trim())) throw new UsageError(`${flag} ${text}: expected a whole number`);
  const n = Number(text);
  if (n < min || n > max) throw new UsageError(`${flag} ${text}: expected ${min} to ${max}`);
  return n;
}

/** "a, b or c". */
export function orList(items: readonly string[]): string {
  return items.length < 2 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}

export function tlsVersionsOf(choice: 'both' | TlsVersion): TlsVersion[] {
  return choice === 'both' ? ['1.2', '1.3'] : [choice];
}

function valueOf(spec: Spec, flag: string, text: string): number | string {
  if (spec.kind === 'integer') return parseIntIn(text, flag, spec.min ?? 0, spec.max ?? Number.MAX_SAFE_INTEGER);
  if (spec.kind === 'duration') {
    // -w/-c take days (check_ssl_cert), so a bare number on a duration flag is ambiguous: ask for the unit.
    const bare = /^\d+(\.\d+)?$/.exec(text.trim());
    if (bare && Number(bare[0]) !== 0) throw new UsageError(`${flag} ${text}: give a unit: ${orList(['d', 'h', 'm', 's'].map((u) => `${bare[0]}${u}`))}`);
    return parseDuration(text, flag);
  }
  if (spec.kind !== 'choice') return text;
  const value = spec.ignoreCase ? text.toLowerCase() : text;
  if (!spec.choices?.includes(value)) throw new UsageError(`${flag} ${text}: expected ${orList(spec.choices ?? [])}`);
  return value;
}

/** `--help` (or `--version`) stops the parse before any value is checked, so it works beside a bad one. */
export type CommandLine<C extends Command> =
  | { readonly exit: 'help' }
  | { readonly exit: 'version' }
  | {
      readonly exit: null;
      readonly values: Values<C>;
      readonly positionals: string[];
      /** The flags written on the command line, as distinct from defaults. */
      readonly given: ReadonlySet<OptionName>;
    };

/** Parse `args` for `command` with node:util's parseArgs, then check and convert each value as the table says. */
export function parseCommandLine<C extends Command>(command: C, args: readonly string[]): CommandLine<C> {
  const names = namesOf(command);
  const options = Object.fromEntries(
    names.map((name) => {
      const spec: Spec = OPTIONS[name];
      return [
        name,
        { type: spec.kind === 'boolean' ? 'boolean' : 'string', ...(spec.short ? { short: spec.short } : {}), ...(spec.multiple ? { multiple: true } : {}) },
      ] as const;
    }),
  );
  // parseArgs reads `--timeout -1` as a flag without its value and explains over four lines; pass the
  // negative number as the flag's value, so that the range check answers in one.
  const valued = new Map<string, string>();
  for (const name of names) {
    const spec: Spec = OPTIONS[name];
    if (spec.kind === 'boolean') continue;
    valued.set(`--${name}`, `--${name}=`);
    if (spec.short) valued.set(`-${spec.short}`, `-${spec.short}`);
  }
  const joined: string[] = [];
  for (const arg of args) {
    const previous = joined.at(-1);
    // After `--` everything is a positional.
    const glue = previous !== undefined && !joined.includes('--') ? valued.get(previous) : undefined;
    if (glue !== undefined && /^-\d/.test(arg)) joined[joined.length - 1] = `${glue}${arg}`;
    else joined.push(arg);
  }
  let parsed: { values: Record<string, string | boolean | (string | boolean)[] | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args: joined, options, allowPositionals: command !== 'serve', strict: true });
  } catch (error) {
    // node:util names the flag; keep its sentence, drop its stack.
    throw new UsageError((error as Error).message.replace(/\. To specify a positional argument.*$/, ''));
  }
  if (parsed.values.help) return { exit: 'help' };
  if (parsed.values.version) return { exit: 'version' };
  const values: Record<string, unknown> = {};
  for (const name of names) {
    const spec = specOf(name, command);
    const given = parsed.values[name];
    if (spec.kind === 'boolean') values[name] = given === true;
    else if (spec.multiple) values[name] = given ?? [];
    else if (typeof given === 'string') values[name] = valueOf(spec, `--${name}`, given);
    else values[name] = spec.default;
  }
  const given = new Set(names.filter((name) => parsed.values[name] !== undefined));
  return { exit: null, values: values as Values<C>, positionals: parsed.positionals, given };
}

const HELP_COLUMN = 24;

/** The help lines of these flags as `command` takes them, defaults filled in. */
export function helpLines(command: Command, names: readonly OptionName[]): string {
  return names
    .map((name) => {
      const spec = specOf(name, command);
      const flag = `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.arg ? ` ${spec.arg}` : ''}`;
      const shown = spec.kind === 'duration' && typeof spec.default === 'number' ? formatDuration(spec.default) : String(spec.default);
      const text = spec.help.replaceAll('{default}', shown).replaceAll('\n', `\n${' '.repeat(HELP_COLUMN)}`);
      return `  ${flag.padEnd(HELP_COLUMN - 4)}  ${text}`;
    })
    .join('\n');
}
