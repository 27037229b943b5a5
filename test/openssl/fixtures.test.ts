/** The committed fixtures' signatures cross-checked with `openssl ocsp`, an independent verifier. */
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { repoFile } from '../helpers.js';

function openssl(): string | null {
  try {
    execFileSync('openssl', ['version'], { stdio: 'pipe' });
    return 'openssl';
  } catch {
    return null;
  }
}

describe('signatures agree with openssl ocsp', () => {
  const bin = openssl();
  it('openssl is installed (required in CI)', () => {
    if (!bin && process.env.CI !== 'true') return;
    expect(bin).not.toBeNull();
  });
  const cases: [string, boolean][] = [
    ['good', true],
    ['good-delegate', true],
    ['revoked', true],
    ['bad-signature', false],
    ['delegate-no-eku', false],
    ['foreign-delegate', false],
  ];
  for (const [name, valid] of cases) {
    it.runIf(bin)(`${name}: openssl says ${valid ? 'verify OK' : 'verify failure'}, as we do`, () => {
      const dir = fileURLToPath(repoFile('fixtures/'));
      // openssl prints its verdict on stderr; the exit code alone also reflects certificate status times.
      const run = spawnSync(
        'openssl',
        ['ocsp', '-respin', `ocsp/${name}.der`, '-CAfile', 'pki/root.pem', '-verify_other', 'pki/intermediate.pem', '-no-CApath', '-no-CAstore'],
        { cwd: dir, env: { ...process.env, SSL_CERT_FILE: '/nonexistent', SSL_CERT_DIR: '/nonexistent' } },
      );
      const out = `${run.stdout}${run.stderr}`;
      expect(out).toContain(valid ? 'Response verify OK' : 'Response Verify Failure');
    });
  }
});
