import type { ServerProfile } from './types.js';

/** Exim: staples the DER response in `tls_ocsp_file`; it fetches nothing itself. */
export const exim = {
  label: 'Exim',
  detect: /\bexim\b/i,
  staples: true,
  usualFor: ['smtp'],
  fixes: {
    enable:
      'Set `tls_ocsp_file` to a DER response for the certificate in `tls_certificate` and refresh it from cron; Exim fetches nothing itself. If it is set, check the nextUpdate of that file: Exim built with GnuTLS staples nothing once the response it loaded has expired, and refuses TLS on every connection after its next restart or reload (measured with Exim 4.96).',
    refresh:
      'Refresh `tls_ocsp_file` from cron well before nextUpdate (`openssl ocsp -issuer chain.pem -cert cert.pem -url <OCSP URL> -no_nonce -respout ocsp.new`, then rename it over the old file); Exim fetches nothing itself. The daemon reloads the file about 5 s after a change in its directory; built with GnuTLS, it staples nothing once the response has expired and refuses TLS on every connection once it has reloaded an expired file.',
    certIdMismatch:
      "Regenerate `tls_ocsp_file` for the certificate in `tls_certificate`: it holds another certificate's response (typically from before a renewal).",
    errorStatus:
      '`tls_ocsp_file` holds an error response: replace it with a successful one. (Built with GnuTLS, Exim staples no such file: it refuses TLS on every connection.)',
    redirected: 'Exim staples the `tls_ocsp_file` you give it: fetch that from the final URL.',
    chainIncomplete: 'Put the intermediate after the leaf in the `tls_certificate` file.',
    connectFailed:
      "Refresh `tls_ocsp_file` (or remove the option): built with GnuTLS (Debian, Ubuntu), Exim refuses TLS on every connection while the file it loaded holds an expired response, another certificate's or an error response. It loads the file at start and about 5 s after any change in its directory, so a response that expired while it ran breaks TLS at the next restart or reload (STARTTLS answers `454 TLS currently unavailable`, implicit TLS resets; mainlog: `TLS error on connection from ... (gnutls_certificate_set_ocsp_status_request_file2): The session or certificate has expired.`).",
  },
} as const satisfies ServerProfile;
