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
  SignatureVerifier,
  TargetError,
  type TlsVersion,
} from '@staple-probe/core';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { probeRegistry } from './metrics.js';

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
}

export interface ExporterOptions {
  /** `host:port` to listen on. */
  readonly listen: string;
  readonly modules: Readonly<Record<string, Module>>;
  /** Host names and CIDRs targets must match; required unless listening on loopback. */
  readonly allow: readonly string[];
  /** Probes in flight at most; more are answered 503 at once. */
  readonly concurrency: number;
  /** Trusted roots and issuer candidates (--ca-file), for every module. */
  readonly extraCerts?: readonly Uint8Array[];
  /** Collect options tests inject (resolver, fetch). */
  readonly collect?: Partial<CollectOptions>;
}

export interface Exporter {
  readonly url: string;
  readonly port: number;
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

/** Splits `host:port` and `[v6]:port`. */
export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(listen);
  const port = Number(m?.[3]);
  if (!m || port > 65535) throw new TargetError(`--listen ${listen}: expected host:port`);
  return { host: (m[1] ?? m[2]) as string, port };
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

const INDEX = `<!doctype html>
<html><head><meta charset="utf-8"><title>staple-probe exporter</title></head>
<body><h1>staple-probe exporter</h1>
<p>Probes a TLS server's OCSP stapling per scrape, in the pattern of blackbox_exporter.</p>
<ul>
<li><a href="/probe?target=example.com:443">/probe?target=host:port</a> (optional <code>module=</code>, <code>servername=</code>)</li>
<li><a href="/metrics">/metrics</a>: the exporter's own metrics</li>
</ul></body></html>
`;

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

/** Start the exporter. Refuses to listen beyond loopback without an allow-list. */
export async function startExporter(options: ExporterOptions): Promise<Exporter> {
  const { host, port } = parseListen(options.listen);
  const isAllowed = allowList(options.allow);
  if (!isLoopback(host) && options.allow.length === 0) {
    throw new TargetError(`listening on ${host} needs an allow-list (--allow HOST or CIDR): the exporter would let anyone scan from here`);
  }
  const { own, probes, rejected, inFlight, duration } = ownMetrics();
  const cache = scrapeCache();
  const verifier = new SignatureVerifier();
  let running = 0;

  const refuse = (res: ServerResponse, status: number, reason: string, message: string) => {
    rejected.inc({ reason });
    send(res, status, 'text/plain; charset=utf-8', `${message}\n`);
  };

  async function handleProbe(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const targetText = url.searchParams.get('target');
    const moduleName = url.searchParams.get('module') ?? 'default';
    const servername = url.searchParams.get('servername');
    if (!targetText) return refuse(res, 400, 'bad-request', 'missing target parameter (target=host:port)');
    const module = options.modules[moduleName];
    if (!module) return refuse(res, 400, 'bad-request', `unknown module "${moduleName}"`);
    let target: ReturnType<typeof parseTarget>;
    try {
      target = parseTarget(targetText, servername !== null ? { servername } : {});
    } catch (error) {
      return refuse(res, 400, 'bad-request', (error as Error).message);
    }
    if (!isAllowed(target.host)) return refuse(res, 403, 'not-allowed', `target ${target.host} is not in the allow-list`);
    if (running >= options.concurrency) return refuse(res, 503, 'busy', `${running} probes in flight; the limit is ${options.concurrency}`);
    // Prometheus says how long it will wait; finish half a second before.
    const scrapeTimeout = Number(req.headers['x-prometheus-scrape-timeout-seconds']);
    const deadlineMs = Number.isFinite(scrapeTimeout) && scrapeTimeout > 0 ? Math.max(500, scrapeTimeout * 1000 - 500) : module.timeoutMs;
    const timeoutMs = Math.min(module.timeoutMs, deadlineMs);
    running++;
    inFlight.inc();
    const started = performance.now();
    const signal = AbortSignal.timeout(deadlineMs);
    try {
      const evidence = await collect(target, {
        ...options.collect,
        tlsVersions: module.tlsVersions,
        keyTypes: module.keyTypes,
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
        signal,
      });
      const report = await assess(evidence, {
        now: new Date(),
        verifier,
        warnRemainingSeconds: module.warnRemainingSeconds,
        critRemainingSeconds: module.critRemainingSeconds,
      });
      const seconds = (performance.now() - started) / 1000;
      duration.observe(seconds);
      probes.inc({ module: moduleName, result: report.verdict });
      const registry = probeRegistry(report, seconds);
      send(res, 200, registry.contentType, await registry.metrics());
    } catch (error) {
      probes.inc({ module: moduleName, result: 'error' });
      const registry = probeRegistry(null, (performance.now() - started) / 1000);
      res.setHeader('x-staple-probe-error', String((error as Error).message).slice(0, 200));
      send(res, 200, registry.contentType, await registry.metrics());
    } finally {
      running--;
      inFlight.dec();
    }
  }

  const server = createServer((req, res) => {
    if ((req.url ?? '').length > MAX_URL) return refuse(res, 414, 'bad-request', `request URL longer than ${MAX_URL} bytes`);
    if (req.method !== 'GET') return refuse(res, 405, 'bad-request', 'only GET is served');
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://exporter');
    } catch {
      return refuse(res, 400, 'bad-request', 'malformed request URL');
    }
    if (url.pathname === '/probe') {
      handleProbe(req, res, url).catch((error: Error) => {
        if (!res.headersSent) send(res, 500, 'text/plain', `internal error: ${error.message}\n`);
      });
    } else if (url.pathname === '/metrics') {
      own.metrics().then((text) => send(res, 200, own.contentType, text));
    } else if (url.pathname === '/') {
      send(res, 200, 'text/html; charset=utf-8', INDEX);
    } else {
      send(res, 404, 'text/plain', 'not found: try /, /probe or /metrics\n');
    }
  });
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
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
