/** README.md stays short; its example outputs are checked by test/docs/examples.test.ts. */
import { describe, expect, it } from 'vitest';
import { readRepoFile } from '../helpers.js';

describe('README', () => {
  const readme = Buffer.from(readRepoFile('README.md')).toString('utf8');

  it('the README is at most 250 lines', () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(251);
  });
});
