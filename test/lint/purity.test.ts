/** The lint rule that keeps core/ pure fires on I/O and clock reads there, and nowhere else. */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: new URL('../..', import.meta.url).pathname });
const lint = async (code: string, filePath: string) => {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => m.message);
};
const CORE = 'packages/probe-core/src/core/example.ts';
const SHELL = 'packages/probe-core/src/shell/example.ts';

describe('core/ purity rule', () => {
  const impure: [string, string][] = [
    ['imports node:tls', "import { connect } from 'node:tls';\nexport const c = connect;\n"],
    ['imports node:dns/promises', "import { lookup } from 'node:dns/promises';\nexport const l = lookup;\n"],
    ['imports connect from node:net', "import { connect } from 'node:net';\nexport const c = connect;\n"],
    ['imports createServer from net beside isIP', "import { createServer, isIP } from 'net';\nexport const s = [createServer, isIP];\n"],
    ['imports all of node:net', "import * as net from 'node:net';\nexport const n = net;\n"],
    ['imports fs', "import { readFileSync } from 'fs';\nexport const r = readFileSync;\n"],
    ['reads the clock with new Date()', 'export const now = new Date();\n'],
    ['reads the clock with Date.now()', 'export const now = Date.now();\n'],
    ['sets a timer', 'export function later(f: () => void) {\n  setTimeout(f, 1);\n}\n'],
    ['reads process', 'export const env = process.env;\n'],
  ];
  for (const [name, code] of impure) {
    it(`rejects core code that ${name}`, async () => {
      expect((await lint(code, CORE)).join('\n')).toMatch(/core\/ (is pure|takes `now`)/);
    });
    it(`allows shell code that ${name}`, async () => {
      expect((await lint(code, SHELL)).filter((m) => /core\//.test(m))).toEqual([]);
    });
  }
  it('allows hashing and explicit instants in core', async () => {
    const code = "import { createHash } from 'node:crypto';\nexport const h = createHash('sha1');\nexport const t = new Date(0);\n";
    expect(await lint(code, CORE)).toEqual([]);
  });
  it("allows node:net's address-literal checks (isIP, isIPv4, isIPv6) in core", async () => {
    const code = "import { isIP, isIPv4 } from 'node:net';\nimport { isIPv6 } from 'net';\nexport const v = [isIP('::1'), isIPv4('1.2.3.4'), isIPv6('::1')];\n";
    expect(await lint(code, CORE)).toEqual([]);
  });
  it('the real core/ passes', async () => {
    const results = await eslint.lintFiles(['packages/probe-core/src/core']);
    expect(results.flatMap((r) => r.messages.map((m) => `${r.filePath}: ${m.message}`))).toEqual([]);
  });
});
