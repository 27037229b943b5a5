import type { ServerProfile } from './types.js';

/** Dovecot: cannot staple. */
export const dovecot = {
  label: 'Dovecot',
  detect: /\bdovecot\b/i,
  staples: false,
  usualFor: ['imap', 'pop3'],
  fixes: {
    enable:
      'Dovecot cannot staple: give it a certificate without must-staple, or, for the implicit-TLS ports (993, 995), terminate TLS in a server that staples (HAProxy with `.ocsp` files, in TCP mode, sending the PROXY protocol that `haproxy_trusted_networks` accepts).',
    chainIncomplete: 'Put the intermediate after the leaf in the `ssl_cert` file.',
  },
} as const satisfies ServerProfile;
