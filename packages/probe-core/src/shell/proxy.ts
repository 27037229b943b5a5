import { BlockList, isIP } from 'node:net';

/**
 * Which HTTP proxy the downloads (live query, AIA, CRLs) go through. `http` serves `http://` URLs (absolute-form
 * requests), `https` serves `https://` URLs (a CONNECT tunnel, then TLS to the origin over it); `null` means
 * direct. `noProxy` lists the hosts that are always reached directly (NO_PROXY syntax, see `bypassesProxy`).
 */
export interface ProxyConfig {
  readonly http: string | null;
  readonly https: string | null;
  readonly noProxy: string;
}

/** A proxy URL taken apart: where to connect and what to send; `display` never carries the credentials. */
export interface ProxyEndpoint {
  readonly host: string;
  readonly port: number;
  /** `Basic …` for a proxy URL with user info, else null. */
  readonly authorization: string | null;
  /** `http://host:port`, for messages. */
  readonly display: string;
}

/** A proxy setting that cannot be used (a scheme other than http, no host, a bad port). */
export class ProxyError extends Error {
  override readonly name = 'ProxyError';
}

/**
 * Parse `http://[user:pass@]host[:port]` (a missing scheme is read as http://, a missing port as 80, as curl
 * and urllib3 do). Other schemes are refused: https:// proxies (TLS to the proxy) and SOCKS are not supported.
 * Throws ProxyError.
 */
export function parseProxyUrl(text: string): ProxyEndpoint {
  const trimmed = text.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`;
  const url = URL.canParse(withScheme) ? new URL(withScheme) : null;
  if (!url) throw new ProxyError(`${text}: not a proxy URL (expected http://[user:pass@]host:port)`);
  if (url.protocol !== 'http:') throw new ProxyError(`${text}: only http:// proxies are supported, not ${url.protocol}//`);
  if (!url.hostname) throw new ProxyError(`${text}: the proxy URL names no host`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = url.port ? Number(url.port) : 80;
  const user = decodeURIComponent(url.username);
  const authorization = url.username || url.password ? `Basic ${Buffer.from(`${user}:${decodeURIComponent(url.password)}`).toString('base64')}` : null;
  return { host, port, authorization, display: `http://${url.host}` };
}

/** The value of `name`: the lowercase variable when it is set (even empty), else the uppercase one, as curl does. */
function variable(env: Readonly<Record<string, string | undefined>>, name: string): { name: string; value: string } | null {
  const lower = name.toLowerCase();
  if (env[lower] !== undefined) return { name: lower, value: env[lower] };
  const upper = name.toUpperCase();
  return env[upper] !== undefined ? { name: upper, value: env[upper] } : null;
}

/**
 * The proxy settings of an environment: `http_proxy`/`HTTP_PROXY` for http:// URLs, `https_proxy`/`HTTPS_PROXY`
 * for https:// URLs, `no_proxy`/`NO_PROXY` for the exceptions; for each, the lowercase variable wins when set, and
 * an empty value means none. `override` (the CLI's `--proxy`) replaces both proxies; an empty override turns
 * the proxy off. NO_PROXY applies either way. Returns null when no proxy is set. Throws ProxyError naming the
 * variable (or `--proxy`) for a URL that cannot be used.
 */
export function proxyFromEnv(env: Readonly<Record<string, string | undefined>>, override?: string): ProxyConfig | null {
  const noProxy = variable(env, 'no_proxy')?.value ?? '';
  const check = (from: string, value: string): string | null => {
    if (value.trim() === '') return null;
    try {
      parseProxyUrl(value);
    } catch (error) {
      throw new ProxyError(`${from} ${(error as Error).message}`);
    }
    return value.trim();
  };
  if (override !== undefined) {
    const proxy = check('--proxy', override);
    return proxy === null ? null : { http: proxy, https: proxy, noProxy };
  }
  const http = variable(env, 'http_proxy');
  const https = variable(env, 'https_proxy');
  const config = { http: http ? check(http.name, http.value) : null, https: https ? check(https.name, https.value) : null, noProxy };
  return config.http === null && config.https === null ? null : config;
}

const defaultPort = (url: URL): number => (url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80);
const bare = (host: string): string =>
  host
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '')
    .toLowerCase();

/** One NO_PROXY entry split into host (or CIDR) and optional port: `host`, `host:443`, `[::1]:443`, `::1`, `10.0.0.0/8`. */
function splitEntry(entry: string): { host: string; port: number | null } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) return { host: bracketed[1] as string, port: bracketed[2] ? Number(bracketed[2]) : null };
  const withPort = /^([^:]+):(\d+)$/.exec(entry);
  if (withPort) return { host: withPort[1] as string, port: Number(withPort[2]) };
  return { host: entry, port: null };
}

function inCidr(ip: string, cidr: string): boolean {
  const [network, bits] = cidr.split('/');
  const family = isIP(network ?? '');
  if (!family || !/^\d+$/.test(bits ?? '') || family !== isIP(ip)) return false;
  const list = new BlockList();
  try {
    list.addSubnet(network as string, Number(bits), family === 4 ? 'ipv4' : 'ipv6');
  } catch {
    return false;
  }
  return list.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * Whether NO_PROXY exempts `url`: comma- or space-separated entries, each `*` (everything), a host name that
 * matches itself and its subdomains (`example.com`, `.example.com` and `*.example.com` alike), an IP address or
 * a CIDR block (matched against an IP literal in the URL; names are not resolved), with an optional `:port`
 * that then must match too. Case and a trailing dot are ignored. Loopback is not exempt unless listed.
 */
export function bypassesProxy(noProxy: string, url: URL): boolean {
  const host = bare(url.hostname);
  const port = defaultPort(url);
  const ipFamily = isIP(host);
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    const split = splitEntry(entry);
    if (split.port !== null && split.port !== port) continue;
    const name = bare(split.host).replace(/^\*?\./, '');
    if (!name) continue;
    if (name.includes('/')) {
      if (ipFamily && inCidr(host, name)) return true;
    } else if (isIP(name)) {
      if (ipFamily && isIP(name) === ipFamily && sameIp(name, host)) return true;
    } else if (!ipFamily && (host === name || host.endsWith(`.${name}`))) return true;
  }
  return false;
}

/** Two IP literals of one family, compared in canonical form (`::0:1` is `::1`). */
function sameIp(a: string, b: string): boolean {
  if (isIP(a) === 4) return a === b;
  return new URL(`http://[${a}]`).hostname === new URL(`http://[${b}]`).hostname;
}

/** The proxy `url` goes through under `config`, or null for a direct connection. Throws ProxyError for a bad proxy URL. */
export function proxyFor(config: ProxyConfig | null | undefined, url: URL): ProxyEndpoint | null {
  if (!config) return null;
  const proxy = url.protocol === 'https:' ? config.https : url.protocol === 'http:' ? config.http : null;
  if (proxy === null || bypassesProxy(config.noProxy, url)) return null;
  return parseProxyUrl(proxy);
}
