import type { ServerProfile } from './types.js';

/** lighttpd 1.4.56+: staples the response in `ssl.stapling-file`; it never fetches one itself. */
export const lighttpd = {
  label: 'lighttpd',
  detect: /lighttpd/i,
  staples: true,
  usualFor: [],
  fixes: {
    enable:
      'Set `ssl.stapling-file = "/path/ocsp.der"` beside `ssl.pemfile` and keep that file fresh from cron (`openssl ocsp … -respout`); lighttpd fetches nothing itself and sends nothing while the file holds an expired response.',
    refresh:
      'lighttpd serves `ssl.stapling-file` as it is and never fetches: refresh the file from cron well before nextUpdate (`openssl ocsp -issuer chain.pem -cert cert.pem -url <OCSP URL> -no_nonce -respout ocsp.der`); lighttpd re-reads it when it changes.',
    certIdMismatch: "The `ssl.stapling-file` holds another certificate's response: regenerate it for the certificate in `ssl.pemfile`.",
    errorStatus: 'The `ssl.stapling-file` holds an error response: replace it with a successful one.',
    redirected: 'lighttpd staples the `ssl.stapling-file` you give it: fetch that from the final URL.',
    chainIncomplete: 'Append the intermediate to `ssl.pemfile` after the leaf (lighttpd sends the chain it finds there).',
  },
} as const satisfies ServerProfile;
