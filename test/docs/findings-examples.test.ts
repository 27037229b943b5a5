/**
 * docs/findings.md quotes each code's message under **Example:** and, for the codes a fixture reproduces,
 * says how under **Offline:** (`fixtures/ocsp/X.der`, "with `--opt value`", "without `--opt`", or a whole
 * `probe inspect …` command). For every such section, this runs that `probe inspect` (by default
 * `--issuer fixtures/pki/intermediate.pem --cert fixtures/pki/leaf-rsa.pem --at 2026-01-15T12:00:00Z`) and
 * requires the code among its findings with one of the quoted examples as its message, so the quoted
 * messages and the Offline recipes cannot drift from what the CLI prints. Some codes only a probe of a server
 * gives are run here too, against TLS servers of the testing kit (the PROBED table).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPki, makeStaple, type StaplingServerOptions, startStaplingServer, type TestPki } from '@staple-probe/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/run.js';
import { repoFile } from '../helpers.js';

const DOC = readFileSync(repoFile('docs/findings.md'), 'utf8');

/** A bullet of a section, `- **Name:** …` up to the next bullet or the end, its lines joined. */
function bullet(section: string, name: string): string | undefined {
  const text = new RegExp(`^- \\*\\*${name}:\\*\\*([\\s\\S]*?)(?=\\n- \\*\\*|\\n\\n|\\n*(?![\\s\\S]))`, 'm').exec(section)?.[1];
  return text?.replace(/\s*\n\s*/g, ' ').trim();
}

interface OfflineCase {
  readonly code: string;
  readonly args: readonly string[];
  readonly quoted: readonly string[];
}

/** The sections whose Offline line names a fixture, with the command it describes and the quoted examples. */
function offlineCases(markdown: string): OfflineCase[] {
  const out: OfflineCase[] = [];
  for (const section of markdown.split(/\n## /).slice(1)) {
    const code = section.slice(0, section.indexOf('\n'));
    if (!/^[A-Z][A-Z0-9_]*$/.test(code)) continue;
    // The first recipe only: "X; or Y with `--opt v`" gives the option to Y alone.
    const offline = (bullet(section, 'Offline') ?? '').split(/[;,] or /)[0] as string;
    const file = /`(?:probe inspect )?(fixtures\/ocsp\/[\w-]+\.der)/.exec(offline)?.[1];
    if (!file) continue;
    const options = new Map([
      ['--issuer', 'fixtures/pki/intermediate.pem'],
      ['--cert', 'fixtures/pki/leaf-rsa.pem'],
      ['--at', '2026-01-15T12:00:00Z'],
    ]);
    // A whole command gives its own --issuer and --cert.
    const command = /`probe inspect \S+((?: --[\w-]+ [^\s`]+)*)`/.exec(offline)?.[1];
    if (command !== undefined) {
      options.delete('--issuer');
      options.delete('--cert');
      for (const m of command.matchAll(/(--[\w-]+) (\S+)/g)) options.set(m[1] as string, m[2] as string);
    }
    for (const m of offline.matchAll(/without `(--[\w-]+)`/g)) options.delete(m[1] as string);
    for (const m of offline.matchAll(/with `(--[\w-]+) ([^`\s]+)`/g)) options.set(m[1] as string, m[2] as string);
    const quoted = [...(bullet(section, 'Example') ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1] as string);
    out.push({ code, args: ['inspect', file, ...[...options].flat(), '--json'], quoted });
  }
  return out;
}

async function messagesOf(args: readonly string[], code: string): Promise<string[]> {
  const { stdout, stderr } = await runCli([...args]);
  expect(stderr, `probe ${args.join(' ')}`).toBe('');
  const report = JSON.parse(stdout) as { findings: { code: string; message: string }[] };
  return report.findings.filter((f) => f.code === code).map((f) => f.message);
}

const CASES = offlineCases(DOC);

describe("docs/findings.md's Offline recipes and Example messages", () => {
  it('finds the sections with a fixture', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(20);
  });

  it.each(CASES.map((c) => [c.code, c] as const))('%s', async (code, c) => {
    const messages = await messagesOf(c.args, code);
    expect(messages, `probe ${c.args.join(' ')} does not report ${code}`).not.toEqual([]);
    expect(
      messages.filter((m) => c.quoted.includes(m)),
      `no Example of ${code} is what probe ${c.args.join(' ')} prints: ${JSON.stringify(messages)}`,
    ).not.toEqual([]);
  });
});

/** Probe-only codes: the server that shows each, and the options beyond the shared ones. */
const PROBED: Record<string, { server: (pki: TestPki, good: Uint8Array) => StaplingServerOptions; args?: readonly string[]; target?: string }> = {
  STAPLE_MISSING: { server: (pki) => ({ cert: pki.leafRsa, chain: [pki.intermediate], staple: null }) },
  STAPLE_MISSING_MUST_STAPLE: { server: (pki) => ({ cert: pki.leafMustStaple, chain: [pki.intermediate], staple: null }) },
  STAPLE_LAZY: { server: (pki, good) => ({ cert: pki.leafRsa, chain: [pki.intermediate], staple: good, lazyHandshakes: 1 }), args: ['--tls', '1.2'] },
  STAPLE_LAZY_MUST_STAPLE: {
    server: (pki, good) => ({ cert: pki.leafMustStaple, chain: [pki.intermediate], staple: good, lazyHandshakes: 1 }),
    args: ['--tls', '1.2'],
  },
  STAPLE_INTERMITTENT: {
    server: (pki, good) => ({ cert: pki.leafRsa, chain: [pki.intermediate], staple: (n) => (n === 2 ? null : good) }),
    args: ['--tls', '1.2'],
  },
};

describe("docs/findings.md's Example messages of codes only a probe gives", () => {
  const dir = mkdtempSync(join(tmpdir(), 'staple-probe-findings-examples-'));
  let pki: TestPki;
  let rootFile: string;
  const goodFor = new Map<string, Uint8Array>();
  beforeAll(async () => {
    pki = await createPki();
    rootFile = join(dir, 'root.pem');
    writeFileSync(rootFile, pki.root.pem);
    goodFor.set('1001', await makeStaple(pki, 'good', { now: new Date() }));
    goodFor.set('1003', await makeStaple(pki, 'good', { now: new Date(), leaf: pki.leafMustStaple }));
  }, 30_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const quotedOf = (code: string) => {
    const section = DOC.split(/\n## /).find((s) => s.startsWith(`${code}\n`)) ?? '';
    return [...(bullet(section, 'Example') ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1] as string);
  };

  it.each(Object.keys(PROBED))('%s', async (code) => {
    const recipe = PROBED[code];
    if (!recipe) throw new Error(code);
    const options = recipe.server(pki, goodFor.get(code.includes('MUST_STAPLE') ? '1003' : '1001') as Uint8Array);
    const server = await startStaplingServer(options);
    try {
      const args = [server.target, '--servername', 'localhost', '--ca-file', rootFile, '--no-live', '--no-crl', '--no-http'];
      const all = [...args, '--key-types', 'default', '--retry-delay', '0', ...(recipe.args ?? []), '--json'];
      const messages = await messagesOf(all, code);
      expect(messages, `probe ${all.join(' ')} does not report ${code}`).not.toEqual([]);
      expect(
        messages.filter((m) => quotedOf(code).includes(m)),
        `no Example of ${code} is what the probe prints: ${JSON.stringify(messages)}`,
      ).not.toEqual([]);
    } finally {
      await server.close();
    }
  });
});
