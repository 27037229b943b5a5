import type { ServerProfile } from './types.js';

/** Apache httpd with mod_ssl: `SSLUseStapling`, fetched inside the first handshake, cached in `SSLStaplingCache`. */
export const apache = {
  label: 'Apache',
  detect: /apache/i,
  staples: true,
  usualFor: ['https'],
  fixes: {
    enable:
      'Set `SSLUseStapling on` in the vhost and `SSLStaplingCache shmcb:/var/run/ocsp(128000)` at server level (mod_ssl does not staple without the cache); check the error log for `ssl_stapling` messages.',
    refresh:
      'mod_ssl refetches cached responses itself (`SSLStaplingStandardCacheTimeout`, default 3600 s); a stale staple means its fetches fail: check the error log, its access to the responder (`SSLStaplingResponderTimeout`, `SSLStaplingForceURL` behind a proxy).',
    lazy: 'mod_ssl fetches inside the first handshake that needs a response, which waits for the responder; later handshakes use `SSLStaplingCache`.',
    errorStatus:
      "mod_ssl staples a fake `tryLater` for a certificate whose responder it cannot reach (`SSLStaplingFakeTryLater`, default on), certificate by certificate: with an RSA and an ECDSA certificate one can get it while the other staples fine. `SSLStaplingReturnResponderErrors off` (default on; the fake is stapled only while it is on) staples only good responses; then fix Apache's access to that certificate's responder (error log, `SSLStaplingResponderTimeout`, `SSLStaplingForceURL`).",
    certIdMismatch: 'mod_ssl fetches for its own certificate, so a mismatch points at a shared cache or a proxy in front of Apache.',
    redirected:
      'mod_ssl treats the redirect as a failed fetch and, with `SSLStaplingFakeTryLater` on (the default), staples a tryLater of its own: set `SSLStaplingForceURL <final URL>` in the vhost.',
    chainIncomplete: '`SSLCertificateFile` with the intermediate appended (2.4.8+), or `SSLCertificateChainFile` on older versions.',
  },
} as const satisfies ServerProfile;
