import { readCertificates, TargetError } from '@staple-probe/core';
import type { Io } from '../cli.js';
import { helpLines, namesOf, parseCommandLine, tlsVersionsOf, UsageError } from '../options.js';
import { proxyOption } from '../proxy.js';
import { parseConfig } from './config.js';
import { type Module, startExporter } from './exporter.js';

const OWN = ['listen', 'config', 'allow', 'concurrency'] as const;

export const SERVE_HELP = `probe serve: a Prometheus exporter in the blackbox_exporter pattern.

Usage:
  probe serve [--listen HOST:PORT] [--config modules.yaml] [--allow HOST|CIDR]... [options]

  GET /probe?target=host:port[&module=NAME][&servername=NAME]   probe once, answer its metrics
  GET /metrics                                                   the exporter's own metrics
  GET /                                                          a page with links

Options:
${helpLines('serve', OWN)}

Module defaults, as for probe (the modules file takes durations: timeout: 5s, retry_delay: 0.25s):
${helpLines(
  'serve',
  namesOf('serve').filter((name) => name !== 'help' && !(OWN as readonly string[]).includes(name)),
)}
`;

/** `probe serve`: start the exporter and run until SIGINT or SIGTERM. */
export async function runServe(args: readonly string[], io: Io, stop?: Promise<void>): Promise<number> {
  const line = parseCommandLine('serve', args);
  if (line.exit !== null) return (io.stdout(SERVE_HELP), 0);
  const { values } = line;
  const defaults: Module = {
    tlsVersions: tlsVersionsOf(values.tls),
    keyTypes: values['key-types'],
    attempts: values.attempts,
    timeoutMs: values.timeout,
    retryDelayMs: values['retry-delay'],
    live: !values['no-live'],
    crl: !values['no-crl'],
    httpHead: !values['no-http'],
    warnRemainingSeconds: values['warn-remaining'],
    critRemainingSeconds: values['crit-remaining'],
  };
  let modules: Record<string, Module> = { default: defaults };
  let allow = [...values.allow];
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
  const proxy = proxyOption(values.proxy, io.env);
  let exporter: Awaited<ReturnType<typeof startExporter>>;
  try {
    exporter = await startExporter({
      listen: values.listen,
      modules,
      allow,
      concurrency: values.concurrency,
      extraCerts,
      collect: { proxy },
    });
  } catch (error) {
    if (error instanceof TargetError) throw new UsageError(error.message);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') throw new UsageError(`cannot listen on ${values.listen}: ${code}`);
    throw error;
  }
  io.stderr(
    `probe serve: listening on ${exporter.url} (modules: ${Object.keys(modules).join(', ')}; allow: ${allow.length ? allow.join(', ') : 'any target'})\n`,
  );
  await (stop ??
    new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    }));
  await exporter.close();
  return 0;
}
