import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo, BlockList, isIP } from 'node:net';
import {
  assess,
  type CollectCache,
  type CollectOptions,
  collect,
  DEFAULTS,
  decodeOcspResponse,
  type KeyTypes,
  parseCrl,
  parseTarget,
  type Report,
  renderMessage,
  SignatureVerifier,
  TargetError,
  type TlsVersion,
  type StarttlsProtocol,
} from '@staple-probe/core';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { type Scope, scopedVerdict } from '../scope.js';
import { renderDebug } from './debug.js';
import { ProbeHistory, renderIndex } from './history.js';
import { type Logger, SILENT } from './log.js';
import { probeRegistry, roundSeconds } from './metrics.js';

/** One probing profile, chosen per scrape with `module=`. */
export interface Module {
  readonly tlsVersions: readonly TlsVersion[];
  /** `all`: offer only RSA and only ECDSA besides Node's hello, so every certificate is found; `default`: Node's hello. */
  readonly keyTypes: KeyTypes;
  readonly attempts: number;
  readonly timeoutMs: number;
  readonly retryDelayMs: number;
  readonly live: boolean;
  /** Download and judge each certificate's CRL (http and https distribution points). */
  readonly crl: boolean;
  /** Send one HEAD / to detect the server software (off for ports that do not speak HTTP). */
  readonly httpHead: boolean;
  readonly warnRemainingSeconds: number;
  readonly critRemainingSeconds: number;
  /** What `staple_probe_verdict` follows: every finding, or the stapling verdict alone. */
  readonly scope: Scope;
  /** The STARTTLS upgrade to speak first (issue #24): a protocol, `auto` (by the well-known port) or `none`. */
  readonly starttls: StarttlsProtocol | 'auto' | 'none';
}

/** What a reload replaces: the modules and the allow-list. */
export interface ServeConfig {
  readonly modules: Readonly<Record<string, Module>>;
  /** Host names and CIDRs targets must match; required unless listening on loopback. */
  readonly allow: readonly string[];
}

/** The outcome of a reload: the new modules, or why the old configuration stays. */
export type ReloadResult = { readonly ok: true; readonly modules: readonly string[] } | { readonly ok: false; readonly reason: string };

export interface ExporterOptions extends ServeConfig {
  /** `host:port` to listen on. */
  readonly listen: string;
  /** Probes in flight at most; more are answered 503 at once. */
  readonly concurrency: number;
  /** Trusted roots and issuer candidates (--ca-file), for every module. */
  readonly extraCerts?: readonly Uint8Array[];
  /** Collect options tests inject (resolver, fetch). */
  readonly collect?: Partial<CollectOptions>;
  /** Where the probe lines, refusals and reloads are logged; silent by default. */
  readonly log?: Logger;
  /** Read the configuration again (SIGHUP, `POST /-/reload`); throws with the reason when it is invalid. Absent: nothing to reload. */
  readonly reload?: () => ServeConfig;
  /** Probes kept for `/` and `/logs` (default 100). */
  readonly historySize?: number;
}

export interface Exporter {
  readonly url: string;
  readonly port: number;
  /** Apply `options.reload()`; an invalid configuration keeps the old one, logged at error level. */
  reload(): ReloadResult;
  close(): Promise<void>;
}

const MAX_URL = 2048;

