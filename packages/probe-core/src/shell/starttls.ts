import * as asn1js from 'asn1js';
import type { Socket } from 'node:net';
import type { StarttlsFailure, StarttlsProtocol } from '../types.js';

export type { StarttlsFailure, StarttlsProtocol };

/**
 * STARTTLS (issue #24): the plain-text exchange that some protocols need before the TLS handshake, spoken on
 * a connected TCP socket. Afterwards the TLS handshake runs over the same socket exactly as on an
 * implicit-TLS port. Every read is bounded (bytes and the caller's deadline, through `signal`), and every way
 * a server can fail is a `StarttlsError` with a reason the findings tell apart.
 */
export const STARTTLS_PROTOCOLS: readonly StarttlsProtocol[] = ['smtp', 'imap', 'pop3', 'ftp', 'xmpp', 'ldap', 'postgres'];

/** The protocol a well-known port speaks before TLS: the default of `--starttls`. */
export const STARTTLS_PORTS: Readonly<Record<number, StarttlsProtocol>> = {
  21: 'ftp',
  25: 'smtp',
  110: 'pop3',
  143: 'imap',
  389: 'ldap',
  587: 'smtp',
  5222: 'xmpp',
  5432: 'postgres',
};

/**
 * Well-known implicit-TLS ports of protocols other than HTTPS: TLS from the first byte, then the protocol.
 * No `HEAD /` goes there; on those whose server speaks first (`GREETS_FIRST`) the greeting after the handshake
 * names the software instead.
 */
export const IMPLICIT_TLS_PORTS: Readonly<Record<number, StarttlsProtocol>> = {
  465: 'smtp',
  636: 'ldap',
  990: 'ftp',
  993: 'imap',
  995: 'pop3',
  5223: 'xmpp',
};

/**
 * A greeting line without its protocol's status prefix ("220 ", "220-", "* OK [CAPABILITY …] ", "+OK "), as
 * STARTTLS keeps it: what is left names the host and usually the software.
 */
export function greetingText(line: string): string {
  return line
    .replace(/^\d{3}[ -]/, '')
    .replace(/^\* \w+ (\[[^\]]*\] )?/, '')
    .replace(/^\+OK ?/, '');
}

/** The protocols whose server sends a greeting line before the client says anything. */
export const GREETS_FIRST: ReadonlySet<StarttlsProtocol> = new Set(['smtp', 'imap', 'pop3', 'ftp']);

export class StarttlsError extends Error {
  override readonly name = 'StarttlsError';
  constructor(
    readonly reason: StarttlsFailure,
    readonly protocol: StarttlsProtocol,
    message: string,
    /** The server's greeting, when one arrived (it often names the software). */
    readonly banner: string | null,
  ) {
    super(message);
  }
}

/** What the exchange learnt: the greeting line, which names the server software more often than not. */
export interface StarttlsResult {
  readonly protocol: StarttlsProtocol;
  readonly banner: string | null;
}

/** The most a whole exchange may read: greetings and capability lists are a few hundred bytes. */
export const STARTTLS_MAX_BYTES = 64 * 1024;

