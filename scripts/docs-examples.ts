/**
 * Regenerates the example outputs shown in README.md and docs/*.md from real runs, so the docs cannot drift:
 *
 *   pnpm docs:examples          # rewrite every marked block
 *
 * A block is marked by an HTML comment on the line before its fence (or before a Markdown table):
 *
 *   <!-- example: inspect-expired -->
 *   ```text
 *   …replaced by the output of the example of that name…
 *   ```
 *
 * Each example below runs the CLI's `main` in this process: `probe inspect` on the fixtures with a fixed
 * `--at`, and `probe` against TLS servers started here on 127.0.0.1 with the testing kit, serving the
 * fixture PKI (made from fixtures/keys/, so the certificates are the committed ones) and staples made for
 * the fixtures' instant, judged with `--at` that instant. What still varies from run to run (the
 * handshake times in the Nagios perfdata) is listed per example as `volatile`: a block that differs only
 * there is left as it is, and test/docs/examples.test.ts compares the rest.
 */
import type { webcrypto } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  createPki,
  freePort,
  importKeys,
  type KeyKind,
  makeStaple,
  type Responder,
  startResponder,
  startStaplingServer,
  type StaplingServer,
  type TestPki,
} from '@staple-probe/core/testing';
import { SERVER_NAMES, SERVERS, type ServerProfile } from '@staple-probe/core';
import { type Io, main } from '../packages/probe-cli/src/cli.js';
import { runServe } from '../packages/probe-cli/src/serve/command.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
/** The pages that may hold marked blocks. */
export const DOC_FILES: readonly string[] = [
  'README.md',
  'SECURITY.md',
  ...['docs', 'packages/probe-cli', 'packages/probe-core', 'examples/deploy-check'].flatMap((dir) =>
    readdirSync(join(ROOT, dir))
      .filter((name) => name.endsWith('.md'))
      .sort()
      .map((name) => `${dir}/${name}`),
  ),
];

/** The fixtures' instant (scripts/make-fixtures.ts): every example is judged as of then. */
const AT = '2026-01-15T12:00:00Z';
const FIXTURE_NOW = new Date(AT);

/** What the examples share: the fixture PKI and the servers, started once per generation. */
interface Kit {
  readonly pki: TestPki;
  readonly rootPem: string;
  /** The RSA leaf with a good staple. */
  readonly good: StaplingServer;
  /** The RSA leaf, no staple. */
  readonly bare: StaplingServer;
  /** An RSA leaf stapling a response for another certificate, beside an ECDSA leaf with a good staple. */
  readonly dual: StaplingServer;
  /** Where the exporter examples' files are written. */
  readonly dir: string;
  /** One `probe serve` session shared by the exporter examples, run on first use. */
  readonly exporter: () => Promise<ExporterSession>;
}

interface Example {
  readonly run: (kit: Kit) => Promise<string>;
  /** Parts of the output that change between runs; compared as `…`. */
  readonly volatile?: readonly RegExp[];
}

/** `probe ARGS` in this process, from the repository root, as a 100-column pipe would see it. */
async function runProbe(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    env: {},
    stdoutIsTty: false,
    stderrIsTty: false,
    columns: 100,
    readFile: (p) => new Uint8Array(readFileSync(p.startsWith('/') ? p : join(ROOT, p))),
  });
  return { code, stdout, stderr };
}

/** `probe ARGS` that must write nothing on stderr. */
async function probe(args: readonly string[]): Promise<{ code: number; stdout: string }> {
  const { code, stdout, stderr } = await runProbe(args);
  if (stderr !== '') throw new Error(`probe ${args.join(' ')} wrote to stderr: ${stderr}`);
  return { code, stdout };
}

/** A shell session: the command, its output, then `$ echo $?` and the exit code. */
async function session(args: readonly string[]): Promise<string> {
  const { code, stdout } = await probe(args);
  return `$ probe ${args.join(' ')}\n${stdout}$ echo $?\n${code}\n`;
}

/** The flags the local-server examples share: the fixture root trusted, nothing fetched, judged as of AT. */
const local = (kit: Kit, server: StaplingServer | string, ...more: string[]) => [
  typeof server === 'string' ? server : server.target,
  '--servername',
  'localhost',
  '--ca-file',
  kit.rootPem,
  '--at',
  AT,
  '--no-live',
  '--no-crl',
  '--no-http',
  ...more,
];

