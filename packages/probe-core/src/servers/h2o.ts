import type { ServerProfile } from './types.js';

/** h2o: fetches responses itself at start and every `ocsp-update-interval`, by running `ocsp-update-cmd` (test/servers/h2o.test.ts). */
export const h2o = {
  label: 'h2o',
  detect: /\bh2o\b/i,
  staples: true,
  usualFor: [],
  fixes: {
    enable:
      "Make h2o's fetch succeed: h2o staples by default (`ocsp-update-interval`, 4 hours; 0 turns it off) what its `ocsp-update-cmd` fetches (the bundled `fetch-ocsp-response`, which runs `openssl ocsp` against the certificate's OCSP URL), and staples nothing while that fails; its error log then says `[OCSP Stapling] reusing old response due to a temporary error` with the `openssl ocsp` output (measured with 2.2.5).",
    refresh:
      'h2o refetches every `ocsp-update-interval` and gives up after `ocsp-max-failures` (3) failed runs of `ocsp-update-cmd`: check that the command reaches the responder, then restart h2o.',
    redirected: "h2o's `fetch-ocsp-response` calls `openssl ocsp`, which does not follow redirects: give `ocsp-update-cmd` a script that asks the final URL.",
    chainIncomplete: 'List the intermediate after the leaf in `certificate-file`.',
  },
} as const satisfies ServerProfile;
