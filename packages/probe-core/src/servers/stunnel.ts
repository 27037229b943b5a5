import type { ServerProfile } from './types.js';

/** stunnel: a TLS wrapper that cannot staple as a server; its traffic does not name it. */
export const stunnel = {
  label: 'stunnel',
  detect: null,
  staples: false,
  usualFor: [],
  fixes: {
    enable:
      'stunnel cannot staple as a server: terminate TLS in one that can (HAProxy with `.ocsp` files in TCP mode, or nginx for HTTP), or give it a certificate without must-staple.',
    chainIncomplete: 'Put the intermediate after the leaf in the `cert` file.',
  },
} as const satisfies ServerProfile;
