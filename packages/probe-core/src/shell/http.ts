import * as http from 'node:http';
import * as https from 'node:https';
import { isIP, type Socket } from 'node:net';
import * as tls from 'node:tls';
import type { HttpExchange, HttpFailureKind } from '../types.js';
import { DEFAULTS as CORE_DEFAULTS } from '../defaults.js';
import { type ProxyConfig, type ProxyEndpoint, ProxyError, proxyFor } from './proxy.js';

/** The fetch this module needs (the WHATWG signature); injectable so that tests can play any responder. */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: Uint8Array; redirect: 'manual'; signal: AbortSignal },
) => Promise<Response>;

/** What an exchange needs of a response, whoever made it. */
interface RawResponse {
  readonly status: number;
  header(name: string): string | null;
  readonly body: AsyncIterable<Uint8Array> | null;
  cancel(): void;
}
interface TransportInit {
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body?: Uint8Array;
  readonly signal: AbortSignal;
  /** The proxy this request goes through, or null: direct. */
  readonly proxy: ProxyEndpoint | null;
}
type Transport = (url: string, init: TransportInit) => Promise<RawResponse>;

/** An injected fetch does its own proxying: `proxy` is never set for it. */
function fromFetch(doFetch: FetchLike): Transport {
  return async (url, init) => {
    const res = await doFetch(url, {
      method: init.method,
      headers: init.headers,
      ...(init.body ? { body: init.body } : {}),
      redirect: 'manual',
      signal: init.signal,
    });
    const stream = res.body;
    return {
      status: res.status,
      header: (name) => res.headers.get(name),
      body: stream
        ? {
            async *[Symbol.asyncIterator]() {
              const reader = stream.getReader();
              for (;;) {
                const { done, value } = await reader.read();
                if (done) return;
                yield value;
              }
            },
          }
        : null,
      cancel: () => void stream?.cancel().catch(() => {}),
    };
  };
}

// Keep-alive agents, shared by the run: repeated queries to one responder reuse the connection.
const agents = { http: new http.Agent({ keepAlive: true, maxSockets: 8 }), https: new https.Agent({ keepAlive: true, maxSockets: 8 }) };

function rawResponse(res: http.IncomingMessage): RawResponse {
  res.on('error', () => {});
  return {
    status: res.statusCode ?? 0,
    header: (name) => {
      const v = res.headers[name.toLowerCase()];
      return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
    },
    body: res,
    cancel: () => res.destroy(),
  };
}

const statusLine = (res: http.IncomingMessage): string => `${res.statusCode ?? 0} ${res.statusMessage ?? ''}`.trim();
const proxyHeaders = (proxy: ProxyEndpoint): Record<string, string> => (proxy.authorization ? { 'proxy-authorization': proxy.authorization } : {});
const bodyHeaders = (init: TransportInit): Record<string, string> => (init.body ? { 'content-length': String(init.body.byteLength) } : {});

/**
 * An http:// URL through the proxy: the request in absolute-form (RFC 9112 §3.2.2). 407 is the proxy's own
 * answer (RFC 9110 §15.5.8), and proxies say that they could not reach the origin with a 5xx of their own
 * (tinyproxy: 500 Unable to connect; squid and others: 502, 503, 504), which cannot be told from a 5xx the
 * origin sent: a 5xx through a proxy is reported as the proxy's answer, not as the CA's.
 */
function forwarded(target: URL, init: TransportInit, proxy: ProxyEndpoint): Promise<RawResponse> {
  return new Promise<RawResponse>((resolve, reject) => {
    const req = http.request(
      {
        host: proxy.host,
        port: proxy.port,
        method: init.method,
        path: `${target.origin}${target.pathname}${target.search}`,
        headers: { ...init.headers, host: target.host, ...proxyHeaders(proxy), ...bodyHeaders(init) },
        // One connection per request: tinyproxy closes a client's connection after each answer without saying
        // so (no `Connection: close`), and a kept-alive socket reused in that moment fails ("socket hang up").
        agent: false,
        signal: init.signal,
      },
      (res) => {
        const status = res.statusCode ?? 0;
        if (status === 407 || status >= 500) {
          res.destroy();
          reject(new ProxyFailure('network', `the proxy ${proxy.display} answered ${statusLine(res)}`));
        } else resolve(rawResponse(res));
      },
    );
    req.on('error', reject);
    req.end(init.body ? Buffer.from(init.body) : undefined);
  });
}