/** Bounded reads from the socket: whatever arrives is appended to `#buffer` until a caller's pattern is met. */
class Conversation {
  #buffer = Buffer.alloc(0);
  #read = 0;
  #waiter: (() => void) | null = null;
  #ended = false;
  readonly #onData = (chunk: Buffer) => {
    this.#read += chunk.length;
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    this.#waiter?.();
  };
  readonly #onEnd = () => {
    this.#ended = true;
    this.#waiter?.();
  };

  constructor(
    private readonly socket: Socket,
    readonly protocol: StarttlsProtocol,
  ) {
    socket.on('data', this.#onData);
    socket.once('end', this.#onEnd);
    socket.once('close', this.#onEnd);
  }

  banner: string | null = null;

  send(data: string | Uint8Array): void {
    this.socket.write(data);
  }

  fail(reason: StarttlsFailure, message: string): never {
    throw new StarttlsError(reason, this.protocol, message, this.banner);
  }

  /**
   * Wait until `take` finds a complete unit at the start of the buffer (it returns how many bytes it is, or
   * -1 while incomplete); the unit is removed and returned.
   */
  async next(take: (buffer: Buffer) => number, what: string): Promise<Buffer> {
    for (;;) {
      const n = take(this.#buffer);
      if (n >= 0) {
        const unit = this.#buffer.subarray(0, n);
        this.#buffer = this.#buffer.subarray(n);
        return unit;
      }
      if (this.#read > STARTTLS_MAX_BYTES) this.fail('too-long', `${this.protocol}: more than ${STARTTLS_MAX_BYTES} bytes before ${what}`);
      if (this.#ended) this.fail('closed', `${this.protocol}: the server closed the connection before ${what}`);
      await new Promise<void>((resolve) => (this.#waiter = resolve));
      this.#waiter = null;
    }
  }

  /** One CRLF- (or LF-) terminated line, without its terminator. */
  async line(what: string): Promise<string> {
    const raw = await this.next((b) => {
      const i = b.indexOf(0x0a);
      return i < 0 ? -1 : i + 1;
    }, what);
    return raw.toString('latin1').replace(/\r?\n$/, '');
  }

  /** Stop listening: from here on the socket belongs to TLS. */
  detach(): void {
    this.socket.off('data', this.#onData);
    this.socket.off('end', this.#onEnd);
    this.socket.off('close', this.#onEnd);
    // Nothing may be read (and lost) between here and the TLS layer taking the socket over.
    this.socket.pause();
  }

  /** Bytes the server sent after agreeing and before the TLS handshake would be read as TLS: refuse them. */
  checkDrained(): void {
    if (this.#buffer.length) this.fail('garbage', `${this.protocol}: the server sent ${this.#buffer.length} bytes before the TLS handshake`);
  }
}

/** An SMTP/FTP style reply: `ddd-text` lines, then the last `ddd text` line. Returns the code and the lines. */
async function reply(c: Conversation, what: string): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  for (;;) {
    const line = await c.line(what);
    const m = /^(\d{3})([ -]?)(.*)$/.exec(line);
    if (!m) c.fail('garbage', `${c.protocol}: expected a reply code before ${what}, got "${printable(line)}"`);
    lines.push(m[3] as string);
    if (m[2] !== '-') return { code: Number(m[1]), lines };
  }
}

async function smtp(c: Conversation, host: string): Promise<void> {
  const greeting = await reply(c, 'the greeting');
  c.banner = greeting.lines[0] ?? null;
  if (greeting.code !== 220) c.fail('refused', `smtp: greeting ${greeting.code} ${greeting.lines.join(' ')}`);
  c.send(`EHLO ${heloName(host)}\r\n`);
  const ehlo = await reply(c, 'the EHLO reply');
  if (ehlo.code !== 250) c.fail('refused', `smtp: EHLO answered ${ehlo.code} ${ehlo.lines.join(' ')}`);
  if (!ehlo.lines.slice(1).some((l) => /^STARTTLS\b/i.test(l))) c.fail('not-offered', 'smtp: the server does not offer STARTTLS (not in its EHLO reply)');
  c.send('STARTTLS\r\n');
  const start = await reply(c, 'the STARTTLS reply');
  if (start.code !== 220) c.fail('refused', `smtp: STARTTLS answered ${start.code} ${start.lines.join(' ')}`);
}

async function ftp(c: Conversation): Promise<void> {
  const greeting = await reply(c, 'the greeting');
  c.banner = greeting.lines[0] ?? null;
  if (greeting.code !== 220) c.fail('refused', `ftp: greeting ${greeting.code} ${greeting.lines.join(' ')}`);
  c.send('AUTH TLS\r\n');
  const auth = await reply(c, 'the AUTH TLS reply');
  if (auth.code === 500 || auth.code === 502 || auth.code === 504)
    c.fail('not-offered', `ftp: the server does not offer AUTH TLS (${auth.code} ${auth.lines.join(' ')})`);
  if (auth.code !== 234) c.fail('refused', `ftp: AUTH TLS answered ${auth.code} ${auth.lines.join(' ')}`);
}

async function imap(c: Conversation): Promise<void> {
  const greeting = await c.line('the greeting');
  if (!/^\* (OK|PREAUTH)\b/i.test(greeting)) c.fail(/^\* BYE\b/i.test(greeting) ? 'refused' : 'garbage', `imap: greeting "${printable(greeting)}"`);
  c.banner = greeting.replace(/^\* \w+ (\[[^\]]*\] )?/, '');
  c.send('a1 CAPABILITY\r\n');
  let offered = false;
  for (;;) {
    const line = await c.line('the CAPABILITY reply');
    if (/^\* CAPABILITY /i.test(line)) offered ||= /\sSTARTTLS(\s|$)/i.test(line);
    else if (/^a1 OK\b/i.test(line)) break;
    else if (/^a1 /i.test(line)) c.fail('refused', `imap: CAPABILITY answered "${printable(line)}"`);
  }
  if (!offered) c.fail('not-offered', 'imap: the server does not offer STARTTLS (not in its CAPABILITY)');
  c.send('a2 STARTTLS\r\n');
  for (;;) {
    const line = await c.line('the STARTTLS reply');
    if (/^a2 OK\b/i.test(line)) return;
    if (/^a2 /i.test(line)) c.fail('refused', `imap: STARTTLS answered "${printable(line)}"`);
  }
}

async function pop3(c: Conversation): Promise<void> {
  const greeting = await c.line('the greeting');
  if (!/^\+OK\b/.test(greeting)) c.fail(/^-ERR\b/.test(greeting) ? 'refused' : 'garbage', `pop3: greeting "${printable(greeting)}"`);
  c.banner = greeting.replace(/^\+OK ?/, '');
  c.send('CAPA\r\n');
  const first = await c.line('the CAPA reply');
  let offered = false;
  if (/^\+OK\b/.test(first)) {
    for (let line = await c.line('the CAPA list'); line !== '.'; line = await c.line('the CAPA list')) offered ||= /^STLS\b/i.test(line);
  }
  if (!offered) c.fail('not-offered', 'pop3: the server does not offer STLS (not in its CAPA list)');
  c.send('STLS\r\n');
  const stls = await c.line('the STLS reply');
  if (!/^\+OK\b/.test(stls)) c.fail('refused', `pop3: STLS answered "${printable(stls)}"`);
}

async function xmpp(c: Conversation, host: string): Promise<void> {
  c.send(`<?xml version='1.0'?><stream:stream to='${xmlEscape(host)}' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`);
  const until = (end: RegExp) => (b: Buffer) => {
    const m = end.exec(b.toString('latin1'));
    return m ? m.index + m[0].length : -1;
  };
  const features = (await c.next(until(/<\/stream:features>|<stream:features\s*\/>|<\/stream:stream>|<stream:error/), 'the stream features')).toString('utf8');
  if (!/<stream:stream\b/.test(features)) c.fail('garbage', `xmpp: expected a stream header, got "${printable(features.slice(0, 80))}"`);
  c.banner = /\bfrom=['"]([^'"]*)['"]/.exec(features)?.[1] ?? null;
  if (/<stream:error|<\/stream:stream>/.test(features)) c.fail('refused', 'xmpp: the server closed the stream');
  if (!/<starttls\b/.test(features)) c.fail('not-offered', 'xmpp: the server does not offer STARTTLS (not in its stream features)');
  c.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
  const answer = (await c.next(until(/<proceed\b[^>]*>|<failure\b[^>]*>/), 'the STARTTLS answer')).toString('utf8');
  if (!/<proceed\b/.test(answer)) c.fail('refused', 'xmpp: the server answered STARTTLS with <failure/>');
}

const LDAP_STARTTLS_OID = '1.3.6.1.4.1.1466.20037';

/** The length of one BER element at the start of `b` (definite lengths only, as LDAP requires), or -1. */
function berLength(b: Buffer): number {
  if (b.length < 2) return -1;
  const first = b[1] as number;
  if (first < 0x80) return b.length >= 2 + first ? 2 + first : -1;
  const count = first & 0x7f;
  if (count === 0 || count > 4) return 0; // indefinite or absurd: taken as a unit, then refused as garbage
  if (b.length < 2 + count) return -1;
  let len = 0;
  for (let i = 0; i < count; i++) len = len * 256 + (b[2 + i] as number);
  return b.length >= 2 + count + len ? 2 + count + len : -1;
}

async function ldap(c: Conversation): Promise<void> {
  // LDAPMessage { messageID 1, extendedReq [APPLICATION 23] { requestName [0] OID } } (RFC 4511 §4.12, §4.14).
  const request = new asn1js.Sequence({
    value: [
      new asn1js.Integer({ value: 1 }),
      new asn1js.Constructed({
        idBlock: { tagClass: 2, tagNumber: 23 },
        value: [new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 }, valueHex: new TextEncoder().encode(LDAP_STARTTLS_OID) })],
      }),
    ],
  });
  c.send(new Uint8Array(request.toBER()));
  const raw = await c.next(berLength, 'the StartTLS response');
  const parsed = asn1js.fromBER(new Uint8Array(raw));
  const message = parsed.result;
  const op = parsed.offset === -1 || !(message instanceof asn1js.Sequence) ? undefined : message.valueBlock.value[1];
  // ExtendedResponse [APPLICATION 24] { resultCode ENUMERATED, matchedDN, diagnosticMessage, ... }
  if (!(op instanceof asn1js.Constructed) || op.idBlock.tagClass !== 2 || op.idBlock.tagNumber !== 24)
    c.fail('garbage', 'ldap: the answer to StartTLS is not an LDAP extended response');
  const [result, , diagnostic] = op.valueBlock.value;
  const code = result instanceof asn1js.Enumerated ? result.valueBlock.valueDec : -1;
  const text = diagnostic instanceof asn1js.OctetString ? Buffer.from(diagnostic.valueBlock.valueHexView).toString('utf8') : '';
  // 2 protocolError: the server does not know the operation (RFC 4511 §4.14.1 says so for StartTLS).
  if (code === 2) c.fail('not-offered', `ldap: the server does not support StartTLS${text ? ` (${printable(text)})` : ''}`);
  if (code !== 0) c.fail('refused', `ldap: StartTLS answered result code ${code}${text ? ` (${printable(text)})` : ''}`);
}

async function postgres(c: Conversation): Promise<void> {
  // SSLRequest: length 8, code 80877103; the server answers one byte, S or N.
  const request = Buffer.alloc(8);
  request.writeUInt32BE(8, 0);
  request.writeUInt32BE(80877103, 4);
  c.send(request);
  const answer = (await c.next((b) => (b.length ? 1 : -1), 'the SSLRequest answer'))[0];
  if (answer === 0x4e) c.fail('not-offered', 'postgres: the server does not accept SSL (answered N to SSLRequest)');
  if (answer !== 0x53) c.fail('garbage', `postgres: expected S or N to SSLRequest, got byte 0x${(answer ?? 0).toString(16).padStart(2, '0')}`);
}

const DIALOGS: Record<StarttlsProtocol, (c: Conversation, host: string) => Promise<void>> = { smtp, imap, pop3, ftp, xmpp, ldap, postgres };

/**
 * Speak `protocol`'s upgrade on a connected socket. Resolves when the server has agreed to start TLS; the
 * socket is then left to the TLS handshake. Rejects with `StarttlsError`, or with the socket's own error.
 * The caller's deadline destroys the socket, which ends any read here.
 */
export async function negotiateStarttls(socket: Socket, protocol: StarttlsProtocol, host: string): Promise<StarttlsResult> {
  const c = new Conversation(socket, protocol);
  let onError: (error: Error) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => {
    onError = reject;
    socket.once('error', onError);
  });
  try {
    await Promise.race([DIALOGS[protocol](c, host), failed]);
  } finally {
    socket.off('error', onError);
    c.detach();
  }
  c.checkDrained();
  return { protocol, banner: c.banner };
}

/** The name sent in EHLO: the host when it is a name, else a placeholder (an address literal needs brackets). */
function heloName(host: string): string {
  return /^[A-Za-z0-9.-]+$/.test(host) && /[A-Za-z]/.test(host) ? host : 'staple-probe.invalid';
}

function xmlEscape(text: string): string {
  return text.replace(/[<>&'"]/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** A server's words, safe to quote: control characters shown as `?`, at most 120 characters. */
function printable(text: string): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 120 ? `${clean.slice(0, 120)}…` : clean;
}