const HOST_NAME = /^[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?\.?$/i;

const hostKey = (host: string) => host.toLowerCase().replace(/\.$/, '');

/**
 * Compile an allow-list: host names match the target's text exactly (case-insensitive, trailing dot
 * ignored); IP addresses and CIDRs match IP literals through `net.BlockList`, which takes an IPv4-mapped
 * IPv6 address (`::ffff:10.0.0.1`) as the IPv4 address it carries. An empty list allows every target.
 * Throws TargetError for an entry that is none of those.
 */
export function allowList(entries: readonly string[]): (host: string) => boolean {
  const names = new Set<string>();
  const ips = new BlockList();
  for (const entry of entries) {
    const [base = '', bits, ...rest] = entry.split('/');
    const v = isIP(base);
    const width = v === 4 ? 32 : 128;
    if (bits === undefined && v === 0 && HOST_NAME.test(entry)) names.add(hostKey(entry));
    else if (v !== 0 && bits === undefined) ips.addAddress(base, v === 4 ? 'ipv4' : 'ipv6');
    else if (v !== 0 && rest.length === 0 && /^\d{1,3}$/.test(bits ?? '') && Number(bits) <= width)
      ips.addSubnet(base, Number(bits), v === 4 ? 'ipv4' : 'ipv6');
    else throw new TargetError(`allow-list entry "${entry}" is neither a host name, an IP address nor a CIDR (no wildcards)`);
  }
  if (entries.length === 0) return () => true;
  return (host) => {
    const v = isIP(host);
    return v === 0 ? names.has(hostKey(host)) : ips.check(host, v === 4 ? 'ipv4' : 'ipv6');
  };
}

/** Whether a target host may be probed. Checked on the text of the target, before any DNS or connect. */
export function allowed(host: string, allow: readonly string[]): boolean {
  return allowList(allow)(host);
}

/** `10.0.0.0/8`, `::1/128` or a plain address: does the IP address `ip` fall inside? */
export function inCidr(ip: string, cidr: string): boolean {
  return isIP(ip) !== 0 && allowList([cidr])(ip);
}

const isLoopback = allowList(['localhost', '127.0.0.0/8', '::1']);

/** Splits `host:port` and `[v6]:port`; port 0 picks a free port. Says what is wrong with anything else. */
export function parseListen(listen: string): { host: string; port: number } {
  const bad = (why: string) => new TargetError(`--listen ${listen}: ${why}`);
  const colon = listen.lastIndexOf(':');
  if (colon < 0) throw bad('expected HOST:PORT, such as 127.0.0.1:9219 or [::]:9219');
  const hostText = listen.slice(0, colon);
  const portText = listen.slice(colon + 1);
  if (!/^\d+$/.test(portText)) throw bad(portText === '' ? 'the port is missing (HOST:PORT)' : `port "${portText}" is not a number`);
  const port = Number(portText);
  if (port > 65535) throw bad(`port ${portText} is out of range 1-65535 (0 picks a free port)`);
  const bracketed = /^\[([^\]]+)\]$/.exec(hostText);
  if (bracketed) {
    if (isIP(bracketed[1] as string) !== 6) throw bad(`"${bracketed[1]}" is not an IPv6 address`);
    return { host: bracketed[1] as string, port };
  }
  if (hostText === '') throw bad('the host is missing (write 0.0.0.0:PORT or [::]:PORT for every address)');
  if (hostText.includes(':')) throw bad(`an IPv6 address is written in brackets: [${hostText}]:${portText}`);
  return { host: hostText, port };
}

/**
 * A live OCSP answer stays valid until its nextUpdate: keep it that long across scrapes (never hammer a CA
 * every 15 seconds), and a failed query for a minute. Plain `Map` semantics otherwise.
 */
class ExpiringMap<V> extends Map<string, V> {
  readonly #expires = new Map<string, number>();

  constructor(readonly ttlOf: (value: V) => Promise<number>) {
    super();
  }

  override get(key: string): V | undefined {
    const expires = this.#expires.get(key);
    if (expires !== undefined && expires <= Date.now()) {
      this.delete(key);
      this.#expires.delete(key);
    }
    return super.get(key);
  }

