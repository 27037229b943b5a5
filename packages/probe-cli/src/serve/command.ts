import { parseArgs } from 'node:util';
import { readCertificates, TargetError, type TlsVersion } from '@staple-probe/core';
import type { Io } from '../cli.js';
import { parseDuration, parseIntIn, UsageError } from '../options.js';
import { parseConfig } from './config.js';
import { type Module, startExporter } from './exporter.js';

export const SERVE_HELP = `probe serve: a Prometheus exporter in the blackbox_exporter pattern.

Usage:
  probe serve [--listen HOST:PORT] [--config modules.yaml] [--allow HOST|CIDR]... [options]

  GET /probe?target=host:port[&module=NAME][&servername=NAME]   probe once, answer its metrics
  GET /metrics                                                   the exporter's own metrics
  GET /                                                          a page with links

Options:
  --listen HOST:PORT    where to listen (default: 127.0.0.1:9219)
  --config FILE         YAML: named modules (tls, attempts, timeout, retry_delay, live,
                        warn_remaining, crit_remaining) and an allow list
  --allow HOST|CIDR     targets that may be probed (repeatable); required unless listening on loopback
  --concurrency N       probes in flight at most; more get 503 (default: 16)
  --ca-file, --timeout, --attempts, --tls, --retry-delay, --no-live, --no-http,
  --warn-remaining, --crit-remaining   defaults for every module, as for probe (the modules file
                        takes durations: timeout: 5s, retry_delay: 0.25s)
`;

const OPTIONS = {
  listen: { type: 'string' },
  config: { type: 'string' },
  allow: { type: 'string', multiple: true },
  concurrency: { type: 'string' },
  'ca-file': { type: 'string' },
  timeout: { type: 'string' },
  attempts: { type: 'string' },
  tls: { type: 'string' },
  'retry-delay': { type: 'string' },
  'no-live': { type: 'boolean' },
  'no-http': { type: 'boolean' },
  'warn-remaining': { type: 'string' },
  'crit-remaining': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `probe serve`: start the exporter and run until SIGINT or SIGTERM. */
export async function runServe(args: readonly string[], io: Io, stop?: Promise<void>): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; allowPositionals: false; strict: true }>>;
  try {
    parsed = parseArgs({ args: [...args], options: OPTIONS, allowPositionals: false, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\. To specify a positional argument.*$/, ''));
  }
  const values = parsed.values;
  if (values.help) return io.stdout(SERVE_HELP), 0;
  const tls = values.tls ?? 'both';
  if (tls !== '1.2' && tls !== '1.3' && tls !== 'both') throw new UsageError(`--tls ${tls}: expected 1.2, 1.3 or both`);
  const defaults: Module = {
    tlsVersions: tls === 'both' ? ['1.2', '1.3'] : [tls as TlsVersion],
    attempts: values.attempts !== undefined ? parseIntIn(values.attempts, '--attempts', 1, 20) : 3,
    timeoutMs: values.timeout !== undefined ? parseIntIn(values.timeout, '--timeout', 100, 600_000) : 10_000,
    retryDelayMs: values['retry-delay'] !== undefined ? parseIntIn(values['retry-delay'], '--retry-delay', 0, 60_000) : 250,
    live: !values['no-live'],
    httpHead: !values['no-http'],
    warnRemainingSeconds: values['warn-remaining'] !== undefined ? parseDuration(values['warn-remaining'], '--warn-remaining') : 2 * 86400,
    critRemainingSeconds: values['crit-remaining'] !== undefined ? parseDuration(values['crit-remaining'], '--crit-remaining') : 0,
  };
  let modules: Record<string, Module> = { default: defaults };
  let allow = [...(values.allow ?? [])];
  if (values.config !== undefined) {
    let text: string;
    try {
      text = Buffer.from(io.readFile(values.config)).toString('utf8');
    } catch {
      throw new UsageError(`cannot read --config ${values.config}`);
    }
    const config = parseConfig(text, values.config, defaults);
    modules = config.modules;
    allow = [...allow, ...config.allow];
  }
  let extraCerts: Uint8Array[] = [];
  if (values['ca-file'] !== undefined) {
    try {
      extraCerts = readCertificates(io.readFile(values['ca-file']));
    } catch {
      throw new UsageError(`cannot read --ca-file ${values['ca-file']}`);
    }
  }
  let exporter: Awaited<ReturnType<typeof startExporter>>;
  try {
    exporter = await startExporter({
      listen: values.listen ?? '127.0.0.1:9219',
      modules,
      allow,
      concurrency: values.concurrency !== undefined ? parseIntIn(values.concurrency, '--concurrency', 1, 1024) : 16,
      extraCerts,
    });
  } catch (error) {
    if (error instanceof TargetError) throw new UsageError(error.message);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') throw new UsageError(`cannot listen on ${values.listen ?? '127.0.0.1:9219'}: ${code}`);
    throw error;
  }
  io.stderr(`probe serve: listening on ${exporter.url} (modules: ${Object.keys(modules).join(', ')}; allow: ${allow.length ? allow.join(', ') : 'any target'})\n`);
  await (stop ??
    new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    }));
  await exporter.close();
  return 0;
}
