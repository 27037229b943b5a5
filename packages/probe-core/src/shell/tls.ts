import * as net from 'node:net';
import * as tls from 'node:tls';
import { sha256Hex } from '../core/bytes.js';
import type { AttemptOutcome, Offer, TlsFailure, TlsFailureKind, TlsVersion } from '../types.js';
import { greetingText, negotiateStarttls, StarttlsError, type StarttlsProtocol } from './starttls.js';

export interface HandshakeOptions {
  readonly address: string;
  readonly port: number;
  readonly servername: string | null;
  readonly tlsVersion: TlsVersion;
  /** What the hello offers (default: Node's hello). With `trust`, the context must have been made for it. */
  readonly offer?: Offer;
  /** Deadline for connect + handshake, in milliseconds. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Like `signal`, but only until the handshake is done: a HEAD under way after it goes on. */
  readonly cancel?: AbortSignal;
  /** Trust store for chain validation; Node's bundled roots when absent. Made once per run (`trustContext`). */
  readonly trust?: Trust;
  /**
   * After the handshake, send one `HEAD /` and keep the `Server` header (to word hints for that server). A
   * function is asked when the handshake is done: of several handshakes under way, the first to finish can
   * take the HEAD.
   */
  readonly httpHead?: boolean | (() => boolean);
  /**
   * What the handshake that `httpHead` lets identify the server does: send a `HEAD /` (default), or, on an
   * implicit-TLS mail or FTP port, wait for the server's greeting line and keep it as `banner`.
   */
  readonly identify?: 'head' | 'greeting';
  /**
   * Called once the handshake is done, before the HEAD (the promise resolves after it, with the header): the
   * caller can go on with other handshakes meanwhile.
   */
  readonly onHandshake?: (outcome: AttemptOutcome) => void;
  /**
   * Called when the server's staple arrives, which can be well before the handshake ends: in TLS 1.2 it comes
   * in the server's first flight, a round trip before the Finished messages.
   */
  readonly onStaple?: () => void;
  /** Speak this protocol's STARTTLS upgrade before the handshake (issue #24); absent: TLS from the first byte. */
  readonly starttls?: StarttlsProtocol | null;
}

const HEAD_WAIT_MS = 2000;
const HEAD_MAX_BYTES = 16 * 1024;

/** A first line that a mail or FTP server sends before the client speaks: SMTP and FTP `220`, IMAP `* OK`, POP3 `+OK`. */
const GREETING_LINE = /^(?:220[ -]|\* OK\b|\+OK\b)/;

/**
 * The Server header of one HEAD / on an established connection; null when the port does not answer HTTP.
 * A server that greets first (implicit TLS on a port that is not the protocol's usual one) says its greeting
 * line before it reads the HEAD: that line is kept as `banner`, without its status prefix.
 */
function readServerHeader(socket: tls.TLSSocket, host: string, waitMs: number): Promise<{ serverHeader: string | null; banner?: string }> {
  return new Promise((resolve) => {
    let buffer = '';
    const done = (serverHeader: string | null, banner?: string) => {
      clearTimeout(timer);
      socket.off('data', onData);
      resolve(banner === undefined ? { serverHeader } : { serverHeader, banner });
    };
    const timer = setTimeout(() => done(null), waitMs);
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      const lineEnd = buffer.indexOf('\n');
      const first = buffer.slice(0, lineEnd).replace(/\r$/, '');
      if (lineEnd >= 0 && GREETING_LINE.test(first)) return done(null, greetingText(first).trim().slice(0, 200));
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0 && buffer.length < HEAD_MAX_BYTES) return;
      const head = buffer.slice(0, end < 0 ? HEAD_MAX_BYTES : end);
      if (!/^HTTP\/\d/.test(head)) return done(null);
      const match = /\r\nserver:[ \t]*([^\r\n]*)/i.exec(head);
      done(match?.[1]?.trim().slice(0, 200) ?? null);
    };
    socket.on('data', onData);
    socket.once('end', () => done(null));
    socket.once('close', () => done(null));
    socket.write(`HEAD / HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: staple-probe\r\nConnection: close\r\n\r\n`);
  });
}

const GREETING_MAX_BYTES = 1024;

/**
 * The first line a server sends on an established connection (an implicit-TLS mail server's "220 … ESMTP
 * Exim 4.96 …"), without its status prefix as over STARTTLS, at most 1 KiB, within `waitMs`; null when it
 * says nothing.
 */
