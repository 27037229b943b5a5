import type { ServerProfile } from './types.js';

/** nginx (and OpenResty, Tengine): `ssl_stapling`, fetched lazily per worker, or a static `ssl_stapling_file`. */
export const nginx = {
  label: 'nginx',
  detect: /nginx|openresty|tengine/i,
  staples: true,
  usualFor: ['https'],
  fixes: {
    enable:
      'Set `ssl_stapling on;` and `ssl_stapling_verify on;`, give `ssl_trusted_certificate` the intermediate and root (nginx verifies the response with them; without them it logs `OCSP_basic_verify() failed` and staples nothing), and make sure the responder host name resolves when nginx loads its configuration (nginx 1.22 resolves it then and otherwise ignores `ssl_stapling` until the next reload, logging `host not found in OCSP responder`; a `resolver` serves names resolved at run time). nginx fetches on the first handshake after a start, in each worker, so the first handshake carries no staple.',
    refresh:
      'nginx never refreshes `ssl_stapling_file`: regenerate it from cron well before nextUpdate (`openssl ocsp -issuer chain.pem -cert cert.pem -url <OCSP URL> -no_nonce -respout file.der`), check it with `probe inspect`, then `nginx -s reload`. Better, drop the file and let nginx fetch (`ssl_stapling on; ssl_stapling_verify on; ssl_trusted_certificate <chain>; resolver <dns>;`).',
    lazy: 'nginx caches the response per worker process: after each reload make one handshake per worker, or serve a pre-fetched `ssl_stapling_file` that cron refreshes.',
    lazyMustStaple:
      'Make one handshake per worker right after every reload, or serve a pre-fetched `ssl_stapling_file` that cron refreshes (nginx never refreshes that file itself).',
    errorStatus:
      'nginx staples `ssl_stapling_file` byte for byte without looking at its status (it never staples an error it fetched itself): replace the file with a successful response.',
    certIdMismatch:
      "nginx serves the one `ssl_stapling_file` of a server block for every certificate in it, so with an RSA and an ECDSA certificate one of them always staples the other's response: drop `ssl_stapling_file` and let nginx fetch (`ssl_stapling on`), or serve one certificate. With one certificate the file is another's (typically from before a renewal): regenerate it for the certificate in `ssl_certificate`.",
    redirected:
      'nginx treats the redirect as a failed fetch, staples nothing and logs nothing about it: set `ssl_stapling_responder <final URL>;` next to `ssl_stapling on;`, or serve a pre-fetched `ssl_stapling_file` that cron refreshes.',
    chainIncomplete: '`ssl_certificate` must hold the leaf followed by its intermediate (fullchain.pem), and `ssl_trusted_certificate` the chain for stapling.',
  },
} as const satisfies ServerProfile;
