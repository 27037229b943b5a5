import { connect, createServer, type Server, type Socket } from 'node:net';
import * as tls from 'node:tls';
import * as asn1js from 'asn1js';
import { createPki } from '@staple-probe/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { negotiateStarttls, STARTTLS_MAX_BYTES, StarttlsError, type StarttlsProtocol } from '../../packages/probe-core/src/shell/starttls.js';

/**
 * Each protocol's upgrade against a scripted server on loopback: what a real server says (the replies are
 * those of Exim, Dovecot, ProFTPD, Prosody, OpenLDAP and PostgreSQL in their RFCs' forms), and every way a
 * server can fail it. A successful upgrade is followed by a real TLS handshake over the same socket.
 */

type Script = (socket: Socket, lines: AsyncIterator<string>) => Promise<void>;

const servers: Server[] = [];
const accepted = new Set<Socket>();
afterEach(async () => {
  // A script that stops reading leaves its socket open whatever the client does: end them all.
  for (const socket of accepted) socket.destroy();
  accepted.clear();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** Lines from the client, CRLF-split (the binary protocols read raw chunks instead). */
async function* linesOf(socket: Socket): AsyncGenerator<string> {
  let buffer = '';
  for await (const chunk of socket) {
    buffer += (chunk as Buffer).toString('latin1');
    for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
      yield buffer.slice(0, i).replace(/\r$/, '');
      buffer = buffer.slice(i + 1);
    }
  }
}

let tlsOptions: tls.TlsOptions | null = null;
async function serverTls(): Promise<tls.TlsOptions> {
  if (!tlsOptions) {
    const pki = await createPki();
    tlsOptions = { key: pki.leafRsa.keyPem, cert: pki.leafRsa.pem };
  }
  return tlsOptions;
}

/** Start a server running `script`; when the script returns true-ish upgrade, the socket becomes TLS. */
async function serve(script: Script, upgrade = false): Promise<number> {
  const options = upgrade ? await serverTls() : null;
  const server = createServer((socket) => {
    accepted.add(socket);
    socket.on('error', () => undefined);
    const lines = linesOf(socket)[Symbol.asyncIterator]();
    void script(socket, lines).then(
      () => {
        if (!options) return;
        const secure = new tls.TLSSocket(socket, { isServer: true, ...options });
        secure.on('error', () => undefined);
      },
      () => socket.destroy(),
    );
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}

async function run(protocol: StarttlsProtocol, port: number, host = 'mail.example.test') {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await new Promise((r) => socket.once('connect', r));
  const deadline = setTimeout(() => socket.destroy(), 5000);
  try {
    return await negotiateStarttls(socket, protocol, host);
  } finally {
    clearTimeout(deadline);
    setImmediate(() => socket.destroy());
  }
}

/** Upgrade, then a TLS 1.3 handshake over the same socket: the server's certificate arrives. */
async function runThenHandshake(protocol: StarttlsProtocol, port: number) {
  const socket = connect(port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  const result = await negotiateStarttls(socket, protocol, 'mail.example.test');
  const secure = tls.connect({ socket, rejectUnauthorized: false, servername: 'mail.example.test', minVersion: 'TLSv1.3' });
  await new Promise<void>((resolve, reject) => {
    secure.once('secureConnect', resolve);
    secure.once('error', reject);
  });
  const subject = secure.getPeerCertificate().subject;
  secure.destroy();
  return { result, subject };
}

async function failure(promise: Promise<unknown>): Promise<StarttlsError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StarttlsError);
  return error as StarttlsError;
}

const next = async (lines: AsyncIterator<string>) => (await lines.next()).value as string;

const smtpServer =
  (ehlo: string[], startReply = '220 2.0.0 Ready to start TLS'): Script =>
  async (socket, lines) => {
    socket.write('220-mail.example.test ESMTP Exim 4.96 Fri, 04 Dec 2026 15:00:00 +0000\r\n220 second greeting line\r\n');
    expect(await next(lines)).toBe('EHLO mail.example.test');
    socket.write(ehlo.map((l, i) => `250${i === ehlo.length - 1 ? ' ' : '-'}${l}\r\n`).join(''));
    if ((await next(lines)) !== 'STARTTLS') throw new Error('expected STARTTLS');
    socket.write(`${startReply}\r\n`);
    if (!startReply.startsWith('220')) throw new Error('refused');
  };

describe('smtp', () => {
  it('greeting, EHLO, STARTTLS, then a TLS handshake over the same socket; the banner names the software', async () => {
    const port = await serve(smtpServer(['mail.example.test Hello', 'SIZE 52428800', 'PIPELINING', 'STARTTLS', 'HELP']), true);
    const { result, subject } = await runThenHandshake('smtp', port);
    expect(result).toEqual({ protocol: 'smtp', banner: 'mail.example.test ESMTP Exim 4.96 Fri, 04 Dec 2026 15:00:00 +0000' });
    expect(subject.CN).toBeTruthy();
  });

  it('STARTTLS not in the EHLO reply: not-offered, with the banner', async () => {
    const port = await serve(smtpServer(['mail.example.test Hello', 'SIZE 52428800', 'HELP']));
    const error = await failure(run('smtp', port));
    expect([error.reason, error.message, error.banner]).toEqual([
      'not-offered',
      'smtp: the server does not offer STARTTLS (not in its EHLO reply)',
      'mail.example.test ESMTP Exim 4.96 Fri, 04 Dec 2026 15:00:00 +0000',
    ]);
  });

  it('STARTTLS answered 454: refused', async () => {
    const port = await serve(smtpServer(['mail.example.test Hello', 'STARTTLS'], '454 4.7.0 TLS not available due to local problem'));
    const error = await failure(run('smtp', port));
    expect([error.reason, error.message]).toEqual(['refused', 'smtp: STARTTLS answered 454 4.7.0 TLS not available due to local problem']);
  });

  it('an address literal is not sent as the EHLO name', async () => {
    let said = '';
    const port = await serve(async (socket, lines) => {
      socket.write('220 hi\r\n');
      said = await next(lines);
      socket.end('554 go away\r\n');
    });
    await failure(run('smtp', port, '127.0.0.1'));
    expect(said).toBe('EHLO staple-probe.invalid');
  });

  it('an HTTP server on the port: garbage, the reply quoted without control characters', async () => {
    const port = await serve(async (socket) => void socket.write('HTTP/1.1 400 Bad Request\r\n\r\n'));
    const error = await failure(run('smtp', port));
    expect([error.reason, error.message]).toEqual(['garbage', 'smtp: expected a reply code before the greeting, got "HTTP/1.1 400 Bad Request"']);
  });

  it('a TLS server on the port (implicit TLS, port 465): the first bytes are not a reply', async () => {
    const options = await serverTls();
    const server = tls.createServer(options, (socket) => accepted.add(socket));
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    // The TLS server waits for a ClientHello and the SMTP client waits for a greeting: the deadline ends it.
    const socket = connect(port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    setTimeout(() => socket.destroy(), 300);
    const error = await failure(negotiateStarttls(socket, 'smtp', 'x'));
    expect(error.reason).toBe('closed');
  });

  it('the server closes after the greeting: closed', async () => {
    const port = await serve(async (socket) => void socket.end('220 bye\r\n'));
    const error = await failure(run('smtp', port));
    expect([error.reason, error.message]).toEqual(['closed', 'smtp: the server closed the connection before the EHLO reply']);
  });

  it('an endless reply is cut at the byte limit: too-long', async () => {
    const port = await serve(async (socket) => {
      const line = `220-${'x'.repeat(1000)}\r\n`;
      for (let sent = 0; sent < STARTTLS_MAX_BYTES * 2 && !socket.destroyed; sent += line.length) socket.write(line);
    });
    const error = await failure(run('smtp', port));
    expect(error.reason).toBe('too-long');
  });

  it('bytes after the 220 to STARTTLS: garbage (they would be read as TLS)', async () => {
    const port = await serve(smtpServer(['x', 'STARTTLS'], '220 go ahead\r\nextra'));
    const error = await failure(run('smtp', port));
    expect([error.reason, error.message]).toEqual(['garbage', 'smtp: the server sent 7 bytes before the TLS handshake']);
  });
});

describe('imap, pop3, ftp', () => {
  it('imap: CAPABILITY lists STARTTLS, tagged OK, then TLS', async () => {
    const port = await serve(async (socket, lines) => {
      socket.write('* OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR] Dovecot (Debian) ready.\r\n');
      expect(await next(lines)).toBe('a1 CAPABILITY');
      socket.write('* CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS LOGINDISABLED\r\na1 OK Pre-login capabilities listed.\r\n');
      expect(await next(lines)).toBe('a2 STARTTLS');
      socket.write('a2 OK Begin TLS negotiation now.\r\n');
    }, true);
    const { result } = await runThenHandshake('imap', port);
    expect(result).toEqual({ protocol: 'imap', banner: 'Dovecot (Debian) ready.' });
  });

  it('imap: no STARTTLS capability: not-offered; a BYE greeting: refused', async () => {
    const port = await serve(async (socket, lines) => {
      socket.write('* OK ready\r\n');
      await next(lines);
      socket.write('* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\na1 OK done\r\n');
    });
    expect((await failure(run('imap', port))).reason).toBe('not-offered');
    const bye = await serve(async (socket) => void socket.end('* BYE too many connections\r\n'));
    expect((await failure(run('imap', bye))).reason).toBe('refused');
  });

  it('pop3: CAPA lists STLS, +OK, then TLS; without STLS: not-offered', async () => {
    const pop3 =
      (capa: string[]): Script =>
      async (socket, lines) => {
        socket.write('+OK Dovecot (Debian) ready.\r\n');
        expect(await next(lines)).toBe('CAPA');
        socket.write(`+OK\r\n${capa.map((c) => `${c}\r\n`).join('')}.\r\n`);
        expect(await next(lines)).toBe('STLS');
        socket.write('+OK Begin TLS negotiation now.\r\n');
      };
    const { result } = await runThenHandshake('pop3', await serve(pop3(['CAPA', 'TOP', 'UIDL', 'STLS', 'SASL PLAIN']), true));
    expect(result).toEqual({ protocol: 'pop3', banner: 'Dovecot (Debian) ready.' });
    expect((await failure(run('pop3', await serve(pop3(['CAPA', 'TOP']))))).reason).toBe('not-offered');
  });

  it('ftp: AUTH TLS answered 234, then TLS; 500: not-offered; 431: refused', async () => {
    const ftp =
      (answer: string): Script =>
      async (socket, lines) => {
        socket.write('220-Welcome\r\n220 ProFTPD Server (Debian) [127.0.0.1]\r\n');
        expect(await next(lines)).toBe('AUTH TLS');
        socket.write(`${answer}\r\n`);
      };
    const { result } = await runThenHandshake('ftp', await serve(ftp('234 AUTH TLS successful'), true));
    expect(result).toEqual({ protocol: 'ftp', banner: 'Welcome' });
    expect((await failure(run('ftp', await serve(ftp('500 AUTH not understood'))))).reason).toBe('not-offered');
    expect((await failure(run('ftp', await serve(ftp('431 Unable to accept security mechanism'))))).reason).toBe('refused');
  });
});

describe('xmpp, ldap, postgres', () => {
  const xmppServer =
    (features: string, answer = "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"): Script =>
    async (socket) => {
      const hello = await new Promise<string>((r) => socket.once('data', (d: Buffer) => r(d.toString())));
      expect(hello).toContain("to='mail.example.test'");
      socket.write(
        `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='x' from='mail.example.test' version='1.0'><stream:features>${features}</stream:features>`,
      );
      if (!features.includes('starttls')) return;
      await new Promise((r) => socket.once('data', r));
      socket.write(answer);
    };

  it('xmpp: stream features with starttls, <proceed/>, then TLS; none: not-offered; <failure/>: refused', async () => {
    const { result } = await runThenHandshake(
      'xmpp',
      await serve(xmppServer("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>"), true),
    );
    expect(result).toEqual({ protocol: 'xmpp', banner: 'mail.example.test' });
    expect((await failure(run('xmpp', await serve(xmppServer("<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"))))).reason).toBe('not-offered');
    const refused = await serve(xmppServer("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"));
    expect((await failure(run('xmpp', refused))).reason).toBe('refused');
  });

  /** An LDAP ExtendedResponse for message 1 with this result code. */
  const ldapResponse = (code: number, text = '') =>
    Buffer.from(
      new asn1js.Sequence({
        value: [
          new asn1js.Integer({ value: 1 }),
          new asn1js.Constructed({
            idBlock: { tagClass: 2, tagNumber: 24 },
            value: [new asn1js.Enumerated({ value: code }), new asn1js.OctetString(), new asn1js.OctetString({ valueHex: new TextEncoder().encode(text) })],
          }),
        ],
      }).toBER(),
    );

  it('ldap: the StartTLS extended request is well formed; success then TLS; protocolError: not-offered; other codes: refused', async () => {
    let request: Buffer | null = null;
    const ldap =
      (code: number, text = ''): Script =>
      async (socket) => {
        request = await new Promise<Buffer>((r) => socket.once('data', r));
        socket.write(ldapResponse(code, text));
      };
    const { result } = await runThenHandshake('ldap', await serve(ldap(0), true));
    expect(result).toEqual({ protocol: 'ldap', banner: null });
    const parsed = asn1js.fromBER(new Uint8Array(request as unknown as Buffer));
    const op = (parsed.result as asn1js.Sequence).valueBlock.value[1] as asn1js.Constructed;
    expect([op.idBlock.tagClass, op.idBlock.tagNumber]).toEqual([2, 23]);
    expect(Buffer.from((op.valueBlock.value[0] as asn1js.Primitive).valueBlock.valueHexView).toString()).toBe('1.3.6.1.4.1.1466.20037');

    const not = await failure(run('ldap', await serve(ldap(2, 'unsupported extended operation'))));
    expect([not.reason, not.message]).toEqual(['not-offered', 'ldap: the server does not support StartTLS (unsupported extended operation)']);
    expect((await failure(run('ldap', await serve(ldap(52, 'busy'))))).reason).toBe('refused');
    const garbage = await serve(async (s) => void s.write(Buffer.from([0x04, 0x01, 0x00])));
    expect((await failure(run('ldap', garbage))).reason).toBe('garbage');
  });

  it('postgres: SSLRequest answered S, then TLS; N: not-offered; anything else: garbage', async () => {
    const pg =
      (answer: string): Script =>
      async (socket) => {
        const request = await new Promise<Buffer>((r) => socket.once('data', r));
        expect([...request]).toEqual([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);
        socket.write(answer);
      };
    const { result } = await runThenHandshake('postgres', await serve(pg('S'), true));
    expect(result).toEqual({ protocol: 'postgres', banner: null });
    expect((await failure(run('postgres', await serve(pg('N'))))).reason).toBe('not-offered');
    expect((await failure(run('postgres', await serve(pg('E'))))).message).toBe('postgres: expected S or N to SSLRequest, got byte 0x45');
  });
});
