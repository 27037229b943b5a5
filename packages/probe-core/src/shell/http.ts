import * as http from 'node:http';
import * as https from 'node:https';
import type { HttpExchange, HttpFailureKind } from '../types.js';
import { DEFAULTS as CORE_DEFAULTS } from '../defaults.js';

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
type Transport = (url: string, init: { method: string; headers: Record<string, string>; body?: Uint8Array; signal: AbortSignal }) => Promise<RawResponse>;

function fromFetch(doFetch: FetchLike): Transport {
  return async (url, init) => {
    const res = await doFetch(url, { ...init, redirect: 'manual' });
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

/**
 * node:http/https directly. The global fetch would do, but loading it (undici) costs ~150 ms and ~35 MiB on the
 * first query, more than the query itself. No Accept-Encoding is sent, so nothing is decompressed.
 */
const nodeTransport: Transport = (url, init) =>
  new Promise<RawResponse>((resolve, reject) => {
    const target = new URL(url);
    const client = target.protocol === 'https:' ? https : http;
    const req = client.request(
      target,
      {
        method: init.method,
        headers: { ...init.headers, ...(init.body ? { 'content-length': String(init.body.byteLength) } : {}) },
        agent: target.protocol === 'https:' ? agents.https : agents.http,
        signal: init.signal,
      },
      (res) => {
        res.on('error', () => {});
        resolve({
          status: res.statusCode ?? 0,
          header: (name) => {
            const v = res.headers[name.toLowerCase()];
            return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
          },
          body: res,
          cancel: () => res.destroy(),
        });
      },
    );
    req.on('error', reject);
    req.end(init.body ? Buffer.from(init.body) : undefined);
  });

export interface HttpOptions {
  /** Total deadline for the exchange, redirects and body included. Default 10000 ms. */
  readonly timeoutMs?: number;
  /** Largest body accepted, counted after any content decoding. Default 64 KiB. */
  readonly maxBytes?: number;
  /** Redirects followed at most. Default 3. */
  readonly maxRedirects?: number;
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

function classify(error: unknown, deadline: AbortSignal, timeoutMs: number): { kind: HttpFailureKind; message: string } {
  if (error instanceof HttpError) return { kind: error.kind, message: error.message };
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
  try {
    for (;;) {
      const parsed = URL.canParse(current) ? new URL(current) : null;
      if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
        throw new HttpError('bad-scheme', `${current} is not an http:// or https:// URL`);
      }
      const headers: Record<string, string> = { accept: request.accept ?? '*/*' };
      if (method === 'POST' && request.contentType) headers['content-type'] = request.contentType;
      const response = await transport(current, {
        method,
        headers,
        ...(method === 'POST' && request.body ? { body: request.body } : {}),
        signal,
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
    return { url, method: request.method, ok: false, error: { kind, message }, redirects: redirects.length, durationMs: elapsed() };
  }
}
