import type { ServerProfile } from './types.js';

/** IIS on Windows Server 2008 and later: Schannel staples by default; there is no directive. */
export const iis = {
  label: 'IIS',
  detect: /microsoft-iis/i,
  staples: true,
  usualFor: [],
  fixes: {
    enable:
      'Windows staples by default for HTTPS bindings: a missing staple means the server cannot reach the responder (the system proxy: `netsh winhttp show proxy`; the CAPI2 log in the Event Viewer).',
    refresh: 'Windows refreshes its cached response itself: a stale staple means it cannot reach the responder (`netsh winhttp show proxy`, CAPI2 log).',
  },
} as const satisfies ServerProfile;
