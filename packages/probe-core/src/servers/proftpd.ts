import type { ServerProfile } from './types.js';

/**
 * ProFTPD with mod_tls (measured with 1.3.8): `TLSStapling on` fetches inside the first handshake that asks and
 * caches the answer in `TLSStaplingCache`; a failed fetch staples a tryLater of mod_tls's own.
 */
export const proftpd = {
  label: 'ProFTPD',
  detect: /\bproftpd\b/i,
  staples: true,
  usualFor: ['ftp'],
  fixes: {
    enable:
      'Set `TLSStapling on` with `TLSCertificateChainFile` and a `TLSStaplingCache`. mod_tls fetches inside the first handshake that asks (nothing at start) and staples the answer at once; later sessions read the cache (`fs:/path=<dir>` with mod_tls_fscache loaded, writable by the session processes), where without one every session fetches again. Without `TLSCertificateChainFile` it finds no issuer and asks no responder. A failed fetch staples a tryLater of its own, or nothing with `TLSStaplingOptions NoFakeTryLater`; it shows only in the trace log (`TraceLog`, `Trace tls:5`), not in the `TLSLog`.',
    refresh:
      'Make the responder reachable from ProFTPD (`TLSStaplingResponder` overrides the URL). mod_tls refetches a cached response in the first handshake past half its validity, so a stale staple means those refetches fail: it keeps stapling the cached response until nextUpdate, then a tryLater of its own. The failures show only in the trace log (`TraceLog`, `Trace tls:5`), not in the `TLSLog`; deleting the cache entry (`<SHA-1 fingerprint>.der` with mod_tls_fscache) makes the next session fetch.',
    errorStatus:
      "Make mod_tls's fetch succeed: the tryLater is ProFTPD's own stand-in (`TLSCertificateChainFile` with the intermediate, a reachable responder, `TLSStaplingResponder` for a URL that redirects). mod_tls staples it when the fetch fails or the answer is expired, another certificate's or an error, and keeps it in the `TLSStaplingCache` for 5 minutes, past the responder's return (deleting the cache entry makes the next session fetch). The trace log says `returning fake tryLater OCSP response` (`Trace tls:5`); the `TLSLog` says nothing. `TLSStaplingOptions NoFakeTryLater` staples nothing instead, except for a must-staple certificate.",
    redirected: 'Set `TLSStaplingResponder` to the final URL: mod_tls does not follow the redirect and staples a tryLater of its own.',
    chainIncomplete:
      'Set `TLSCertificateChainFile` to the intermediate: without it ProFTPD serves the leaf alone, and mod_tls finds no issuer, asks no responder and staples a tryLater of its own.',
  },
} as const satisfies ServerProfile;
