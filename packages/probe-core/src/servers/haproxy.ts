import type { ServerProfile } from './types.js';

/** HAProxy: serves the `<crt>.ocsp` files it loaded (2.8+: `ocsp-update on` fetches). */
export const haproxy = {
  label: 'HAProxy',
  detect: /haproxy/i,
  staples: true,
  usualFor: ['https'],
  fixes: {
    enable:
      'Put the DER response in `<crt>.ocsp` next to each certificate, one per `crt` line and per bundle member (`site.pem.rsa.ocsp`, `site.pem.ecdsa.ocsp`), with `<crt>.issuer` when the PEM lacks the issuer, and reload; or add `ocsp-update on` to the `crt` line (HAProxy 2.8+). An expired `.ocsp` file is dropped at load, silently: nothing is stapled.',
    refresh:
      'HAProxy serves the `.ocsp` files it loaded and refreshes nothing by itself before 2.8: from cron, fetch a response for each certificate, save it as its `<crt>.ocsp` (`site.pem.rsa.ocsp`, `site.pem.ecdsa.ocsp` for a bundle) and push it with `echo "set ssl ocsp-response $(base64 -w0 file.der)" | socat stdio /run/haproxy/admin.sock`; or use `ocsp-update on` (2.8+).',
    lazyMustStaple: 'HAProxy loads `.ocsp` files at start and has no such gap.',
    errorStatus: 'The `.ocsp` file (or the `set ssl ocsp-response` payload) holds an error response: replace it with a successful one.',
    certIdMismatch:
      'The response loaded for this certificate belongs to another one: regenerate `<cert>.ocsp` (or `set ssl ocsp-response`) for the deployed certificate.',
    redirected: 'HAProxy staples the `.ocsp` file you give it: fetch that from the final URL.',
    chainIncomplete:
      'The `crt` PEM must hold the leaf, its intermediates and the key. A `<crt>.issuer` file only gives HAProxy the issuer for its OCSP CertID: it is not sent to clients (measured with HAProxy 2.6).',
  },
} as const satisfies ServerProfile;
