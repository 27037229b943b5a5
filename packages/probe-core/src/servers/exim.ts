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
      'Refresh `tls_ocsp_file` from cron well before nextUpdate (`openssl ocsp -issuer chain.pem -cert cert.pem -url <OCSP URL> -no_nonce -respout ocsp.der`); Exim fetches nothing itself, but it watches the file and staples a valid replacement within a second, without a reload (an expired replacement is ignored and the old response kept).',
    certIdMismatch:
      "Regenerate `tls_ocsp_file` for the certificate in `tls_certificate`: it holds another certificate's response (typically from before a renewal).",
    errorStatus: '`tls_ocsp_file` holds an error response: replace it with a successful one.',
    redirected: 'Exim staples the `tls_ocsp_file` you give it: fetch that from the final URL.',
    chainIncomplete: 'Put the intermediate after the leaf in the `tls_certificate` file.',
    connectFailed:
      "Refresh `tls_ocsp_file` (or remove the option) and restart Exim: built with GnuTLS (Debian, Ubuntu), it refuses TLS on every connection when it starts with an expired response or another certificate's in that file (STARTTLS answers `454 TLS currently unavailable`, implicit TLS resets; mainlog: `TLS error on connection from ... (gnutls_certificate_set_ocsp_status_request_file2): The session or certificate has expired.`).",
  },
} as const satisfies ServerProfile;
