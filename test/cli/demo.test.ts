/** `probe demo` runs in-process on loopback and every case gets the verdict it is meant to show. */
import { describe, expect, it } from 'vitest';
import { main } from '../../packages/probe-cli/src/cli.js';

describe('probe demo', () => {
  it('probe demo: nine cases, each with its expected verdict, exit 0', async () => {
    let out = '';
    const code = await main(['demo'], {
      stdout: (t) => {
        out += t;
      },
      stderr: () => {},
      env: {},
      stdoutIsTty: false,
      stderrIsTty: false,
      columns: 120,
      readFile: () => new Uint8Array(),
    });
    expect(out).toContain('Every case got its expected verdict.');
    expect(code).toBe(0);
    expect(out.match(/=== Demo \d\/9:/g)).toHaveLength(9);
    expect(out).toMatch(/=== Summary: [1-9]\d* requests? reached the local OCSP responder ===/);
    expect(out).not.toMatch(/ 0 request\(s\)/);
  }, 60_000);
});
