/**
 * The server profiles (issue #24): each known server's detection and fixes, and the catalogue's per-server
 * fixes built from them.
 */
import { describe, expect, it } from 'vitest';
import { FINDINGS, SERVER_NAMES, SERVERS, type ServerProfile } from '../../packages/probe-core/src/index.js';

const profiles = SERVER_NAMES.map((name) => [name, SERVERS[name] as ServerProfile] as const);

describe('server profiles', () => {
  it('know the servers issue #24 names, the usual HTTPS servers first', () => {
    expect(SERVER_NAMES.slice(0, 4)).toEqual(['nginx', 'apache', 'haproxy', 'caddy']);
    for (const name of ['lighttpd', 'h2o', 'litespeed', 'envoy', 'traefik', 'iis', 'exim', 'postfix', 'dovecot', 'proftpd', 'stunnel'])
      expect(SERVER_NAMES).toContain(name);
  });

  it.each(profiles)('%s: every fix leads with something to do, in one line of text', (_name, profile) => {
    for (const text of Object.values(profile.fixes)) {
      expect(text.length).toBeGreaterThan(20);
      expect(text).not.toMatch(/\n/);
      expect(text).toMatch(/[.)]$/);
    }
  });

  it('servers that cannot staple say so in their fix for a missing staple, with what to do if must-staple matters', () => {
    const cannot = profiles.filter(([, p]) => !p.staples).map(([n]) => n);
    expect(cannot).toEqual(['postfix', 'dovecot', 'stunnel']);
    for (const name of cannot) {
      const text = (SERVERS[name] as ServerProfile).fixes.enable ?? '';
      expect(text).toMatch(/cannot staple/);
      expect(text).toMatch(/must-staple/);
    }
  });

  it("the catalogue's per-server fixes are the profiles' texts, in SERVER_NAMES order", () => {
    expect(Object.keys(FINDINGS.STAPLE_MISSING.servers)).toEqual(SERVER_NAMES.filter((n) => (SERVERS[n] as ServerProfile).fixes.enable));
    expect(FINDINGS.STAPLE_EXPIRED.servers.exim).toBe(SERVERS.exim.fixes.refresh);
    expect(FINDINGS.STAPLE_CERTID_MISMATCH.servers.lighttpd).toBe(SERVERS.lighttpd.fixes.certIdMismatch);
    // Exim with GnuTLS resets handshakes over an expired tls_ocsp_file: the connection failure names it.
    expect(FINDINGS.TLS_CONNECT_FAILED.servers.exim).toMatch(/tls_ocsp_file/);
    expect(Object.keys(FINDINGS.TLS_CONNECT_FAILED.servers)).toEqual(['exim']);
  });

  it('no detection pattern matches another server’s usual header or greeting', () => {
    const samples: Record<string, string> = {
      nginx: 'nginx/1.22.1',
      apache: 'Apache/2.4.71 (Debian)',
      haproxy: 'HAProxy',
      caddy: 'Caddy',
      lighttpd: 'lighttpd/1.4.69',
      h2o: 'h2o/2.2.5',
      litespeed: 'LiteSpeed',
      envoy: 'envoy',
      traefik: 'Traefik',
      iis: 'Microsoft-IIS/10.0',
      exim: '220 mx.example.test ESMTP Exim 4.96 Fri, 04 Dec 2026 17:40:00 +0000',
      postfix: '220 mx.example.test ESMTP Postfix (Debian/GNU)',
      dovecot: '* OK [CAPABILITY IMAP4rev1 STARTTLS] Dovecot (Debian) ready.',
      proftpd: '220 ProFTPD Server (Debian) [::ffff:127.0.0.1]',
    };
    for (const [name, profile] of profiles) {
      for (const [other, sample] of Object.entries(samples))
        expect(profile.detect?.test(sample) ?? false, `${name} on ${other}'s "${sample}"`).toBe(name === other);
    }
    expect(SERVERS.stunnel.detect).toBeNull();
  });
});