function readGreeting(socket: tls.TLSSocket, waitMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    let buffer = '';
    const done = () => {
      clearTimeout(timer);
      socket.off('data', onData);
      const line = greetingText(buffer.split(/\r?\n/, 1)[0] ?? '').trim();
      resolve(line === '' ? null : line.slice(0, 200));
    };
    const timer = setTimeout(done, waitMs);
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      if (buffer.includes('\n') || buffer.length >= GREETING_MAX_BYTES) done();
    };
    socket.on('data', onData);
    socket.once('end', done);
    socket.once('close', done);
  });
}

/**
 * After a handshake: the `Server` header of one HEAD (or the greeting a server said first instead), or on an
 * implicit-TLS mail port the greeting.
 */
async function identifyServer(
  socket: tls.TLSSocket,
  options: HandshakeOptions,
): Promise<{ serverHeader: string | null; banner?: string } | { banner?: string }> {
  const waitMs = Math.min(HEAD_WAIT_MS, options.timeoutMs);
  if (options.identify === 'greeting') {
    const greeting = await readGreeting(socket, waitMs);
    return greeting !== null ? { banner: greeting } : {};
  }
  const host = options.servername ?? options.address;
  return readServerHeader(socket, host.includes(':') ? `[${host}]` : host, waitMs);
}

const unusedPeerCertificate = (() => ({})) as unknown as tls.TLSSocket['getPeerCertificate'];

const PROTOCOL: Record<TlsVersion, tls.SecureVersion> = { '1.2': 'TLSv1.2', '1.3': 'TLSv1.3' };

/** Map a socket or OpenSSL error to the failure kinds reports distinguish. */
export function classifyError(error: unknown): TlsFailure {
  const err = error as NodeJS.ErrnoException & { reason?: string };
  const code = typeof err?.code === 'string' ? err.code : null;
  const message = err instanceof Error ? err.message : String(error);
  let kind: TlsFailureKind = 'other';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME' || code === 'EAI_FAIL') kind = 'dns';
  else if (code === 'ECONNREFUSED') kind = 'refused';
  else if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT') kind = 'unreachable';
  else if (code === 'ECONNRESET' || code === 'EPIPE') kind = 'reset';
  else if (code === 'ETIMEDOUT') kind = 'timeout';
  else if (
    /PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL|NO_PROTOCOLS_AVAILABLE|TLSV1_ALERT_PROTOCOL_VERSION|VERSION_TOO_LOW|VERSION_TOO_HIGH/i.test(`${code} ${message}`)
  )
    kind = 'version';
  else if ((code && code.startsWith('ERR_SSL')) || /handshake|socket disconnected|ssl/i.test(message)) kind = 'handshake';
  return { kind, message: message.replace(/\s+/g, ' ').trim(), code };
}

/**
 * The served chain, leaf first, ordered by issuance. getPeerCertificate(true), not getPeerX509Certificate():
 * the latter leaks the certificates it copies on Node 20 and 22 (about 8 KB per handshake, never reclaimed,
 * even by a full GC: measured over 10,000 handshakes; test/shell/leaks.test.ts holds it), and its
 * issuerCertificate walks the certificates in the order sent, unrelated ones included, where this one orders
 * them by issuance (docs/performance.md).
 */
function readChain(s: tls.TLSSocket, trust: Trust | undefined): { peer: tls.DetailedPeerCertificate | undefined; chain: Uint8Array[] } {
  const chain: Uint8Array[] = [];
  const seen = new Set<string>();
  const peer = tls.TLSSocket.prototype.getPeerCertificate.call(s, true) as tls.DetailedPeerCertificate | undefined;
  let cert = peer;
  while (cert?.raw && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    // Node completes the sent chain from the trust store, so a trust anchor after the leaf is not listed
    // (whether the server sent it cannot be told apart).
    const raw = cert.raw;
    if (chain.length > 0 && trust?.isAnchor(raw.toString('base64'))) break;
    chain.push(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength));
    cert = cert.issuerCertificate;
  }
  return { peer, chain };
}

