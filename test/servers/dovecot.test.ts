/**
 * Dovecot over IMAP and POP3 STARTTLS: one `dovecot -F` of its own (base_dir, state_dir and logs in its temp
 * directory), `ssl = yes` so that both plain listeners offer STARTTLS, and a must-staple certificate chosen
 * by SNI (`local_name`). Dovecot has no OCSP stapling at all, so every handshake comes without a staple.
 *
 * Measured with Dovecot 2.3.19.1 (Debian 1:2.3.19.1+dfsg1-2.1+deb12u7, OpenSSL 3.0):
 * - Greetings: IMAP `* OK [CAPABILITY … STARTTLS …] Dovecot (Debian) ready.`, POP3 `+OK Dovecot (Debian)
 *   ready.`; both name Dovecot, so the probe detects it from the banner.
 * - No staple on TLS 1.2 or 1.3 (openssl s_client -status: "OCSP response: no response sent"), whatever
 *   the certificate: STAPLE_MISSING (warn), STAPLE_MISSING_MUST_STAPLE (critical) with a must-staple one.
 * - Dovecot's configuration has no OCSP setting; it logs nothing about OCSP.
 * - For implicit TLS, HAProxy 2.6 in `mode tcp` can terminate TLS in front of it and staple its `<crt>.ocsp`
 *   (TLS 1.2 and 1.3: ok), passing the connection on with `send-proxy-v2-ssl` to an `inet_listener` with
 *   `haproxy = yes` (the sender in `haproxy_trusted_networks`); Dovecot answers IMAP through it.
 *   STARTTLS ports have no such front: HAProxy does not speak IMAP or POP3 before TLS.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { probe, type Report } from '@staple-probe/core';
import { createPki, freePort, makeStaple, type Responder, startResponder, type TestPki } from '@staple-probe/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes } from '../helpers.js';
import {
  available,
  explain,
  fixText,
  handshakesSeen,
  opensslTruth,
  scenarioOptions,
  type StartedServer,
  startServer,
  template,
  writeIdentity,
} from './harness.js';

const HAS = available('dovecot');
const HAS_HAPROXY = HAS && available('haproxy');

/** The must-staple certificate's name: Dovecot serves it to clients that ask for it by SNI. */
const MUST_STAPLE_NAME = 'muststaple.test';

const CONFIG = `
base_dir = {{dir}}/run
state_dir = {{dir}}/state
log_path = {{dir}}/dovecot.log
info_log_path = {{dir}}/dovecot.log
protocols = imap pop3
listen = 127.0.0.1
ssl = yes
ssl_cert = <{{dir}}/plain.crt
ssl_key = <{{dir}}/plain.key
haproxy_trusted_networks = 127.0.0.1/32
local_name ${MUST_STAPLE_NAME} {
  ssl_cert = <{{dir}}/muststaple.crt
  ssl_key = <{{dir}}/muststaple.key
}
mail_location = maildir:{{dir}}/mail
passdb {
  driver = static
  args = password=unused
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home={{dir}}/home
}
service imap-login {
  inet_listener imap {
    port = {{imap}}
  }
  inet_listener imap_haproxy {
    port = {{imapProxied}}
    haproxy = yes
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    port = {{pop3}}
  }
  inet_listener pop3s {
    port = 0
  }
}
`;

/** What Dovecot's fix proposes for implicit TLS: HAProxy terminates it, staples, and passes the client on with PROXY v2. */
const HAPROXY = `
defaults
  mode tcp
  timeout connect 2s
  timeout client 5s
  timeout server 5s
frontend imaps
  bind 127.0.0.1:{{port}} ssl crt {{dir}}/imaps.pem
  default_backend dovecot
backend dovecot
  server dovecot 127.0.0.1:{{dovecot}} send-proxy-v2-ssl
`;

let pki: TestPki;
let responder: Responder;
let dovecot: StartedServer;
let haproxy: StartedServer | undefined;
let opts: ReturnType<typeof scenarioOptions>;

beforeAll(async () => {
  if (!HAS) return;
  const responderPort = await freePort();
  pki = await createPki({ ocspUrl: `http://127.0.0.1:${responderPort}/ocsp`, names: ['localhost', MUST_STAPLE_NAME] });
  responder = await startResponder({
    issuer: pki.intermediate,
    port: responderPort,
    statuses: new Map([
      ['1001', { status: 'good' as const }],
      ['1003', { status: 'good' as const }],
    ]),
  });
  dovecot = await startServer({
    kind: 'dovecot',
    ports: 3,
    files: (dir, [imap, pop3, imapProxied]) => {
      writeIdentity(dir, 'plain', pki.leafRsa, [pki.intermediate]);
      writeIdentity(dir, 'muststaple', pki.leafMustStaple, [pki.intermediate]);
      return { 'dovecot.conf': template(CONFIG, { dir, imap: imap as number, pop3: pop3 as number, imapProxied: imapProxied as number }) };
    },
    command: (dir) => ({ file: 'dovecot', args: ['-F', '-c', `${dir}/dovecot.conf`] }),
    logFile: 'dovecot.log',
  });
  if (HAS_HAPROXY) {
    const staple = await makeStaple(pki, 'good', { now: new Date() });
    haproxy = await startServer({
      kind: 'haproxy',
      ports: 1,
      files: (dir, [port]) => {
        const { both } = writeIdentity(dir, 'imaps', pki.leafRsa, [pki.intermediate]);
        writeFileSync(`${both}.ocsp`, staple);
        return { 'haproxy.cfg': template(HAPROXY, { dir, port: port as number, dovecot: dovecot.ports[2] as number }) };
      },
      command: (dir) => ({ file: 'haproxy', args: ['-f', join(dir, 'haproxy.cfg'), '-db'] }),
    });
  }
  opts = scenarioOptions(pki.root);
}, 60_000);