/** `probe ARGS` that fails with a usage error: the command and its stderr, as a terminal shows them. */
async function usageError(args: readonly string[]): Promise<string> {
  const { code, stdout, stderr } = await runProbe(args);
  if (code !== 3 || stdout !== '') throw new Error(`probe ${args.join(' ')}: exit ${code}, stdout ${stdout}: not a usage error`);
  return `$ probe ${args.join(' ')}\n${stderr}`;
}

/** The Nagios status line of one local run. */
async function nagiosLine(kit: Kit, server: StaplingServer | string, ...more: string[]): Promise<string> {
  return (await probe(local(kit, server, '--format', 'nagios', ...more))).stdout;
}

const TIME = /time=\d+(\.\d+)?s/g;

/** What one `probe serve` session showed: its log, and the answers the examples quote. */
interface ExporterSession {
  /** The exporter's stderr, from the startup line to the stop line. */
  readonly log: string;
  /** `/probe` for a healthy server with an RSA and an ECDSA certificate, each with a good staple. */
  readonly metrics: string;
  /** `/probe?…&debug=true` for a server stapling an expired response. */
  readonly debug: string;
  /** The `/` page after those two probes. */
  readonly page: string;
}

/**
 * `probe serve` in this process on a free loopback port, as the command line starts it, until `during` is
 * done; returns what `during` returned and the log lines written meanwhile.
 */
async function serving<T>(args: readonly string[], io: Partial<Io>, during: (base: string) => Promise<T>): Promise<{ result: T; log: string }> {
  let log = '';
  let listening: (url: string) => void = () => {};
  const started = new Promise<string>((resolve) => (listening = resolve));
  let stop: () => void = () => {};
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const done = runServe(
    ['--listen', '127.0.0.1:0', ...args],
    {
      stdout: () => {},
      stderr: (t) => {
        log += t;
        const url = / msg=listening url=(\S+)/.exec(t)?.[1];
        if (url) listening(url);
      },
      env: {},
      stdoutIsTty: false,
      stderrIsTty: false,
      columns: 100,
      readFile: (p) => new Uint8Array(readFileSync(p)),
      ...io,
    },
    stopped,
  );
  const base = await Promise.race([started, done.then((code) => Promise.reject(new Error(`probe serve exited with ${code}: ${log}`)))]);
  let result: T;
  try {
    result = await during(base);
  } finally {
    stop();
    await done;
  }
  return { result, log };
}

/** One HTTP request to the exporter, on a connection of its own that closes after it, so the exporter stops at once. */
function get(url: string, method = 'GET'): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(body));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** The exporter examples' session: a responder answering for the leaves, a healthy and an expired server. */
async function exporterSession(kit: Kit): Promise<ExporterSession> {
  const port = await freePort();
  // The fixture keys again, with the leaves' OCSP URL on this run's responder, so the live query is answered.
  const pki = await fixturePki(`http://127.0.0.1:${port}/ocsp`);
  const rootPem = join(kit.dir, 'exporter-root.pem');
  writeFileSync(rootPem, pki.root.pem);
  const good = { status: 'good' } as const;
  const responder: Responder = await startResponder({ issuer: pki.intermediate, port, statuses: new Map([['1001', good]]) });
  const chain = [pki.intermediate];
  const now = { now: new Date() };
  const healthy = await startStaplingServer({ cert: pki.leafRsa, chain, staple: await makeStaple(pki, 'good', now) });
  const expired = await startStaplingServer({ cert: pki.leafRsa, chain, staple: await makeStaple(pki, 'expired', now) });
  try {
    const { result, log } = await serving(['--ca-file', rootPem], {}, async (base) => {
      const metrics = await get(`${base}/probe?target=${healthy.target}`);
      // debug=true, as docs/monitoring.md shows it: the probe's log lines, findings, report, metrics and module.
      const debug = await get(`${base}/probe?target=${expired.target}&debug=true`);
      return { metrics, debug, page: await get(`${base}/`) };
    });
    return { log, ...result };
  } finally {
    await Promise.all([healthy.close(), expired.close(), responder.close()]);
  }
}

