import type { ServerProfile } from './types.js';

/** Caddy: staples by default, for managed and manually loaded certificates alike. */
export const caddy = {
  label: 'Caddy',
  detect: /caddy/i,
  staples: true,
  usualFor: ['https'],
  fixes: {
    enable: 'Caddy staples by default; a missing staple means `ocsp_stapling off` is set or Caddy cannot reach the responder (see its log).',
    refresh: 'Caddy refreshes staples automatically; a stale one means it cannot reach the responder (see its log).',
    chainIncomplete: 'Caddy sends the chain it obtained; for a manually loaded certificate, use a full-chain PEM.',
  },
} as const satisfies ServerProfile;
