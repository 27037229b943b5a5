import type { ServerProfile } from './types.js';

/** Exim: staples the DER response in `tls_ocsp_file`; it fetches nothing itself. */
export const exim = {
  label: 'Exim',
  detect: /\bexim\b/i,
  staples: true,
  usualFor: ['smtp'],
  fixes: {
    enable: 'Set `tls_ocsp_file` to a DER response for the certificate in `tls_certificate` and refresh it from cron; Exim fetches nothing itself.',
    refresh:
      'Exim never refreshes `tls_ocsp_file`: fetch a new response from cron well before nextUpdate (`openssl ocsp -issuer chain.pem -cert cert.pem -url <OCSP URL> -no_nonce -respout ocsp.der`).',
    certIdMismatch:
      "`tls_ocsp_file` holds another certificate's response (typically from before a renewal): regenerate it for the certificate in `tls_certificate`.",
    errorStatus: '`tls_ocsp_file` holds an error response: replace it with a successful one.',
    redirected: 'Exim staples the `tls_ocsp_file` you give it: fetch that from the final URL.',
    chainIncomplete: 'Put the intermediate after the leaf in the `tls_certificate` file.',
    connectFailed:
      'Check `tls_ocsp_file`: Exim built with GnuTLS (Debian, Ubuntu) fails every handshake that asks for a staple while that file holds an expired response; refresh it from cron.',
  },
} as const satisfies ServerProfile;
