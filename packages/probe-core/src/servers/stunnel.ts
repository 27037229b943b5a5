import type { ServerProfile } from './types.js';

/**
 * stunnel: a TLS wrapper that cannot staple as a server (5.68 measured: no staple on TLS 1.2 or 1.3); it adds
 * no header, so the backend's `Server` header is what a probe sees.
 */
export const stunnel = {
  label: 'stunnel',
  detect: null,
  staples: false,
  usualFor: [],
  fixes: {
    enable:
      "stunnel cannot staple (its `OCSP` options check the peer's certificate): terminate TLS in HAProxy instead, `mode tcp` with `<crt>.ocsp` beside `bind … ssl crt <crt>`, or use a certificate without must-staple. Measured: HAProxy 2.6 in TCP mode staples that file from the first handshake, on TLS 1.2 and 1.3, in front of the same backend; nginx's `stream` module cannot stand in on Debian 12 (its 1.22 has no `ssl_stapling` there).",
    chainIncomplete: 'Put the intermediate after the leaf in the `cert` file.',
  },
} as const satisfies ServerProfile;
