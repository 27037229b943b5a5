import type { ServerProfile } from './types.js';

/** lighttpd 1.4.56+: staples the response in `ssl.stapling-file` while it is valid; it never fetches one itself (test/servers/lighttpd.test.ts). */
export const lighttpd = {
  label: 'lighttpd',
  detect: /lighttpd/i,
  staples: true,
  usualFor: [],
  fixes: {
    enable:
      'Set `ssl.stapling-file = "/path/ocsp.der"` beside `ssl.pemfile` and keep that file fresh from cron (`openssl ocsp … -respout`): lighttpd fetches nothing itself, and while the file holds an expired response it staples nothing and logs nothing about it (measured with 1.4.69).',
    refresh:
      'Refresh `ssl.stapling-file` from cron well before nextUpdate (`openssl ocsp -issuer chain.pem -cert cert.pem -url <OCSP URL> -no_nonce -respout ocsp.der`): lighttpd never fetches, and once the response in the file has expired it staples nothing.',
    certIdMismatch:
      "Regenerate `ssl.stapling-file` for the certificate in `ssl.pemfile`: lighttpd staples another certificate's response as it is (measured with 1.4.69).",
    errorStatus: 'The `ssl.stapling-file` holds an error response: replace it with a successful one.',
    redirected: 'lighttpd staples the `ssl.stapling-file` you give it: fetch that from the final URL.',
    chainIncomplete: 'Append the intermediate to `ssl.pemfile` after the leaf (lighttpd sends the chain it finds there).',
  },
} as const satisfies ServerProfile;
