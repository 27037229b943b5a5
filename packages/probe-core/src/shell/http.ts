import type { HttpExchange, HttpFailureKind } from '../types.js';

/** The fetch this module needs (the WHATWG signature); injectable so that tests can play any responder. */
export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body?: Uint8Array; redirect: 'manual'; signal: AbortSignal }) => Promise<Response>;

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

const DEFAULTS = { timeoutMs: 10_000, maxBytes: 64 * 1024, maxRedirects: 3 };

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
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') return { kind: 'reset', message };
  return { kind: 'network', message };
}

/** Read a body, never holding more than `max` bytes: a lying or missing Content-Length changes nothing. */
async function readCapped(response: Response, max: number): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > max) {
    await response.body?.cancel().catch(() => {});
    throw new HttpError('too-large', `the body is ${declared} bytes, more than the ${max}-byte limit`);
  }
  if (!response.body) return new Uint8Array();
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {});
      throw new HttpError('too-large', `the body exceeds the ${max}-byte limit`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
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
  const doFetch: FetchLike = options.fetch ?? (globalThis.fetch as unknown as FetchLike);
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
      const response = await doFetch(current, {
        method,
        headers,
        ...(method === 'POST' && request.body ? { body: request.body } : {}),
        redirect: 'manual',
        signal,
      });
      if (response.status >= 300 && response.status < 400 && response.headers.has('location')) {
        await response.body?.cancel().catch(() => {});
        if (redirects.length >= maxRedirects) throw new HttpError('too-many-redirects', `more than ${maxRedirects} redirects (last to ${response.headers.get('location')})`);
        const next = new URL(response.headers.get('location') as string, current).toString();
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
        contentType: response.headers.get('content-type'),
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
