import { readCertificates, TargetError } from '@staple-probe/core';
import type { Io } from '../cli.js';
import { helpLines, namesOf, parseCommandLine, tlsVersionsOf, UsageError } from '../options.js';
import { proxyOption } from '../proxy.js';
import { parseConfig } from './config.js';
import { type Module, type ServeConfig, startExporter } from './exporter.js';
import { createLogger, type Logger } from './log.js';

const OWN = ['listen', 'config', 'allow', 'concurrency', 'log-level'] as const;

export const SERVE_HELP = `probe serve: a Prometheus exporter in the blackbox_exporter pattern.

Usage:
  probe serve [--listen HOST:PORT] [--config modules.yaml] [--allow HOST|CIDR]... [options]

  GET /probe?target=host:port[&module=NAME][&servername=NAME]   probe once, answer its metrics
  GET /probe?target=…&debug=true                                 the probe's logs, findings, report and metrics as text
  GET /                                                          the last 100 probes, with links to their logs
  GET /logs?id=N                                                 one listed probe's debug output
  GET /metrics                                                   the exporter's own metrics
  POST /-/reload (or SIGHUP)                                     read --config again (a bad file keeps the old config)

Options:
${helpLines('serve', OWN)}

Module defaults, as for probe (the modules file takes durations: timeout: 5s, retry_delay: 0.25s):
${helpLines(
  'serve',
  namesOf('serve').filter((name) => name !== 'help' && !(OWN as readonly string[]).includes(name)),
)}
`;

const FILE_ERRORS: Record<string, string> = { ENOENT: 'no such file', EISDIR: 'is a directory', EACCES: 'permission denied' };

/** The modules file read and checked, over the flag defaults; throws UsageError saying what is wrong with it. */
function loadConfig(io: Io, path: string, defaults: Module, flagAllow: readonly string[]): ServeConfig {
  let text: string;
  try {
    text = Buffer.from(io.readFile(path)).toString('utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    throw new UsageError(`cannot read --config ${path}: ${FILE_ERRORS[code] ?? (error as Error).message}`);
  }
  const config = parseConfig(text, path, defaults);
  return { modules: config.modules, allow: [...flagAllow, ...config.allow] };
}

/** SIGHUP reloads; SIGINT and SIGTERM stop. The handlers are removed when the exporter stops. */
function signals(reload: () => void): { stopped: Promise<void>; remove(): void } {
  let remove = () => {};
  const stopped = new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.on('SIGHUP', reload);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    remove = () => {
      process.off('SIGHUP', reload);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    };
  });
  return { stopped, remove };
}

/** `probe serve`: start the exporter and run until SIGINT or SIGTERM; SIGHUP reloads --config. */
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
    scope: values.scope,
    starttls: values.starttls,
  };
  const configPath = values.config;
  const load = () => (configPath !== undefined ? loadConfig(io, configPath, defaults, values.allow) : { modules: { default: defaults }, allow: values.allow });
  const { modules, allow } = load();
  const log: Logger = createLogger(values['log-level'], (line) => io.stderr(line));
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
      log,
      ...(configPath !== undefined ? { reload: load } : {}),
      collect: { proxy },
    });
  } catch (error) {
    if (error instanceof TargetError) throw new UsageError(error.message);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') throw new UsageError(`cannot listen on ${values.listen}: ${code}`);
    throw error;
  }
  log.info('listening', { url: exporter.url, modules: Object.keys(modules), allow: allow.length ? allow : 'any target', config: configPath });
  const handlers = signals(() => {
    log.info('SIGHUP: reloading the configuration', { config: configPath });
    exporter.reload();
  });
  await (stop ?? handlers.stopped);
  handlers.remove();
  await exporter.close();
  log.info('stopped');
  return 0;
}