/** What a completed handshake saw, read off the socket: protocol, cipher, chain, OpenSSL's verdict and the name check. */
function completed(s: tls.TLSSocket, options: HandshakeOptions, staple: Uint8Array | null) {
  const { peer, chain } = readChain(s, options.trust);
  const authorizationError = s.authorized ? null : String(s.authorizationError ?? 'UNKNOWN');
  let nameError: string | null = null;
  if (options.servername !== null && net.isIP(options.servername) === 0 && peer?.raw) {
    nameError = tls.checkServerIdentity(options.servername, peer)?.message ?? null;
  }
  return { ok: true as const, protocol: s.getProtocol() ?? 'unknown', cipher: s.getCipher()?.name ?? 'unknown', staple, chain, authorizationError, nameError };
}

/** A failed STARTTLS exchange as a handshake failure: its reason in `starttls`, the server's words in the message. */
function starttlsFailure(error: unknown, protocol: StarttlsProtocol): TlsFailure {
  if (!(error instanceof StarttlsError)) return classifyError(error);
  return { kind: 'starttls', message: error.message, code: null, starttls: { protocol, reason: error.reason, banner: error.banner } };
}

/**
 * One full TLS handshake with status_request. The OCSPResponse listener is attached before the
 * handshake starts, and no session is offered, so the server cannot resume and skip stapling. With
 * `starttls`, the protocol's plain-text upgrade runs first on a TCP connection, under the same deadline, and
 * the handshake then runs over that connection; the greeting is kept as `banner` and no HEAD is sent.
 */
export function handshake(options: HandshakeOptions): Promise<AttemptOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) * 10) / 10;
  return new Promise<AttemptOutcome>((resolve) => {
    let staple: Uint8Array | null = null;
    let settled = false;
    let connected = false;
    let socket: tls.TLSSocket | undefined;
    let plain: net.Socket | undefined;
    const finish = (outcome: AttemptOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      options.cancel?.removeEventListener('abort', onCancel);
      socket?.destroy();
      plain?.destroy();
      resolve(outcome);
    };
    const fail = (error: TlsFailure) => finish({ ok: false, error, durationMs: elapsed() });
    // Once the handshake is done, an abort only cuts the HEAD short (its close ends the wait): the handshake
    // stands.
    const aborted = () => fail({ kind: 'timeout', message: 'aborted', code: 'ABORT_ERR' });
    const onAbort = () => (connected ? socket?.destroy() : aborted());
    const onCancel = () => {
      if (!connected) aborted();
    };
    // Timers run before the event loop's I/O phase. A process kept from running past the deadline (a loaded
    // machine, many handshakes started at once) may find the answer already waiting: a refused connect, the
    // server's last flight. One I/O phase first (an immediate runs after it), so that only silence times out.
    const timer = setTimeout(
      () =>
        setImmediate(() => {
          if (!connected) fail({ kind: 'timeout', message: `no completed handshake within ${options.timeoutMs} ms`, code: 'ETIMEDOUT' });
        }),
      options.timeoutMs,
    );
    if (options.signal?.aborted) return onAbort();
    if (options.cancel?.aborted) return onCancel();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    options.cancel?.addEventListener('abort', onCancel, { once: true });
    // requestOCSP is documented for tls.connect but missing from @types/node's ConnectionOptions.
    const connectOptions: tls.ConnectionOptions & { requestOCSP: boolean } = {
      host: options.address,
      port: options.port,
      requestOCSP: true,
      rejectUnauthorized: false,
      minVersion: PROTOCOL[options.tlsVersion],
      maxVersion: PROTOCOL[options.tlsVersion],
      ...(options.trust ? { secureContext: options.trust.context } : offerOptions(options.tlsVersion, options.offer ?? 'default')),
      // Node folds a name mismatch into authorizationError; the name is checked separately below.
      checkServerIdentity: () => undefined,
      ...(options.servername !== null && net.isIP(options.servername) === 0 ? { servername: options.servername } : {}),
    };
    const watch = (s: tls.TLSSocket, banner: string | null | undefined) => {
      socket = s;
      // When the chain verifies, Node's onConnectSecure calls this.getPeerCertificate(true) only to hand the
      // result to checkServerIdentity, which ours ignores. Building that object of every field of every
      // certificate costs ~1 ms, and the probe builds it once itself (through the prototype), so the instance
      // gets a stub: one build per handshake instead of two. Should Node stop calling it, nothing changes but
      // the speed.
      s.getPeerCertificate = unusedPeerCertificate;
      s.on('OCSPResponse', (response: Buffer | undefined) => {
        if (response && response.length > 0) {
          staple = new Uint8Array(response);
          options.onStaple?.();
        }
      });
      s.once('secureConnect', () => {
        connected = true;
        // The deadline is for connect and handshake. The HEAD has its own (min(2 s, the deadline)): a server that
        // never answers it, as a non-HTTP TLS port does not, must not turn a completed handshake into a timeout.
        clearTimeout(timer);
        const result = { ...completed(s, options, staple), ...(banner !== undefined ? { banner } : {}) };
        const durationMs = elapsed();
        // A STARTTLS port does not speak HTTP: its greeting named the software instead.
        const head = banner === undefined && (typeof options.httpHead === 'function' ? options.httpHead() : options.httpHead === true);
        if (!head) return finish({ ...result, durationMs });
        options.onHandshake?.({ ...result, durationMs });
        // Timed separately: the handshake duration stays comparable with or without the HEAD.
        void identifyServer(s, options).then((found) => finish({ ...result, ...found, durationMs }));
      });
      // After the handshake, errors and closes belong to the HEAD exchange, which ends on its own. A handshake
      // that fails after a STARTTLS upgrade keeps the greeting: it names the server all the same.
      const failed = (error: TlsFailure) => finish({ ok: false, error, ...(banner !== undefined ? { banner } : {}), durationMs: elapsed() });
      s.on('error', (error) => {
        if (!connected) failed(classifyError(error));
      });
      s.once('close', () => {
        if (!connected) failed({ kind: 'reset', message: 'the server closed the connection during the handshake', code: 'ECONNRESET' });
      });
    };
    const protocol = options.starttls;
    try {
      if (!protocol) return watch(tls.connect(connectOptions), undefined);
      const tcp = net.connect({ host: options.address, port: options.port });
      plain = tcp;
      tcp.on('error', (error) => fail(classifyError(error)));
      tcp.once('connect', () => {
        negotiateStarttls(tcp, protocol, options.servername ?? options.address).then(
          (result) => {
            if (settled) return;
            try {
              watch(tls.connect({ ...connectOptions, socket: tcp }), result.banner);
            } catch (error) {
              fail(classifyError(error));
            }
          },
          (error: unknown) => fail(starttlsFailure(error, protocol)),
        );
      });
    } catch (error) {
      fail(classifyError(error));
    }
  });
}