/** A CONNECT tunnel to `target`'s host and port through the proxy (RFC 9110 §9.3.6); any answer but 2xx is the proxy's failure. */
function openTunnel(target: URL, proxy: ProxyEndpoint, signal: AbortSignal): Promise<Socket> {
  const authority = `${target.hostname}:${target.port || '443'}`;
  return new Promise<Socket>((resolve, reject) => {
    const req = http.request({
      host: proxy.host,
      port: proxy.port,
      method: 'CONNECT',
      path: authority,
      headers: { host: authority, ...proxyHeaders(proxy) },
      agent: false,
      signal,
    });
    req.once('connect', (res, socket, head) => {
      const status = res.statusCode ?? 0;
      // A refusal may come with a body (in head); after a 2xx nothing may precede the origin's TLS answer.
      const why = status < 200 || status > 299 ? `answered ${statusLine(res)}` : head.byteLength > 0 ? 'sent data before the TLS handshake' : null;
      if (why === null) return resolve(socket);
      socket.destroy();
      reject(new ProxyFailure('network', `the proxy ${proxy.display} ${why} to CONNECT ${authority}`));
    });
    req.on('error', reject);
    req.end();
  });
}

/** TLS to the origin over the tunnel, verified as a direct connection is: the default roots, the URL's host name. */
function startTls(socket: Socket, target: URL, signal: AbortSignal): Promise<tls.TLSSocket> {
  const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
  return new Promise<tls.TLSSocket>((resolve, reject) => {
    const secure = tls.connect({ socket, host, ...(isIP(host) ? {} : { servername: host }), ALPNProtocols: ['http/1.1'] });
    // The CONNECT request, done, no longer watches the signal: until https.request takes the socket over, this does.
    const abort = () => secure.destroy(signal.reason as Error);
    if (signal.aborted) abort();
    signal.addEventListener('abort', abort, { once: true });
    secure.once('secureConnect', () => {
      signal.removeEventListener('abort', abort);
      resolve(secure);
    });
    secure.once('error', (error) => {
      signal.removeEventListener('abort', abort);
      socket.destroy();
      reject(error);
    });
  });
}

/** An https:// URL through the proxy: CONNECT, TLS over the tunnel, then the request. One connection per exchange. */
async function tunnelled(target: URL, init: TransportInit, proxy: ProxyEndpoint): Promise<RawResponse> {
  const secure = await startTls(await openTunnel(target, proxy, init.signal), target, init.signal);
  return new Promise<RawResponse>((resolve, reject) => {
    const req = https.request(
      target,
      { method: init.method, headers: { ...init.headers, ...bodyHeaders(init) }, createConnection: () => secure, signal: init.signal },
      (res) => resolve(rawResponse(res)),
    );
    req.on('error', reject);
    req.end(init.body ? Buffer.from(init.body) : undefined);
  });
}

/** A failure of an exchange through a proxy, worded so that it names the proxy. */
function throughProxy(kind: HttpFailureKind, message: string, proxy: ProxyEndpoint): string {
  // The probe connects to the proxy only: a name that does not resolve or a refused connection is the proxy's.
  if (kind === 'dns' || kind === 'refused') return `the proxy ${proxy.display} is unreachable: ${message}`;
  return `${message} (through the proxy ${proxy.display})`;
}

/**
 * node:http/https directly, or through `proxy`. The global fetch would do, but loading it (undici) costs ~150 ms
 * and ~35 MiB on the first query, more than the query itself. No Accept-Encoding is sent, so nothing is decompressed.
 */
