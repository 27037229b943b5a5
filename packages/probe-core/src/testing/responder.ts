import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import * as pkijs from 'pkijs';
import { buildErrorResponse, buildOcspResponse, type CrlReasonName, type ErrorStatus } from './ocsp.js';
import { parseCertificate } from '../core/certificate.js';
import { buildOcspRequest } from '../core/request.js';
import type { Issued } from './pki.js';

export interface CertState {
  readonly status: 'good' | 'revoked';
  readonly revokedAt?: Date;
  readonly reason?: CrlReasonName;
}

export interface ResponderOptions {
  /** The CA whose certificates this responder answers for. */
  readonly issuer: Issued;
  /** Signs the responses; the issuer by default (a delegate is embedded). */
  readonly signer?: Issued;
  /** Status by serial (lowercase hex, as reports print it). Serials not listed are "unknown". */
  readonly statuses: ReadonlyMap<string, CertState>;
  /** Validity of each response. Default 7 days. */
  readonly validitySeconds?: number;
  /** Answer every request with this error status instead. */
  readonly errorStatus?: ErrorStatus;
  readonly host?: string;
  readonly port?: number;
  /** The clock; default the real one. */
  readonly now?: () => Date;
  /**
   * Sign one response per listed serial when the responder starts and answer with those bytes, as CA
   * responders serve pre-produced responses (RFC 6960 §2.5) instead of signing per request. Later changes to
   * `statuses` are not seen for those serials. Default false: every answer is signed when asked.
   */
  readonly preproduce?: boolean;
}

export interface Responder {
  /** Base URL to put in certificates (http://127.0.0.1:PORT/ocsp). */
  readonly url: string;
  readonly port: number;
  /** Requests answered so far. */
  readonly requests: () => number;
  close(): Promise<void>;
}

function serialOf(request: Uint8Array): string | null {
  try {
    const parsed = pkijs.OCSPRequest.fromBER(request);
    const first = parsed.tbsRequest.requestList[0];
    if (!first) return null;
    const hex = Buffer.from(first.reqCert.serialNumber.valueBlock.valueHexView)
      .toString('hex')
      .replace(/^(00)+(?=..)/, '');
    return hex;
  } catch {
    return null;
  }
}

async function body(req: IncomingMessage): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 65_536) throw new Error('request too large');
    chunks.push(chunk as Buffer);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

/** An OCSP responder over HTTP (RFC 6960 Appendix A: GET with base64 path, or POST), on loopback. */
export async function startResponder(options: ResponderOptions): Promise<Responder> {
  let requests = 0;
  const now = options.now ?? (() => new Date());
  const answer = (serial: string): Promise<Uint8Array> => {
    const state = options.statuses.get(serial);
    const t = Math.floor(now().getTime() / 1000) * 1000;
    return buildOcspResponse({
      issuer: options.issuer,
      ...(options.signer ? { signer: options.signer } : {}),
      producedAt: new Date(t),
      entries: [
        {
          serial,
          status: state?.status ?? 'unknown',
          ...(state?.revokedAt ? { revokedAt: state.revokedAt } : {}),
          ...(state?.reason ? { reason: state.reason } : {}),
          thisUpdate: new Date(t),
          nextUpdate: new Date(t + (options.validitySeconds ?? 7 * 86_400) * 1000),
        },
      ],
    });
  };
  const preproduced = new Map<string, Uint8Array>();
  if (options.preproduce) for (const serial of options.statuses.keys()) preproduced.set(serial, await answer(serial));
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    let request: Uint8Array;
    if (req.method === 'POST') request = await body(req);
    else {
      const path = decodeURIComponent((req.url ?? '').replace(/^\/(ocsp\/?)?/, ''));
      request = new Uint8Array(Buffer.from(path, 'base64'));
    }
    requests++;
    let response: Uint8Array;
    const serial = serialOf(request);
    if (options.errorStatus) response = buildErrorResponse(options.errorStatus);
    else if (!serial) response = buildErrorResponse('malformedRequest');
    else response = preproduced.get(serial) ?? (await answer(serial));
    res.writeHead(200, { 'content-type': 'application/ocsp-response', 'content-length': response.length });
    res.end(Buffer.from(response));
  };
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(400);
      res.end();
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/ocsp`,
    port,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Fetch a response from a responder with POST, as a stapling server would. */
export async function fetchFromResponder(url: string, request: Uint8Array): Promise<Uint8Array> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/ocsp-request' },
    body: Buffer.from(request),
    signal: AbortSignal.timeout(5000),
  });
  return new Uint8Array(await res.arrayBuffer());
}

/** The OCSP request a stapling server would send for `leaf` (SHA-1 CertID, no nonce). */
export function requestFor(leaf: Issued, issuer: Issued): Uint8Array {
  return buildOcspRequest(parseCertificate(leaf.der), parseCertificate(issuer.der));
}
