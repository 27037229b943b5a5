import type { ServerProfile } from './types.js';

/** Postfix: its smtpd cannot staple. */
export const postfix = {
  label: 'Postfix',
  detect: /\bpostfix\b/i,
  staples: false,
  usualFor: ['smtp'],
  fixes: {
    enable:
      'Postfix cannot staple (smtpd has no OCSP stapling): give it a certificate without must-staple, since no common proxy speaks SMTP STARTTLS in front of it; SMTP clients rarely ask for a staple anyway.',
    chainIncomplete: 'Put the intermediate after the leaf in `smtpd_tls_chain_files` (or `smtpd_tls_cert_file`).',
  },
} as const satisfies ServerProfile;
