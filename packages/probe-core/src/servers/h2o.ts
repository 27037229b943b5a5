import type { ServerProfile } from './types.js';

/** h2o: fetches responses itself at start and every `ocsp-update-interval`, by running `ocsp-update-cmd`. */
export const h2o = {
  label: 'h2o',
  detect: /\bh2o\b/i,
  staples: true,
  usualFor: [],
  fixes: {
    enable:
      "h2o staples by default (`ocsp-update-interval`, 4 hours; 0 turns it off): a missing staple means its `ocsp-update-cmd` (the bundled `fetch-ocsp-response`, which runs `openssl ocsp`) fails: run it by hand with the certificate and read h2o's error log.",
    refresh:
      'h2o refetches every `ocsp-update-interval` and gives up after `ocsp-max-failures` (3) failed runs of `ocsp-update-cmd`: check that the command reaches the responder, then restart h2o.',
    redirected: "h2o's `fetch-ocsp-response` calls `openssl ocsp`, which does not follow redirects: give `ocsp-update-cmd` a script that asks the final URL.",
    chainIncomplete: 'List the intermediate after the leaf in `certificate-file`.',
  },
} as const satisfies ServerProfile;
