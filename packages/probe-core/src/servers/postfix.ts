import type { ServerProfile } from './types.js';

/** Postfix: its smtpd cannot staple (not run in the suites: Debian's Postfix and Exim packages conflict). */
export const postfix = {
  label: 'Postfix',
  detect: /\bpostfix\b/i,
  staples: false,
  usualFor: ['smtp'],
  fixes: {
    enable:
      'Postfix cannot staple (smtpd has no OCSP stapling): on its STARTTLS ports (25, 587) use a certificate without must-staple; for implicit TLS (465), put HAProxy in front, which staples. Give HAProxy `mode tcp` with `<crt>.ocsp` beside `bind … ssl crt <crt>` and `server … send-proxy` to an smtpd with `-o smtpd_upstream_proxy_protocol=haproxy` in `master.cf`; no common proxy speaks SMTP before STARTTLS, and SMTP clients rarely ask for a staple anyway.',
    chainIncomplete: 'Put the intermediate after the leaf in `smtpd_tls_chain_files` (or `smtpd_tls_cert_file`).',
  },
} as const satisfies ServerProfile;
