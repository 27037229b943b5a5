import { buildErrorResponse, buildOcspResponse, type EntrySpec, type ResponseSpec } from './ocsp.js';
import type { Issued, TestPki } from './pki.js';

/** The staples the testing kit can serve, one per row of the behaviour table in the README. */
export const STAPLE_SCENARIOS = [
  'good',
  'good-delegate',
  'good-sha256-certid',
  'revoked',
  'unknown',
  'expired',
  'future',
  'expiring',
  'no-next-update',
  'wrong-cert',
  'bad-signature',
  'delegate-no-eku',
  'foreign-delegate',
  'try-later',
  'internal-error',
  'malformed',
  'trailing-garbage',
] as const;
export type StapleScenario = (typeof STAPLE_SCENARIOS)[number];

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Whole seconds: GeneralizedTime in OCSP carries no fraction (RFC 5280 §4.1.2.5.2 style). */
function second(ms: number): Date {
  return new Date(Math.floor(ms / 1000) * 1000);
}

/**
 * Make the staple for a scenario, for `leaf` (default the RSA leaf), relative to `now`: a good response
 * is produced an hour ago and valid for 7 days, as large CAs issue them.
 */
export async function makeStaple(pki: TestPki, scenario: StapleScenario, options: { now: Date; leaf?: Issued }): Promise<Uint8Array> {
  const now = options.now.getTime();
  const leaf = options.leaf ?? pki.leafRsa;
  const entry = (over: Partial<EntrySpec> = {}): EntrySpec => ({
    cert: leaf,
    status: 'good',
    thisUpdate: second(now - HOUR),
    nextUpdate: second(now - HOUR + 7 * DAY),
    ...over,
  });
  const base = (over: Partial<ResponseSpec> = {}): ResponseSpec => ({
    issuer: pki.intermediate,
    producedAt: second(now - HOUR),
    entries: [entry()],
    ...over,
  });
  switch (scenario) {
    case 'good':
      return buildOcspResponse(base());
    case 'good-delegate':
      return buildOcspResponse(base({ signer: pki.delegate, responderId: 'name' }));
    case 'good-sha256-certid':
      return buildOcspResponse(base({ certIdHash: 'SHA-256' }));
    case 'revoked':
      return buildOcspResponse(base({ entries: [entry({ status: 'revoked', revokedAt: second(now - 3 * DAY), reason: 'keyCompromise' })] }));
    case 'unknown':
      return buildOcspResponse(base({ entries: [entry({ status: 'unknown' })] }));
    case 'expired':
      return buildOcspResponse(
        base({ producedAt: second(now - 10 * DAY), entries: [entry({ thisUpdate: second(now - 10 * DAY), nextUpdate: second(now - 3 * DAY) })] }),
      );
    case 'future':
      return buildOcspResponse(
        base({ producedAt: second(now - HOUR), entries: [entry({ thisUpdate: second(now + 2 * DAY), nextUpdate: second(now + 9 * DAY) })] }),
      );
    case 'expiring':
      return buildOcspResponse(
        base({ producedAt: second(now - 6 * DAY), entries: [entry({ thisUpdate: second(now - 6 * DAY), nextUpdate: second(now + DAY) })] }),
      );
    case 'no-next-update':
      return buildOcspResponse(base({ entries: [entry({ nextUpdate: null })] }));
    case 'wrong-cert':
      return buildOcspResponse(base({ entries: [entry({ cert: pki.leafEcdsa === leaf ? pki.leafRsa : pki.leafEcdsa })] }));
    case 'bad-signature':
      return buildOcspResponse(base({ corruptSignature: true }));
    case 'delegate-no-eku':
      return buildOcspResponse(base({ signer: pki.delegateNoEku, responderId: 'name' }));
    case 'foreign-delegate':
      return buildOcspResponse(base({ signer: pki.foreignResponder, responderId: 'name' }));
    case 'try-later':
      return buildErrorResponse('tryLater');
    case 'internal-error':
      return buildErrorResponse('internalError');
    case 'malformed': {
      const good = await buildOcspResponse(base());
      return good.slice(0, Math.floor(good.length / 2));
    }
    case 'trailing-garbage':
      return buildOcspResponse(base({ trailingBytes: new TextEncoder().encode('garbage\n') }));
  }
}