  override set(key: string, value: V): this {
    // Certificates rotate away; drop what has expired so the cache does not grow for ever.
    if (this.size >= 1000) {
      for (const [k, at] of this.#expires) {
        if (at > Date.now()) continue;
        this.delete(k);
        this.#expires.delete(k);
      }
    }
    super.set(key, value);
    this.#expires.set(key, Date.now() + 60_000);
    void this.ttlOf(value).then((ms) => this.#expires.set(key, Date.now() + ms));
    return this;
  }
}

type LiveEntry = CollectCache['live'] extends Map<string, infer V> ? V : never;
type IssuerEntry = CollectCache['issuers'] extends Map<string, infer V> ? V : never;

type CrlEntry = NonNullable<CollectCache['crls']> extends Map<string, infer V> ? V : never;

/** A CRL download is kept until the CRL's nextUpdate (at most a day); a failed one a minute. */
async function crlTtl(entry: CrlEntry): Promise<number> {
  const exchange = await entry;
  if (!exchange.ok || exchange.status !== 200) return 60_000;
  try {
    const next = parseCrl(exchange.body).nextUpdate;
    return next !== null ? Math.max(60_000, Math.min(next - Date.now(), 86_400_000)) : 3_600_000;
  } catch {
    return 60_000;
  }
}

async function liveTtl(entry: LiveEntry): Promise<number> {
  const { exchange } = await entry;
  if (!exchange.ok || exchange.status !== 200) return 60_000;
  try {
    const next = decodeOcspResponse(exchange.body).basic?.responses[0]?.nextUpdate;
    // Until nextUpdate, at most a day: a response without nextUpdate is asked again hourly.
    return next ? Math.max(60_000, Math.min(Date.parse(next) - Date.now(), 86_400_000)) : 3_600_000;
  } catch {
    return 60_000;
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** The exporter's own metrics (/metrics), apart from the per-scrape registries. */
function ownMetrics() {
  const own = new Registry();
  collectDefaultMetrics({ register: own, prefix: 'staple_probe_exporter_' });
  const probes = new Counter({
    name: 'staple_probe_exporter_probes_total',
    help: 'Probes run, by module and outcome.',
    labelNames: ['module', 'result'],
    registers: [own],
  });
  const rejected = new Counter({
    name: 'staple_probe_exporter_rejected_total',
    help: 'Requests refused, by reason.',
    labelNames: ['reason'],
    registers: [own],
  });
  const inFlight = new Gauge({ name: 'staple_probe_exporter_probes_in_flight', help: 'Probes running now.', registers: [own] });
  const duration = new Histogram({
    name: 'staple_probe_exporter_probe_duration_seconds',
    help: 'Probe durations.',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [own],
  });
  return { own, probes, rejected, inFlight, duration };
}

/** Live answers and issuer downloads kept across scrapes (see ExpiringMap). */
function scrapeCache(): CollectCache {
  return {
    live: new ExpiringMap<LiveEntry>(liveTtl),
    issuers: new ExpiringMap<IssuerEntry>(async (entry) => {
      const ex = await entry;
      return ex.ok && ex.status === 200 ? 3_600_000 : 60_000;
    }),
    crls: new ExpiringMap<CrlEntry>(crlTtl),
  };
}

/** A configuration checked for use: its allow-list compiled, and one is required beyond loopback. Throws TargetError. */
function compile(config: ServeConfig, host: string): ServeConfig & { readonly isAllowed: (host: string) => boolean } {
  const isAllowed = allowList(config.allow);
  if (!isLoopback(host) && config.allow.length === 0) {
    throw new TargetError(`listening on ${host} needs an allow-list (--allow HOST or CIDR): the exporter would let anyone scan from here`);
  }
  return { modules: config.modules, allow: config.allow, isAllowed };
}

/** What the request handlers share. */
interface State {
  readonly options: ExporterOptions;
  readonly host: string;
  config: ReturnType<typeof compile>;
  readonly log: Logger;
  readonly history: ProbeHistory;
  readonly own: ReturnType<typeof ownMetrics>;
  readonly cache: CollectCache;
  readonly verifier: SignatureVerifier;
  running: number;
}

function refuse(state: State, res: ServerResponse, status: number, reason: string, message: string): void {
  state.own.rejected.inc({ reason });
  // Someone is scraping a target they may not, or the exporter is saturated: worth a warning. Bad requests are noise.
  if (status === 403 || status === 503) state.log.warn('request refused', { status, reason: message });
  else state.log.debug('request refused', { status, reason: message });
  send(res, status, 'text/plain; charset=utf-8', `${message}\n`);
}

/** One probe: collect within the deadline, then judge. Throws only on an internal error. */
async function runProbe(state: State, target: ReturnType<typeof parseTarget>, module: Module, deadlineMs: number): Promise<Report> {
  const { options, cache, verifier } = state;
  const timeoutMs = Math.min(module.timeoutMs, deadlineMs);
  const evidence = await collect(target, {
    ...options.collect,
    tlsVersions: module.tlsVersions,
    keyTypes: module.keyTypes,
    starttls: module.starttls,
    attempts: module.attempts,
    timeoutMs,
    retryDelayMs: module.retryDelayMs,
    live: module.live,
    crl: module.crl,
    crlHttp: { ...options.collect?.crlHttp, timeoutMs: Math.min(DEFAULTS.crlTimeoutMs, deadlineMs) },
    httpHead: module.httpHead,
    http: { ...options.collect?.http, timeoutMs },
    extraCerts: options.extraCerts ?? [],
    cache,
    verifier,
    signal: AbortSignal.timeout(deadlineMs),
  });
  return assess(evidence, {
    now: new Date(),
    verifier,
    warnRemainingSeconds: module.warnRemainingSeconds,
    critRemainingSeconds: module.critRemainingSeconds,
  });
}

async function handleProbe(state: State, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const targetText = url.searchParams.get('target');
  const moduleName = url.searchParams.get('module') ?? 'default';
  const servername = url.searchParams.get('servername');
  const debug = url.searchParams.get('debug') === 'true';
  if (!targetText) return refuse(state, res, 400, 'bad-request', 'missing target parameter (target=host:port)');
  const module = state.config.modules[moduleName];
  if (!module) return refuse(state, res, 400, 'bad-request', `unknown module "${moduleName}"`);
  let target: ReturnType<typeof parseTarget>;
  try {
    target = parseTarget(targetText, servername !== null ? { servername } : {});
  } catch (error) {
    return refuse(state, res, 400, 'bad-request', (error as Error).message);
  }
  if (!state.config.isAllowed(target.host)) return refuse(state, res, 403, 'not-allowed', `target ${target.host} is not in the allow-list`);
  const limit = state.options.concurrency;
  if (state.running >= limit) return refuse(state, res, 503, 'busy', `${state.running} probes in flight; the limit is ${limit}`);
  // Prometheus says how long it will wait; finish half a second before.
  const scrapeTimeout = Number(req.headers['x-prometheus-scrape-timeout-seconds']);
  const deadlineMs = Number.isFinite(scrapeTimeout) && scrapeTimeout > 0 ? Math.max(500, scrapeTimeout * 1000 - 500) : module.timeoutMs;
  state.running++;
  state.own.inFlight.inc();
  const startedAt = new Date();
  const started = performance.now();
  let report: Report | null = null;
  let error: string | undefined;
  try {
    report = await runProbe(state, target, module, deadlineMs);
  } catch (thrown) {
    error = String((thrown as Error).message);
  } finally {
    state.running--;
    state.own.inFlight.dec();
  }
  const seconds = roundSeconds((performance.now() - started) / 1000);
  const verdict = report ? scopedVerdict(report, module.scope) : 'error';
  state.own.probes.inc({ module: moduleName, result: verdict });
  if (report) state.own.duration.observe(seconds);
  const logs: string[] = [];
  const log = state.log.capture(logs);
  const about = { target: targetText, module: moduleName, servername: servername ?? undefined };
  for (const f of report?.findings ?? []) log.debug('finding', { ...about, code: f.code, severity: f.severity, message: renderMessage(f) });
  if (report) log.info('probe done', { ...about, verdict, duration_seconds: seconds, codes: report.findings.map((f) => f.code) });
  else log.error('probe failed', { ...about, duration_seconds: seconds, err: error });
  const registry = probeRegistry(report, seconds, module.scope);
  const metrics = await registry.metrics();
  const trace = { target: targetText, moduleName, module, report, ...(error !== undefined ? { error } : {}), logs, metrics };
  const record = state.history.add({
    at: startedAt,
    target: targetText,
    module: moduleName,
    verdict,
    durationSeconds: seconds,
    debug: () => renderDebug(trace),
  });
  if (debug) return send(res, 200, 'text/plain; charset=utf-8', record.debug());
  if (error !== undefined) res.setHeader('x-staple-probe-error', error.slice(0, 200).replace(/[^\x20-\x7e]/g, '?'));
  send(res, 200, registry.contentType, metrics);
}

/** Read the configuration again and swap it in whole, or keep the old one and say why. */
function reload(state: State): ReloadResult {
  if (!state.options.reload) {
    state.log.info('nothing to reload: started without --config');
    return { ok: true, modules: Object.keys(state.config.modules) };
  }
  try {
    state.config = compile(state.options.reload(), state.host);
  } catch (error) {
    const reason = (error as Error).message;
    state.log.error('reload failed; the old configuration stays', { err: reason });
    return { ok: false, reason };
  }
  const modules = Object.keys(state.config.modules);
  state.log.info('configuration reloaded', { modules, allow: state.config.allow.length ? state.config.allow : 'any target' });
  return { ok: true, modules };
}

function route(state: State, req: IncomingMessage, res: ServerResponse): void {
  if ((req.url ?? '').length > MAX_URL) return refuse(state, res, 414, 'bad-request', `request URL longer than ${MAX_URL} bytes`);
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://exporter');
  } catch {
    return refuse(state, res, 400, 'bad-request', 'malformed request URL');
  }
  if (url.pathname === '/-/reload') {
    if (req.method !== 'POST') return (res.setHeader('allow', 'POST'), refuse(state, res, 405, 'bad-request', 'reload with POST /-/reload'));
    const result = reload(state);
    if (result.ok) return send(res, 200, 'text/plain; charset=utf-8', `reloaded: modules ${result.modules.join(', ')}\n`);
    return send(res, 500, 'text/plain; charset=utf-8', `reload failed, the old configuration stays: ${result.reason}\n`);
  }
  if (req.method !== 'GET') return refuse(state, res, 405, 'bad-request', 'only GET is served');
  if (url.pathname === '/probe') {
    handleProbe(state, req, res, url).catch((error: Error) => {
      state.log.error('internal error', { path: url.pathname, err: error.message });
      if (!res.headersSent) send(res, 500, 'text/plain', `internal error: ${error.message}\n`);
    });
  } else if (url.pathname === '/metrics') {
    state.own.own.metrics().then((text) => send(res, 200, state.own.own.contentType, text));
  } else if (url.pathname === '/') {
    const { history } = state;
    send(res, 200, 'text/html; charset=utf-8', renderIndex(history.list(), Object.keys(state.config.modules), history.limit));
  } else if (url.pathname === '/logs') {
    const id = Number(url.searchParams.get('id'));
    const record = Number.isSafeInteger(id) ? state.history.get(id) : undefined;
    if (!record) return send(res, 404, 'text/plain', `no probe ${url.searchParams.get('id')} among the last ${state.history.limit}\n`);
    send(res, 200, 'text/plain; charset=utf-8', record.debug());
  } else {
    send(res, 404, 'text/plain', 'not found: try /, /probe, /metrics or /logs\n');
  }
}

/** Start the exporter. Refuses to listen beyond loopback without an allow-list. */
export async function startExporter(options: ExporterOptions): Promise<Exporter> {
  const { host, port } = parseListen(options.listen);
  const state: State = {
    options,
    host,
    config: compile(options, host),
    log: options.log ?? SILENT,
    history: new ProbeHistory(options.historySize ?? 100),
    own: ownMetrics(),
    cache: scrapeCache(),
    verifier: new SignatureVerifier(),
    running: 0,
  };
  const server = createServer((req, res) => route(state, req, res));
  server.headersTimeout = 10_000;
  server.requestTimeout = 120_000;
  server.maxHeadersCount = 50;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${actual}`,
    port: actual,
    reload: () => reload(state),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