/** A secure context with its trust anchors. */
export interface Trust {
  readonly context: tls.SecureContext;
  /** Is this DER certificate (base64) one of the trust anchors? Only a chain of more than the leaf asks. */
  isAnchor(base64Der: string): boolean;
}

const contexts = new Map<string, Trust>();

/**
 * The cipher suites (TLS 1.2) or signature algorithms (TLS 1.3) that leave the server one kind of
 * certificate to choose. TLS 1.2 picks the certificate by the suite's authentication, so the suites decide;
 * TLS 1.3 suites say nothing about it, and the signature algorithms do. The RSA list keeps the PKCS#1 schemes,
 * which TLS 1.3 forbids for the handshake's own signature (RFC 8446 §4.2.3): they only let an RSA chain
 * through. The ECDSA list has none: HAProxy 2.6 then picks its RSA certificate, which cannot sign the
 * handshake without PSS, and refuses (alert 40; measured with s_client, test/servers/dual-cert.test.ts).
 */
function offerOptions(tlsVersion: TlsVersion, offer: Offer): { ciphers?: string; sigalgs?: string } {
  if (offer === 'default') return {};
  if (tlsVersion === '1.2') {
    return { ciphers: offer === 'rsa' ? 'ECDHE+aRSA:DHE+aRSA:kRSA:!aNULL:!eNULL' : 'ECDHE+aECDSA:!aNULL:!eNULL' };
  }
  return {
    sigalgs:
      offer === 'rsa'
        ? 'rsa_pss_rsae_sha256:rsa_pss_rsae_sha384:rsa_pss_rsae_sha512:rsa_pss_pss_sha256:rsa_pss_pss_sha384:rsa_pss_pss_sha512:rsa_pkcs1_sha256:rsa_pkcs1_sha384:rsa_pkcs1_sha512'
        : 'ecdsa_secp256r1_sha256:ecdsa_secp384r1_sha384:ecdsa_secp521r1_sha512',
  };
}