/** The debug output, cut to what docs/monitoring.md shows: the report's first fields, three metrics. */
function debugExcerpt(debug: string): string {
  const sections = debug.trimEnd().split(/\n\n(?=Logs for|Findings:|Report \(|Metrics that|Module configuration)/);
  return sections
    .map((section) => {
      const [heading = '', ...lines] = section.split('\n');
      if (heading.startsWith('Report')) {
        const end = lines.findIndex((l) => l.startsWith('  "exitCode"'));
        return [heading, ...lines.slice(0, end + 1), '  …', '}'].join('\n');
      }
      if (heading.startsWith('Metrics')) {
        // The first metric with its # HELP and # TYPE lines, then two values.
        const keep = (name: string, help = false) =>
          lines.filter((l) => l.startsWith(`${name} `) || (help && (l.startsWith(`# HELP ${name} `) || l.startsWith(`# TYPE ${name} `))));
        return [heading, ...keep('probe_success', true), '…', ...keep('staple_probe_duration_seconds'), ...keep('staple_probe_verdict'), '…'].join('\n');
      }
      return section;
    })
    .join('\n\n')
    .concat('\n');
}

/** The `/` page's table of probes as a Markdown table: its cells' text, one row per probe. */
function pageTable(html: string): string {
  const table = /<table id="probes">([\s\S]*?)<\/table>/.exec(html)?.[1];
  if (!table) throw new Error(`no table of probes on the / page:\n${html}`);
  const text = (cell: string) =>
    cell
      .replace(/<[^>]*>/g, '')
      .replace(/&amp;/g, '&')
      .trim();
  const rows = [...table.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) =>
    [...(row[1] as string).matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((c) => text(c[1] as string)),
  );
  const [head = [], ...body] = rows;
  return [head, head.map(() => '---'), ...body].map((cells) => `| ${cells.join(' | ')} |\n`).join('');
}

/** A run's own instants, durations and ports, in the exporter's output. */
const EXPORTER_VOLATILE = [
  /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g,
  /\| [\d.]+ s \|/g,
  /127\.0\.0\.1:\d+/g,
  /duration_seconds(\{[^}]*\})?[ =][\d.e-]+/g,
  /(_timestamp_seconds|_seconds_until_next_update)(\{[^}]*\})? [\d.e-]+/g,
  /time=\d+(\.\d+)?s/g,
];

/** Every example a page may mark, by name. */
/** A Markdown table cell: pipes escaped, so a shell pipeline or a regex alternation stays in its cell. */
const cell = (text: string): string => text.replace(/\|/g, '\\|');

/** docs/servers.md's table of the known servers, from their profiles (packages/probe-core/src/servers/). */
function serverFixesTable(): string {
  const rows = SERVER_NAMES.map((name) => {
    const profile: ServerProfile = SERVERS[name];
    const detect = profile.detect ? `\`${profile.detect.source}\`` : 'not recognisable: `--server ' + name + '`';
    const fixes = [profile.fixes.enable, profile.fixes.refresh].map((text) => (text ? cell(text) : '–'));
    return `| ${profile.label} (\`${name}\`) | ${cell(detect)} | ${profile.staples ? 'yes' : '**no**'} | ${fixes.join(' | ')} |\n`;
  });
  return [
    '| server | recognised by (`Server` header or greeting) | staples | no staple | stale or expired staple |\n',
    '| --- | --- | --- | --- | --- |\n',
    ...rows,
  ].join('');
}

