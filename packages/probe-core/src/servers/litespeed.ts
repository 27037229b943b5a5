import type { ServerProfile } from './types.js';

/** LiteSpeed and OpenLiteSpeed: "OCSP Stapling" in the listener's or virtual host's SSL settings. */
export const litespeed = {
  label: 'LiteSpeed',
  detect: /litespeed/i,
  staples: true,
  usualFor: [],
  fixes: {
    enable:
      'Turn on OCSP Stapling in the SSL settings (`enableStapling 1`), with `ocspCACerts` holding the issuer chain; LiteSpeed fetches and refreshes the response itself (`ocspRespMaxAge`).',
    refresh:
      'LiteSpeed refetches the response every `ocspRespMaxAge` seconds: a stale staple means its fetches fail; check its error log and its access to the responder (`ocspResponder` overrides the URL).',
    redirected: 'Set `ocspResponder` to the final URL.',
    chainIncomplete: 'Set the chained certificate (`certChain 1` with the intermediates in `certFile`, or `CACertFile`).',
  },
} as const satisfies ServerProfile;
