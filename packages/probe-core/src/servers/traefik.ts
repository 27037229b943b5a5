import type { ServerProfile } from './types.js';

/** Traefik: OCSP stapling is part of its static configuration (`ocsp`) in recent v3 releases. Sends no `Server` header by default. */
export const traefik = {
  label: 'Traefik',
  detect: /traefik/i,
  staples: true,
  usualFor: [],
  fixes: {
    enable:
      'Enable OCSP in the static configuration (`ocsp: {}`, or `--ocsp=true`; recent v3 releases); Traefik fetches when a certificate is loaded and hourly after a failure.',
    refresh: 'Traefik refetches from halfway to nextUpdate, hourly until it succeeds: a stale staple means it cannot reach the responder (its log).',
    redirected: 'Point Traefik at the final URL with `ocsp.responderOverrides`.',
  },
} as const satisfies ServerProfile;