export const EXAMPLES: Readonly<Record<string, Example>> = {
  'server-fixes': { run: async () => serverFixesTable() },
  'inspect-expired': {
    run: () =>
      session([
        'inspect',
        'fixtures/ocsp/expired.der',
        '--issuer',
        'fixtures/pki/intermediate.pem',
        '--cert',
        'fixtures/pki/leaf-rsa.pem',
        '--at',
        AT,
        '--server',
        'nginx',
      ]),
  },
  'nagios-lines': {
    run: async (kit) =>
      [
        await nagiosLine(kit, kit.good, '--key-types', 'default', '--attempts', '1', '-w', '3', '-c', '1'),
        await nagiosLine(kit, kit.bare, '--key-types', 'default', '--attempts', '1'),
        // Port 1 on loopback: nothing listens there, so the refusal reads the same on every machine.
        await nagiosLine(kit, '127.0.0.1:1', '--key-types', 'default', '--attempts', '1'),
      ].join(''),
    volatile: [TIME],
  },
  'nagios-two-certificates': {
    run: (kit) => nagiosLine(kit, kit.dual, '--attempts', '1'),
    volatile: [TIME],
  },
  'headline-two-certificates': {
    run: async (kit) => {
      const table = (await probe(local(kit, kit.dual, '--attempts', '1'))).stdout;
      // The headline comes first, wrapped at the table's width: its lines up to the "staple-probe …" line.
      const lines = table.split('\n');
      const end = lines.findIndex((l) => l.startsWith('staple-probe '));
      const joined = lines
        .slice(0, Math.max(0, end))
        .map((l) => l.trim())
        .join(' ');
      const headline = joined.includes('RSA certificate 1001') && joined.includes('ECDSA certificate 1002') ? joined : undefined;
      if (!headline) throw new Error(`no headline naming both certificates in:\n${table}`);
      // The Nagios line, cut after its first perfdata: the README shows its summary.
      const nagios = (await nagiosLine(kit, kit.dual, '--attempts', '1')).replace(/ \| (\S+) .*$/s, ' | $1 …\n');
      return `${headline.trim()}\n${nagios}`;
    },
  },
  'help-usage': {
    run: async () => {
      const help = (await probe(['--help'])).stdout;
      // The Usage section, unindented: from the line after "Usage:" to the blank line that ends it.
      const lines = help.split('\n');
      const start = lines.indexOf('Usage:') + 1;
      const end = lines.indexOf('', start);
      if (start === 0 || end < 0) throw new Error(`no Usage section in probe --help:\n${help}`);
      return lines
        .slice(start, end)
        .map((l) => `${l.replace(/^ {2}/, '')}\n`)
        .join('');
    },
  },
  'serve-usage-errors': {
    run: async () => (await usageError(['serve', '--config', 'missing.yaml'])) + (await usageError(['serve', '--listen', ':99999'])),
  },
  'serve-metrics': {
    // The metrics without their # HELP and # TYPE lines.
    run: async (kit) => (await kit.exporter()).metrics.replace(/^(# .*)?\n/gm, ''),
    volatile: EXPORTER_VOLATILE,
  },
  'serve-debug': {
    run: async (kit) => debugExcerpt((await kit.exporter()).debug),
    volatile: EXPORTER_VOLATILE,
  },
  'serve-page': {
    run: async (kit) => pageTable((await kit.exporter()).page),
    volatile: EXPORTER_VOLATILE,
  },
  'serve-log': {
    run: async (kit) => (await kit.exporter()).log,
    volatile: EXPORTER_VOLATILE,
  },
  'serve-reload-failed': {
    run: async (kit) => {
      const file = join(kit.dir, 'modules.yaml');
      writeFileSync(file, 'modules:\n  quick:\n    attempts: 1\n');
      const readFile = (p: string) => new Uint8Array(readFileSync(p === 'modules.yaml' ? file : p));
      const { result } = await serving(['--config', 'modules.yaml'], { readFile }, async (base) => {
        // A typo in the file, then the reload: refused, with the reason, and the old modules stay.
        writeFileSync(file, 'modules:\n  quick:\n    atempts: 1\n');
        return `$ curl -s -X POST ${base}/-/reload\n${await get(`${base}/-/reload`, 'POST')}`;
      });
      return result.endsWith('\n') ? result : `${result}\n`;
    },
    volatile: EXPORTER_VOLATILE,
  },
};

/** The fixture PKI exactly as scripts/make-fixtures.ts makes it from the committed keys. */
async function fixturePki(ocspUrl = 'http://127.0.0.1:8080/ocsp'): Promise<TestPki> {
  const kinds: Partial<Record<keyof TestPki, KeyKind>> = { leafEcdsa: 'p256' };
  const keys: Partial<Record<keyof TestPki, webcrypto.CryptoKeyPair>> = {};
  for (const role of ['root', 'intermediate', 'leafRsa', 'leafEcdsa'] as const) {
    const text = readFileSync(join(ROOT, `fixtures/keys/${role.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}.pem`), 'utf8');
    const block = (label: string) =>
      new Uint8Array(
        Buffer.from(new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`).exec(text)?.[1]?.replace(/\s+/g, '') ?? '', 'base64'),
      );
    keys[role] = await importKeys(kinds[role] ?? 'rsa2048', block('PRIVATE KEY'), block('PUBLIC KEY'));
  }
  return createPki({
    notBefore: new Date('2026-01-01T00:00:00Z'),
    days: 3650,
    names: ['localhost', 'staple.test'],
    ocspUrl,
    keys,
  });
}

async function startKit(dir: string): Promise<Kit & { close(): Promise<void> }> {
  const pki = await fixturePki();
  const rootPem = join(dir, 'root.pem');
  writeFileSync(rootPem, pki.root.pem);
  const chain = [pki.intermediate];
  const now = { now: FIXTURE_NOW };
  const servers: StaplingServer[] = [];
  const start = async (...args: Parameters<typeof startStaplingServer>) => {
    const server = await startStaplingServer(...args);
    servers.push(server);
    return server;
  };
  const good = await start({ cert: pki.leafRsa, chain, staple: await makeStaple(pki, 'good', now) });
  const bare = await start({ cert: pki.leafRsa, chain, staple: null });
  const dual = await start({
    cert: pki.leafRsa,
    chain,
    staple: await makeStaple(pki, 'wrong-cert', now),
    also: [{ cert: pki.leafEcdsa, chain, staple: await makeStaple(pki, 'good', { ...now, leaf: pki.leafEcdsa }) }],
  });
  const kit: Kit & { close(): Promise<void> } = {
    pki,
    rootPem,
    good,
    bare,
    dual,
    dir,
    exporter: () => (session ??= exporterSession(kit)),
    close: async () => void (await Promise.all(servers.map((s) => s.close()))),
  };
  let session: Promise<ExporterSession> | undefined;
  return kit;
}

/** Run every example (or those named). */
export async function generateExamples(dir: string, names: readonly string[] = Object.keys(EXAMPLES)): Promise<Map<string, string>> {
  const kit = await startKit(dir);
  const out = new Map<string, string>();
  try {
    for (const name of names) {
      const example = EXAMPLES[name];
      if (!example) throw new Error(`no example named ${name}`);
      out.set(name, await example.run(kit));
    }
  } finally {
    await kit.close();
  }
  return out;
}

/** One marked block of a page: its example's name, where its body starts and ends (line indices), its body. */
export interface MarkedBlock {
  readonly name: string;
  readonly line: number;
  readonly start: number;
  readonly end: number;
  readonly body: string;
}

const MARKER = /^<!-- example: ([a-z0-9-]+) -->$/;

/** The marked blocks of a page; a marker followed by neither a ```text fence nor a table, or an unclosed fence, throws. */
export function markedBlocks(text: string, file: string): MarkedBlock[] {
  const lines = text.split('\n');
  const out: MarkedBlock[] = [];
  for (const [i, line] of lines.entries()) {
    const m = MARKER.exec(line.trim());
    if (!m) continue;
    // A Markdown table (an HTML page's table shown as one) is its rows; a fence is what it encloses.
    const table = lines[i + 1]?.startsWith('|') === true;
    if (!table && lines[i + 1]?.trim() !== '```text')
      throw new Error(`${file}:${i + 1}: the example marker must be followed by a \`\`\`text fence or a Markdown table`);
    const start = table ? i + 1 : i + 2;
    const end = table ? lines.findIndex((l, j) => j > i && !l.startsWith('|')) : lines.findIndex((l, j) => j > i + 1 && l.trim() === '```');
    if (end < 0) throw new Error(`${file}:${i + 2}: unclosed ${table ? 'table (no line after it)' : 'fence'}`);
    out.push({
      name: m[1] as string,
      line: i + 1,
      start,
      end,
      body: lines
        .slice(start, end)
        .map((l) => `${l}\n`)
        .join(''),
    });
  }
  return out;
}

/** The output with its volatile parts replaced by `…`, as the comparison sees it. */
export function masked(name: string, output: string): string {
  return (EXAMPLES[name]?.volatile ?? []).reduce((text, re) => text.replace(re, '…'), output);
}

/** The page with every marked block replaced by its generated output, except blocks equal up to the volatile parts. */
export function rewrite(text: string, file: string, generated: ReadonlyMap<string, string>): string {
  const lines = text.split('\n');
  // From the last block up, so the line indices of the earlier ones stay right.
  for (const block of markedBlocks(text, file).reverse()) {
    const output = generated.get(block.name);
    if (output === undefined) throw new Error(`${file}:${block.line}: no example named ${block.name}`);
    if (masked(block.name, output) === masked(block.name, block.body)) continue;
    lines.splice(block.start, block.end - block.start, ...output.replace(/\n$/, '').split('\n'));
  }
  return lines.join('\n');
}

async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'staple-probe-docs-'));
  try {
    const started = Date.now();
    const generated = await generateExamples(dir);
    for (const file of DOC_FILES) {
      const path = join(ROOT, file);
      const text = readFileSync(path, 'utf8');
      const updated = rewrite(text, file, generated);
      if (updated !== text) {
        writeFileSync(path, updated);
        process.stdout.write(`rewrote ${file}\n`);
      }
    }
    process.stdout.write(`${generated.size} examples in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
