import type { ServerProfile } from './types.js';

/** Envoy: staples the DER response given as `ocsp_staple` beside each `tls_certificates` entry; it fetches nothing. */
export const envoy = {
  label: 'Envoy',
  detect: /\benvoy\b/i,
  staples: true,
  usualFor: [],
  fixes: {
    enable:
      'Give each `tls_certificates` entry an `ocsp_staple` (a DER file or inline bytes) and set the `ocsp_staple_policy` of the `DownstreamTlsContext` (`MUST_STAPLE` refuses to serve a certificate without a valid staple); Envoy fetches nothing itself.',
    refresh: 'Envoy never refreshes `ocsp_staple`: fetch a new response from cron and deliver it through SDS or a hot restart well before nextUpdate.',
    certIdMismatch: "The `ocsp_staple` of this `tls_certificates` entry is another certificate's: regenerate it for the entry's `certificate_chain`.",
    errorStatus: 'The `ocsp_staple` holds an error response: replace it with a successful one.',
    chainIncomplete: 'Put the intermediates after the leaf in `certificate_chain`.',
  },
} as const satisfies ServerProfile;
