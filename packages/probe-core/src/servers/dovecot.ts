import type { ServerProfile } from './types.js';

/** Dovecot: cannot staple (2.3.19 measured: no staple on TLS 1.2 or 1.3, over IMAP or POP3 STARTTLS). */
export const dovecot = {
  label: 'Dovecot',
  detect: /\bdovecot\b/i,
  staples: false,
  usualFor: ['imap', 'pop3'],
  fixes: {
    enable:
      'Dovecot cannot staple (it has no OCSP setting): on its STARTTLS ports (143, 110) use a certificate without must-staple; for implicit TLS (993, 995), put HAProxy in front, which staples. Give HAProxy `mode tcp` with `<crt>.ocsp` beside `bind … ssl crt <crt>` and `server … send-proxy-v2-ssl` to a Dovecot `inet_listener` with `haproxy = yes` and HAProxy in `haproxy_trusted_networks` (measured: HAProxy 2.6 staples in front of Dovecot 2.3.19 on TLS 1.2 and 1.3); no common proxy speaks IMAP or POP3 before STARTTLS.',
    chainIncomplete: 'Put the intermediate after the leaf in the file `ssl_cert = </path/fullchain.pem` reads (the `<` makes Dovecot read the file).',
  },
} as const satisfies ServerProfile;
