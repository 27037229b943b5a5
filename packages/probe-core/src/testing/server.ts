import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import * as tls from 'node:tls';
import type { Issued } from './pki.js';

/** What the server staples: fixed bytes, nothing, or a function of the handshake number (1-based). */
export type StapleSource = Uint8Array | null | ((handshake: number) => Uint8Array | null | Promise<Uint8Array | null>);

export interface ServedIdentity {
  readonly cert: Issued;
  /** Certificates sent after the leaf (intermediates). */
  readonly chain?: readonly Issued[];
  readonly staple: StapleSource;
  /** Send no staple on the first N handshakes that ask, as nginx does after a start. */
  readonly lazyHandshakes?: number;
}

export interface StaplingServerOptions extends ServedIdentity {
  /**
   * Other identities by SNI name; the top-level identity is the default server. Give them the same key type
   * as the default: Node's TLS 1.3 keeps the default certificate when SNI selects a context whose key type
   * differs (an ECDSA default with an RSA vhost serves the ECDSA certificate).
   */
  readonly sni?: Readonly<Record<string, ServedIdentity>>;
  /**
   * More certificates of the default server, each of another key type (an ECDSA one beside an RSA one):
   * the server picks by what the client offers. Their staple requests are counted under `#1`, `#2`, ….
   */
  readonly also?: readonly ServedIdentity[];
  /** Default 127.0.0.1; '::1' for IPv6. */
  readonly host?: string;
  readonly port?: number;
  readonly minVersion?: tls.SecureVersion;
  readonly maxVersion?: tls.SecureVersion;
  /**
   * Speak SMTP before TLS, as a mail server's submission port does: a greeting naming `banner`, EHLO
   * answered with STARTTLS among the extensions (or without it when `offer` is false), then STARTTLS.
   */
  readonly smtp?: { readonly banner?: string; readonly offer?: boolean };
  /** A line to send right after each handshake, as an implicit-TLS mail server greets (port 465, 993, …). */
  readonly greeting?: string;
}

export interface StaplingServer {
  readonly host: string;
  readonly port: number;
  /** `host:port` (IPv6 in brackets), ready to pass to `probe`. */
  readonly target: string;
  /** Handshakes that requested a staple, per SNI identity name ('' for the default identity). */
  readonly stapleRequests: ReadonlyMap<string, number>;
  close(): Promise<void>;
}

/**
 * A TLS server that staples through the `OCSPRequest` event, on loopback. Each identity answers the
 * status_request its own way, so one server can play good, stale, lazy or broken.
 */
export async function startStaplingServer(options: StaplingServerOptions): Promise<StaplingServer> {
  const host = options.host ?? '127.0.0.1';
  const counts = new Map<string, number>();
  const contexts = new Map<string, { identity: ServedIdentity; context: tls.SecureContext }>();
  const contextOf = (identity: ServedIdentity) =>
    tls.createSecureContext({ key: identity.cert.keyPem, cert: [identity.cert.pem, ...(identity.chain ?? []).map((c) => c.pem)].join('') });
  for (const [name, identity] of Object.entries(options.sni ?? {})) contexts.set(name.toLowerCase(), { identity, context: contextOf(identity) });

  const own = [options, ...(options.also ?? [])];
  const server = tls.createServer({
    key: own.map((identity) => identity.cert.keyPem),
    cert: own.map((identity) => [identity.cert.pem, ...(identity.chain ?? []).map((c) => c.pem)].join('')),
    minVersion: options.minVersion ?? 'TLSv1.2',
    maxVersion: options.maxVersion ?? 'TLSv1.3',
    SNICallback: (servername, cb) => cb(null, contexts.get(servername.toLowerCase())?.context ?? undefined),
  });
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  server.on('tlsClientError', () => {});
  server.on('secureConnection', (socket: tls.TLSSocket) => {
    socket.on('error', () => {});
    if (options.greeting !== undefined) socket.end(`${options.greeting}\r\n`);
    else socket.end();
  });
  // The event names the certificate being served, which tells the identities apart (each has its own leaf).
  const byCert = new Map<string, { name: string; identity: ServedIdentity }>();
  byCert.set(Buffer.from(options.cert.der).toString('base64'), { name: '', identity: options });
  for (const [i, identity] of (options.also ?? []).entries()) byCert.set(Buffer.from(identity.cert.der).toString('base64'), { name: `#${i + 1}`, identity });
  for (const [name, { identity }] of contexts) byCert.set(Buffer.from(identity.cert.der).toString('base64'), { name, identity });
  server.on('OCSPRequest', (certificate: Buffer, _issuer: Buffer, callback: (err: Error | null, resp?: Buffer) => void) => {
    const { name, identity } = byCert.get(certificate.toString('base64')) ?? { name: '', identity: options };
    const n = (counts.get(name) ?? 0) + 1;
    counts.set(name, n);
    if (n <= (identity.lazyHandshakes ?? 0)) return callback(null);
    // A fixed staple is answered at once. On Node 24.22.3 a server that answers OCSPRequest later (even one
    // microtask later) drops TLS 1.2 handshakes that arrive together: cold probes of such a server in another
    // process lost TLS 1.2 attempts 2 and 3 in 26 of 40 runs ("socket disconnected before secure TLS
    // connection"), 0 of 40 with a Node 20 server or with this synchronous answer.
    if (typeof identity.staple !== 'function') return callback(null, identity.staple ? Buffer.from(identity.staple) : undefined);
    Promise.resolve(identity.staple(n)).then(
      (bytes) => callback(null, bytes ? Buffer.from(bytes) : undefined),
      (error: Error) => callback(error),
    );
  });

  // With SMTP in front, a plain listener speaks it and hands each upgraded connection to the TLS server.
  const listener = options.smtp ? smtpFront(server, options.smtp, sockets) : server;
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (listener.address() as AddressInfo).port;
  return {
    host,
    port,
    target: host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`,
    stapleRequests: counts,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        listener.close(() => resolve());
      }),
  };
}

/**
 * A loopback port that was free a moment ago, for URLs that must be written into certificates first. Bind it
 * before asking for the next: two calls in a row can return the same port (the first is released before the
 * second is chosen).
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A plain listener that speaks SMTP up to STARTTLS, then gives the connection to `tls`. */
function smtpFront(secure: tls.Server, smtp: NonNullable<StaplingServerOptions['smtp']>, sockets: Set<Socket>): Server {
  return createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.write(`220 ${smtp.banner ?? 'mail.test ESMTP staple-probe testing kit'}\r\n`);
    let buffer = '';
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      for (let end = buffer.indexOf('\n'); end >= 0; end = buffer.indexOf('\n')) {
        const command = buffer.slice(0, end).trim().toUpperCase();
        buffer = buffer.slice(end + 1);
        if (command.startsWith('EHLO')) socket.write(`250-mail.test\r\n250-PIPELINING\r\n${smtp.offer === false ? '' : '250-STARTTLS\r\n'}250 HELP\r\n`);
        else if (command === 'STARTTLS' && smtp.offer !== false) {
          socket.off('data', onData);
          socket.write('220 2.0.0 Ready to start TLS\r\n', () => secure.emit('connection', socket));
          return;
        } else if (command === 'QUIT') socket.end('221 bye\r\n');
        else socket.write('502 5.5.2 command not recognised\r\n');
      }
    };
    socket.on('data', onData);
  });
}