afterAll(async () => {
  await haproxy?.stop();
  await dovecot?.stop();
  await responder?.close();
});

const imap = () => `127.0.0.1:${dovecot.ports[0]}`;
const pop3 = () => `127.0.0.1:${dovecot.ports[1]}`;
const why = (report: Report) => explain(report, dovecot);

/** An IMAP session over implicit TLS to 127.0.0.1:`port` (`openssl s_client`): what the server says to `a LOGOUT`. */
async function opensslImaps(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', '-quiet'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('error', reject);
    child.once('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
    // -quiet implies -ign_eof: s_client stays until the server closes after LOGOUT.
    child.stdin.end('a LOGOUT\r\n');
  });
}

/** The finding's Dovecot fix, checked to be the only one shown for the detected server. */
const dovecotFix = (report: Report, code: string) => fixText(report, code, 'dovecot');

describe.skipIf(!HAS)('dovecot', () => {
  it('IMAP STARTTLS: no staple on any handshake -> STAPLE_MISSING (warn), Dovecot detected from its greeting', async () => {
    const report = await probe(imap(), { ...opts, starttls: 'imap' });
    expect(codes(report), why(report)).toEqual(['STAPLE_MISSING']);
    expect(report.verdict).toBe('warn');
    expect(report.findings[0]?.args).toEqual({ liveResponder: 'ok' });
    const target = report.targets[0];
    expect(target?.starttls).toBe('imap');
    expect(target?.leaf?.serial).toBe('1001');
    // The probe keeps the greeting's text after `* OK [CAPABILITY …]`.
    expect(target?.server).toEqual({ name: 'dovecot', header: 'Dovecot (Debian) ready.', source: 'banner' });
    expect(report.server).toBe('dovecot');
    expect(handshakesSeen(report)).toEqual({ versions: ['TLSv1.2', 'TLSv1.3'], stapled: [null] });
    expect(dovecotFix(report, 'STAPLE_MISSING')).toMatch(/^Dovecot cannot staple/);
  });

  it('openssl s_client -status agrees: no staple on TLS 1.2 or 1.3, over IMAP or POP3', async () => {
    for (const [port, starttls] of [
      [dovecot.ports[0] as number, 'imap'],
      [dovecot.ports[1] as number, 'pop3'],
    ] as const) {
      for (const version of ['1.2', '1.3'] as const) {
        const truth = await opensslTruth(port, 'localhost', 'RSA', version, starttls);
        expect(truth, `${starttls} TLS ${version}: ${dovecot.log()}`).toMatchObject({ protocol: `TLSv${version}`, leafSerial: '1001', stapled: false });
      }
    }
  });

  it('POP3 STARTTLS: the same, detected from "+OK Dovecot (Debian) ready."', async () => {
    const report = await probe(pop3(), { ...opts, starttls: 'pop3' });
    expect(codes(report), why(report)).toEqual(['STAPLE_MISSING']);
    expect(report.verdict).toBe('warn');
    expect(report.targets[0]?.starttls).toBe('pop3');
    expect(report.targets[0]?.server).toEqual({ name: 'dovecot', header: 'Dovecot (Debian) ready.', source: 'banner' });
    expect(handshakesSeen(report)).toEqual({ versions: ['TLSv1.2', 'TLSv1.3'], stapled: [null] });
    expect(dovecotFix(report, 'STAPLE_MISSING')).toMatch(/^Dovecot cannot staple/);
  });

  it('a must-staple certificate (chosen by SNI) over IMAP and POP3 -> STAPLE_MISSING_MUST_STAPLE (critical), CERT_MUST_STAPLE (info)', async () => {
    for (const [target, starttls] of [
      [imap(), 'imap'],
      [pop3(), 'pop3'],
    ] as const) {
      const report = await probe(target, { ...opts, servername: MUST_STAPLE_NAME, starttls });
      expect(codes(report), why(report)).toEqual(['CERT_MUST_STAPLE', 'STAPLE_MISSING_MUST_STAPLE']);
      expect(report.verdict).toBe('critical');
      expect(report.targets[0]?.leaf?.serial).toBe('1003');
      expect(report.server).toBe('dovecot');
      const fix = dovecotFix(report, 'STAPLE_MISSING_MUST_STAPLE');
      expect(fix).toMatch(/^Dovecot cannot staple/);
      // What the HAProxy scenario below measures.
      expect(fix).toMatch(/send-proxy-v2-ssl` to a Dovecot `inet_listener` with `haproxy = yes`/);
    }
  });
});

describe.skipIf(!HAS_HAPROXY)("what Dovecot's fix proposes for implicit TLS: HAProxy in front, PROXY v2 to a `haproxy = yes` listener", () => {
  it('HAProxy staples its .ocsp on TLS 1.2 and 1.3 (ok) and Dovecot answers IMAP through it', async () => {
    const server = haproxy as StartedServer;
    const report = await probe(`127.0.0.1:${server.ports[0]}`, { ...opts, starttls: 'none', httpHead: false });
    expect(codes(report), explain(report, server)).toEqual([]);
    expect(report.verdict).toBe('ok');
    expect(handshakesSeen(report)).toEqual({ versions: ['TLSv1.2', 'TLSv1.3'], stapled: ['1001'] });
    // Dovecot behind it: an IMAP session over the TLS HAProxy terminated.
    const out = await opensslImaps(server.ports[0] as number);
    expect(out).toMatch(/^\* OK \[CAPABILITY [^\]]*\] Dovecot \(Debian\) ready\.\r?$/m);
    expect(out).toMatch(/^a OK Logout completed/m);
  });
});
