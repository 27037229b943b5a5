/** The vitest matchers of @staple-probe/core/vitest, passing and failing with a useful message. */
import { inspect } from '@staple-probe/core';
import { describe, expect, it } from 'vitest';
import { installStapleMatchers, stapleMatchers } from '../../packages/probe-core/src/vitest/index.js';
import { readRepoFile } from '../helpers.js';

installStapleMatchers();

const AT = new Date('2026-01-15T12:00:00Z');
const der = (name: string) => {
  const text = Buffer.from(readRepoFile(`fixtures/pki/${name}.pem`)).toString('latin1');
  return new Uint8Array(Buffer.from(text.replace(/-----[^-]+-----|\s+/g, ''), 'base64'));
};
const judge = (file: string) => inspect(readRepoFile(`fixtures/ocsp/${file}`), { now: AT, issuer: der('intermediate'), cert: der('leaf-rsa') });

describe('toHaveVerdict / toHaveFinding', () => {
  it('pass on a matching report', async () => {
    const report = await judge('revoked.der');
    expect(report).toHaveVerdict('critical');
    expect(report).toHaveFinding('STAPLE_REVOKED', { revocationReason: 'keyCompromise' });
    expect(report).not.toHaveFinding('STAPLE_EXPIRED');
  });

  it('fail with the findings listed', async () => {
    const report = await judge('expired.der');
    const verdict = stapleMatchers.toHaveVerdict(report, 'ok');
    expect(verdict.pass).toBe(false);
    expect(verdict.message()).toMatch(/expected verdict ok, got critical; findings:\n {2}STAPLE_EXPIRED: the staple expired/);
    const finding = stapleMatchers.toHaveFinding(report, 'STAPLE_REVOKED');
    expect(finding.pass).toBe(false);
    expect(finding.message()).toMatch(/expected a STAPLE_REVOKED finding/);
    expect(stapleMatchers.toHaveFinding(report, 'STAPLE_EXPIRED', { agoSeconds: 1 }).pass).toBe(false);
    expect(stapleMatchers.toHaveVerdict({ nope: true }, 'ok').message()).toBe('expected a staple-probe Report');
  });
});
