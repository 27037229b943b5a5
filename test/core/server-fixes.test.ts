/**
 * The server-specific fixes know setups with two certificates (RSA and ECDSA) for one name (issue #21 item 4):
 * each server gets these wrong in its own way, and a fix that speaks of one certificate misleads there.
 */
import { FINDINGS } from '@staple-probe/core';
import { describe, expect, it } from 'vitest';

describe('fixes for servers with an RSA and an ECDSA certificate', () => {
  it('STAPLE_CERTID_MISMATCH, nginx: one ssl_stapling_file serves every certificate of the server block; fetch live or serve one certificate', () => {
    const text = FINDINGS.STAPLE_CERTID_MISMATCH.servers.nginx;
    expect(text).toMatch(/one `ssl_stapling_file` of a server block for every certificate/);
    expect(text).toMatch(/RSA and an ECDSA certificate one of them always staples the other's response/);
    expect(text).toMatch(/drop `ssl_stapling_file` and let nginx fetch \(`ssl_stapling on`\), or serve one certificate/);
  });

  it('STAPLE_CERTID_MISMATCH: the hint names the other certificate of the server, not only a renewal', () => {
    expect(FINDINGS.STAPLE_CERTID_MISMATCH.hint).toMatch(/renewal/);
    expect(FINDINGS.STAPLE_CERTID_MISMATCH.hint).toMatch(/RSA and an ECDSA certificate, the other certificate's/);
  });

  it('STAPLE_ERROR_STATUS, Apache: the fake tryLater is per certificate, and SSLStaplingReturnResponderErrors off stops it', () => {
    const text = FINDINGS.STAPLE_ERROR_STATUS.servers.apache;
    expect(text).toMatch(/fake `tryLater` for a certificate whose responder it cannot reach \(`SSLStaplingFakeTryLater`, default on\)/);
    expect(text).toMatch(/`SSLStaplingReturnResponderErrors off` \(default on/);
  });

  it.each(['STAPLE_MISSING', 'STAPLE_EXPIRED'] as const)('%s, HAProxy: each bundle member needs its own .ocsp', (code) => {
    const text = FINDINGS[code].servers.haproxy;
    expect(text).toContain('`site.pem.rsa.ocsp`, `site.pem.ecdsa.ocsp`');
  });
});