const nodeTransport: Transport = (url, init) => {
  const target = new URL(url);
  if (init.proxy) return target.protocol === 'https:' ? tunnelled(target, init, init.proxy) : forwarded(target, init, init.proxy);
  return new Promise<RawResponse>((resolve, reject) => {
    const client = target.protocol === 'https:' ? https : http;
    const req = client.request(
      target,
      {
        method: init.method,
        headers: { ...init.headers, ...(init.body ? { 'content-length': String(init.body.byteLength) } : {}) },
        agent: target.protocol === 'https:' ? agents.https : agents.http,
        signal: init.signal,
      },
      (res) => resolve(rawResponse(res)),
    );
    req.on('error', reject);
    req.end(init.body ? Buffer.from(init.body) : undefined);
  });
};

export interface HttpOptions {
  /** Total deadline for the exchange, redirects and body included. Default 10000 ms. */
  readonly timeoutMs?: number;
  /** Largest body accepted, counted after any content decoding. Default 64 KiB. */
  readonly maxBytes?: number;
  /** Redirects followed at most. Default 3. */
  readonly maxRedirects?: number;
  /** The HTTP proxy (`proxyFromEnv` reads one from the environment). Default none: the library reads no environment. Not used with `fetch`. */
  readonly proxy?: ProxyConfig | null;
  readonly fetch?: FetchLike;
  readonly signal?: AbortSignal;
}

const DEFAULTS = { timeoutMs: CORE_DEFAULTS.httpTimeoutMs, maxBytes: CORE_DEFAULTS.httpMaxBytes, maxRedirects: CORE_DEFAULTS.httpMaxRedirects };

class HttpError extends Error {
  constructor(
    readonly kind: HttpFailureKind,
    message: string,
  ) {
    super(message);
  }
}

/** A failure of the proxy itself (its answer to CONNECT, an error status of its own): the message names it. */
class ProxyFailure extends HttpError {}

function classify(error: unknown, deadline: AbortSignal, timeoutMs: number): { kind: HttpFailureKind; message: string } {
  if (error instanceof HttpError) return { kind: error.kind, message: error.message };
  if (error instanceof ProxyError) return { kind: 'network', message: `unusable proxy setting: ${error.message}` };
  if (deadline.aborted) return { kind: 'timeout', message: `no complete answer within ${timeoutMs} ms` };
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  const code = cause?.code ?? (error as { code?: string })?.code;
  const message = cause?.message ?? (error instanceof Error ? error.message : String(error));
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { kind: 'dns', message };
  if (code === 'ECONNREFUSED') return { kind: 'refused', message };
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE' || code === 'HPE_INVALID_CONSTANT') return { kind: 'reset', message };
  return { kind: 'network', message };
}

/** A body of `length` declared bytes (at most the cap), into one buffer; more than declared is refused. */
async function readDeclared(response: RawResponse, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let offset = 0;
  for await (const value of response.body ?? []) {
    if (offset + value.byteLength > length) {
      response.cancel();
      throw new HttpError('too-large', `the body is longer than its Content-Length of ${length} bytes`);
    }
    out.set(value, offset);
    offset += value.byteLength;
  }
  return offset === length ? out : out.subarray(0, offset);
}

/** Read a body, never holding more than `max` bytes: a lying or missing Content-Length changes nothing. */
async function readCapped(response: RawResponse, max: number): Promise<Uint8Array> {
  const declared = Number(response.header('content-length'));
  if (Number.isFinite(declared) && declared > max) {
    response.cancel();
    throw new HttpError('too-large', `the body is ${declared} bytes, more than the ${max}-byte limit`);
  }
  if (!response.body) return new Uint8Array();
  // A declared length is read into one buffer of that size: a CRL of tens of MiB is then held once, not twice.
  if (Number.isSafeInteger(declared) && declared > 0) return readDeclared(response, declared);
  // No declared length (a chunked body): one buffer that grows in place up to the cap, so that a CRL of tens
  // of MiB is held once, not as its chunks plus their joined copy.
  const grown = new GrowableBuffer(max);
  for await (const value of response.body) {
    if (grown.size + value.byteLength > max) {
      response.cancel();
      throw new HttpError('too-large', `the body exceeds the ${max}-byte limit`);
    }
    grown.append(value);
  }
  return grown.bytes();
}