/** PEM text of a DER certificate, as the secure context's store takes it. */
const toPem = (der: Uint8Array) =>
  `-----BEGIN CERTIFICATE-----\n${Buffer.from(der)
    .toString('base64')
    .replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`;
const PEM_BODY = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;

/**
 * Anchor lookup by the first 64 base64 characters of each DER (the first line of its PEM body), read from
 * the PEM text without decoding or hashing ~140 roots; only a candidate with that first line is compared
 * whole. Building it for Node's 144 roots costs ~0.6 ms cold, against ~3.3 ms for normalising every PEM body.
 * Exported for tests.
 */
export function anchorIndex(pems: readonly string[]): (base64Der: string) => boolean {
  // Each entry is either a PEM text still to normalise (the usual layout) or a normalised body.
  type Entry = { readonly text: string; readonly pem: boolean };
  const byHead = new Map<string, Entry[]>();
  const put = (head: string, entry: Entry) => {
    const list = byHead.get(head);
    if (list) list.push(entry);
    else byHead.set(head, [entry]);
  };
  for (const pem of pems) {
    const begin = pem.indexOf('-----BEGIN CERTIFICATE-----\n');
    const start = begin + 28;
    const head = pem.slice(start, start + 64);
    // The usual layout (one certificate, lines of 64 or more characters: 64 in PEM files, 76 in Node's
    // bundled roots): the key is the start of the first line as it stands.
    if (begin >= 0 && pem.indexOf('-----BEGIN', start) < 0 && pem.indexOf('\n', start) - start >= 64 && /^[A-Za-z0-9+/]{64}$/.test(head))
      put(head, { text: pem, pem: true });
    else {
      for (const m of pem.matchAll(PEM_BODY)) {
        const body = (m[1] ?? '').replace(/\s+/g, '');
        put(body.slice(0, 64), { text: body, pem: false });
      }
    }
  }
  return (base64Der) => {
    const list = byHead.get(base64Der.slice(0, 64));
    if (!list) return false;
    // A PEM entry is normalised the first time a lookup lands on it, and kept so.
    if (list.some((entry) => entry.pem)) {
      const bodies = list.flatMap((entry) =>
        entry.pem ? [...entry.text.matchAll(PEM_BODY)].map((m) => ({ text: (m[1] ?? '').replace(/\s+/g, ''), pem: false })) : [entry],
      );
      list.splice(0, list.length, ...bodies);
    }
    return list.some((entry) => entry.text === base64Der);
  };
}

/**
 * The trust a run validates chains with: Node's bundled Mozilla roots (the list Debian's ca-certificates
 * ships too), plus the operator's --ca-file certificates. The default context shares Node's parsed root
 * store (under a millisecond); a `ca` list of every root would cost ~50 ms per context to parse. Contexts are
 * built once per (version, extra CAs) and reused.
 */
export function trustContext(tlsVersion: TlsVersion, extraCas: readonly Uint8Array[], offer: Offer = 'default'): Trust {
  // Keyed by the certificates' hashes: turning them into PEM text (base64, line breaks) cost more, per probe,
  // than the lookup, and is needed only to build a context.
  const key = `${tlsVersion}:${offer}\n${extraCas.map(sha256Hex).join(',')}`;
  let trust = contexts.get(key);
  if (!trust) {
    const extraCaPems = extraCas.map(toPem);
    const versions = { minVersion: PROTOCOL[tlsVersion], maxVersion: PROTOCOL[tlsVersion], ...offerOptions(tlsVersion, offer) };
    let context = tls.createSecureContext(versions);
    if (extraCaPems.length > 0) {
      // Adding to the default store copies Node's already-parsed roots; a `ca` list would re-parse every root.
      const native = (context as unknown as { context?: { addCACert?: (pem: string) => void } }).context;
      if (typeof native?.addCACert === 'function') for (const pem of extraCaPems) native.addCACert(pem);
      else context = tls.createSecureContext({ ...versions, ca: [...tls.rootCertificates, ...extraCaPems] });
    }
    let isAnchor: ((base64Der: string) => boolean) | null = null;
    trust = {
      context,
      isAnchor: (base64Der) => {
        isAnchor ??= anchorIndex([...tls.rootCertificates, ...extraCaPems]);
        return isAnchor(base64Der);
      },
    };
    contexts.set(key, trust);
  }
  return trust;
}
