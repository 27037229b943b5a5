/** README.md stays short; its example outputs are checked by test/docs/examples.test.ts. */
import { FINDINGS } from '@staple-probe/core';
import { describe, expect, it } from 'vitest';
import { readRepoFile } from '../helpers.js';

describe('README', () => {
  const readme = Buffer.from(readRepoFile('README.md')).toString('utf8');

  it('the README gives the number of finding codes there are', () => {
    const said = [...readme.matchAll(/(\d+) (?:finding )?codes\b/g)].map((m) => Number(m[1]));
    expect(said.length).toBeGreaterThan(0);
    for (const n of said) expect(n).toBe(Object.keys(FINDINGS).length);
  });

  it('the README is at most 250 lines', () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(251);
  });
});