type Resizable = ArrayBuffer & { resize(length: number): void };
const ResizableBuffer = ArrayBuffer as unknown as new (length: number, options: { maxByteLength: number }) => Resizable;

/**
 * Bytes appended into a resizable ArrayBuffer, whose pages are committed as it grows. Up to 1 MiB the result is
 * copied into a plain buffer: WebCrypto, which checks the signatures of smaller data, refuses views of
 * resizable buffers; larger signed data (a CRL) is verified with node:crypto, which takes them (signature.ts).
 */
class GrowableBuffer {
  readonly #buffer: Resizable;
  size = 0;

  constructor(max: number) {
    this.#buffer = new ResizableBuffer(0, { maxByteLength: max });
  }

  append(chunk: Uint8Array): void {
    const at = this.size;
    this.size += chunk.byteLength;
    this.#buffer.resize(this.size);
    new Uint8Array(this.#buffer, at, chunk.byteLength).set(chunk);
  }

  bytes(): Uint8Array {
    const view = new Uint8Array(this.#buffer, 0, this.size);
    return this.size <= 1024 * 1024 ? view.slice() : view;
  }
}

/**
 * One bounded HTTP exchange: http and https only, a total deadline that also covers a body dripping one
 * byte at a time, a body size cap, and a redirect limit. Never throws; failures come back as data.
 */
export async function httpExchange(
  url: string,
  request: { method: 'GET' | 'POST'; body?: Uint8Array; contentType?: string; accept?: string },
  options: HttpOptions = {},
): Promise<HttpExchange> {
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) * 10) / 10;
  const timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
  const maxBytes = options.maxBytes ?? DEFAULTS.maxBytes;
  const maxRedirects = options.maxRedirects ?? DEFAULTS.maxRedirects;
  const transport = options.fetch ? fromFetch(options.fetch) : nodeTransport;
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([deadline, options.signal]) : deadline;
  let current = url;
  let method = request.method;
  const redirects: string[] = [];
  let via: ProxyEndpoint | null = null;
  try {
    for (;;) {
      const parsed = URL.canParse(current) ? new URL(current) : null;
      if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
        throw new HttpError('bad-scheme', `${current} is not an http:// or https:// URL`);
      }
      via = options.fetch ? null : proxyFor(options.proxy ?? CORE_DEFAULTS.proxy, parsed);
      const headers: Record<string, string> = { accept: request.accept ?? '*/*' };
      if (method === 'POST' && request.contentType) headers['content-type'] = request.contentType;
      const response = await transport(current, {
        method,
        headers,
        ...(method === 'POST' && request.body ? { body: request.body } : {}),
        signal,
        proxy: via,
      });
      const location = response.header('location');
      if (response.status >= 300 && response.status < 400 && location !== null) {
        response.cancel();
        if (redirects.length >= maxRedirects) throw new HttpError('too-many-redirects', `more than ${maxRedirects} redirects (last to ${location})`);
        const next = new URL(location, current).toString();
        redirects.push(next);
        // After a POST, 303 (and 301/302 as browsers treat them) turn into a GET that drops the request.
        if (method === 'POST' && (response.status === 303 || response.status === 301 || response.status === 302)) {
          throw new HttpError('bad-redirect', `redirect ${response.status} to ${next} would drop the request body`);
        }
        current = next;
        method = request.method;
        continue;
      }
      const body = await readCapped(response, maxBytes);
      return {
        url,
        method: request.method,
        ok: true,
        status: response.status,
        contentType: response.header('content-type'),
        body,
        finalUrl: current,
        redirects: redirects.length,
        durationMs: elapsed(),
      };
    }
  } catch (error) {
    const { kind, message } = classify(error, deadline, timeoutMs);
    const named = via && !(error instanceof ProxyFailure) ? throughProxy(kind, message, via) : message;
    return { url, method: request.method, ok: false, error: { kind, message: named }, redirects: redirects.length, durationMs: elapsed() };
  }
}
