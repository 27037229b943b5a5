import type { ServerProfile } from './types.js';

/** ProFTPD with mod_tls: `TLSStapling on` fetches responses and caches them in `TLSStaplingCache`. */
export const proftpd = {
  label: 'ProFTPD',
  detect: /\bproftpd\b/i,
  staples: true,
  usualFor: ['ftp'],
  fixes: {
    enable: 'Set `TLSStapling on` with a `TLSStaplingCache` (mod_tls_fscache or mod_tls_shmcache loaded), and check the `TLSLog` for stapling errors.',
    refresh:
      'mod_tls refetches cached responses itself: a stale staple means its fetches fail (the `TLSLog`; `TLSStaplingResponder` to override the URL, `TLSStaplingTimeout`).',
    redirected: 'Set `TLSStaplingResponder` to the final URL.',
    chainIncomplete: 'Set `TLSCertificateChainFile` to the intermediate.',
  },
} as const satisfies ServerProfile;
