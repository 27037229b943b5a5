/** Inputs the fuzzer found that once made an exception escape; each must now be a finding. */
import { inspect } from '@staple-probe/core';
import { describe, expect, it } from 'vitest';
import { argsOf, readRepoFile } from '../helpers.js';

describe('fuzz regressions', () => {
  it('a GeneralizedTime that asn1js refuses with an exception (length octet 0 at offset 62) -> STAPLE_MALFORMED', async () => {
    // fast-check seed 20261125, counterexample [0, [{ kind: 'length', at: 232682982, value: 0 }]] on bad-signature.der.
    const bytes = readRepoFile('fixtures/ocsp/bad-signature.der').slice();
    bytes[62] = 0;
    const report = await inspect(bytes, { now: new Date('2026-01-15T12:00:00Z') });
    expect(report.findings.map((f) => f.code)).toEqual(['STAPLE_MALFORMED']);
    expect(argsOf(report.findings[0], 'STAPLE_MALFORMED')?.reason).toMatch(/Wrong input string for conversion/);
  });
});
