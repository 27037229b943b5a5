import type { ServerProfile } from './types.js';

/** Caddy: staples by default, for managed and manually loaded certificates alike, fetching at load (test/servers/caddy.test.ts). */
export const caddy = {
  label: 'Caddy',
  detect: /caddy/i,
  staples: true,
  usualFor: ['https'],
  fixes: {
    enable:
      'Caddy staples by default, manually loaded certificates (`tls cert.pem key.pem`) included: a missing staple means `ocsp_stapling off` is set or Caddy could not reach the responder when it loaded the certificate (its log: `"msg":"stapling OCSP","error":"no OCSP stapling for …"`).',
    refresh: 'Caddy refreshes staples itself: a stale one means it cannot reach the responder (its log: `stapling OCSP` warnings).',
    chainIncomplete: 'Caddy sends the chain it obtained; for a manually loaded certificate, use a full-chain PEM.',
  },
} as const satisfies ServerProfile;
