/** The command line, named after the command lines it runs. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPki, freePort, makeStaple, type Responder, type StaplingServer, startResponder, startStaplingServer } from '@staple-probe/core/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { repoFile } from '../helpers.js';
import { progressBar } from '../../packages/probe-cli/src/cli.js';
import { runCli } from './run.js';

const path = (p: string) => fileURLToPath(repoFile(p));

const run = runCli;

const AT = '2026-01-15T12:00:00Z';
const fixture = (name: string) => path(`fixtures/ocsp/${name}.der`);
const ISSUER = path('fixtures/pki/intermediate.pem');
const CERT = path('fixtures/pki/leaf-rsa.pem');

describe('probe inspect', () => {
  it('probe inspect good.der --issuer --cert --at -> exit 0, OK first', async () => {
    const r = await run(['inspect', fixture('good'), '--issuer', ISSUER, '--cert', CERT, '--at', AT]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('OCSP response OK');
    expect(r.stdout).toContain('No problems found.');
    expect(r.stderr).toBe('');
  });

  it('probe inspect expired.der -> exit 2 with the diagnosis and the fix', async () => {
    const r = await run(['inspect', fixture('expired'), '--issuer', ISSUER, '--cert', CERT, '--at', AT]);
    expect(r.code).toBe(2);
    expect(r.stdout.split('\n')[0]).toMatch(/^OCSP response CRITICAL: the staple expired 3\.0d ago/);
    expect(r.stdout).toContain('STAPLE_EXPIRED');
    expect(r.stdout).toContain('Fix: ');
  });

  it('probe inspect expiring.der -> exit 1; --warn-remaining 12h -> exit 0', async () => {
    expect((await run(['inspect', fixture('expiring'), '--issuer', ISSUER, '--cert', CERT, '--at', AT])).code).toBe(1);
    expect((await run(['inspect', fixture('expiring'), '--issuer', ISSUER, '--cert', CERT, '--at', AT, '--warn-remaining', '12h'])).code).toBe(0);
    expect((await run(['inspect', fixture('expiring'), '--issuer', ISSUER, '--cert', CERT, '--at', AT, '--crit-remaining', '36h'])).code).toBe(2);
  });

  it('probe inspect without --issuer judges the rest and says the signature was not checked (exit 3)', async () => {
    const r = await run(['inspect', fixture('good'), '--at', AT]);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('SIGNER_NOT_CHECKED');
    expect(r.stdout).toContain('add --issuer');
    const revoked = await run(['inspect', fixture('revoked'), '--at', AT]);
    expect(revoked.code).toBe(2);
  });

  it('probe inspect --json: versioned, flat findings with code, severity, message and where', async () => {
    const r = await run(['inspect', fixture('revoked'), '--issuer', ISSUER, '--cert', CERT, '--at', AT, '--json']);
    expect(r.code).toBe(2);
    const json = JSON.parse(r.stdout);
    expect(json.schemaVersion).toBe(2);
    expect(json.verdict).toBe('critical');
    expect(json.exitCode).toBe(2);
    expect(json.findings).toEqual([
      expect.objectContaining({
        code: 'STAPLE_REVOKED',
        severity: 'critical',
        message: expect.stringContaining('REVOKED since 2026-01-12T12:00:00.000Z, reason keyCompromise'),
        where: [{ file: fixture('revoked') }],
      }),
    ]);
    expect(json.staples[0].decoded.basic.responses[0].certStatus).toBe('revoked');
  });

  it('probe inspect reads PEM-armoured and base64 responses (openssl .ors files)', async () => {
    const ors = fileURLToPath(new URL('../../../shared/vectors/openssl/ND1.ors', import.meta.url));
    const r = await run([
      'inspect',
      ors,
      '--issuer',
      fileURLToPath(new URL('../../../shared/vectors/openssl/ND1_Issuer_ICA.pem', import.meta.url)),
      '--at',
      '2012-10-12T00:00:00Z',
      '--json',
    ]);
    const json = JSON.parse(r.stdout);
    expect(json.staples[0].decoded.responseStatus).toBe('successful');
    expect(json.findings.map((f: { code: string }) => f.code)).toEqual(['STAPLE_CERTID_NOT_CHECKED']);
  });

  it('probe inspect --issuer with a file that is not a certificate -> one line on stderr, exit 3, no report', async () => {
    const r = await run(['inspect', fixture('good'), '--issuer', fixture('good'), '--at', AT]);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(`probe: --issuer ${fixture('good')}: not a certificate (PEM or DER)\nTry 'probe --help'.\n`);
    expect(r.stdout).toBe('');
  });

  it('probe inspect expired.der --server nginx: the fix is worded for nginx only; without --server, for each server', async () => {
    const base = ['inspect', fixture('expired'), '--issuer', ISSUER, '--cert', CERT, '--at', AT, '--json'];
    const nginx = JSON.parse((await run([...base, '--server', 'nginx'])).stdout);
    expect(nginx.server).toBe('nginx');
    expect(nginx.findings[0].fixes.map((f: { server: string }) => f.server)).toEqual(['nginx']);
    expect(nginx.findings[0].fixes[0].text).toMatch(/ssl_stapling_file/);
    const any = JSON.parse((await run(base)).stdout);
    expect(any.server).toBeNull();
    expect(any.findings[0].fixes.map((f: { server: string }) => f.server)).toEqual(['nginx', 'apache', 'haproxy', 'caddy']);
    const table = (await run([...base.slice(0, -1), '--server', 'apache'])).stdout;
    expect(table).toContain('Apache: mod_ssl refetches');
    expect(table).not.toContain('nginx never refreshes');
  });

  it('probe inspect malformed.der -> critical finding, not a crash', async () => {
    const r = await run(['inspect', fixture('malformed'), '--issuer', ISSUER, '--cert', CERT, '--at', AT]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('STAPLE_MALFORMED');
    expect(r.stderr).toBe('');
  });
});

/** Files that hold no certificate and no OCSP response, for the rough edges of issue #23. */
const junk = mkdtempSync(join(tmpdir(), 'staple-probe-junk-'));
const HELLO = join(junk, 'hello.txt');
writeFileSync(HELLO, 'hello world\n');
const BROKEN_PEM = join(junk, 'broken.pem');
// A PEM certificate with one line of its base64 lost: the armour is intact, the DER inside is cut short.
writeFileSync(
  BROKEN_PEM,
  readFileSync(path('fixtures/pki/root.pem'), 'utf8')
    .split('\n')
    .filter((_, i) => i !== 3)
    .join('\n'),
);

describe('bad input: one line on stderr, exit 3, never a stack trace', () => {
  const cases: [string, string[], RegExp][] = [
    ['probe host --json --format nagios', ['example.test', '--json', '--format', 'nagios'], /^probe: --json and --format nagios conflict: give one\n/],
    ['probe inspect x.der --json --format table', ['inspect', fixture('good'), '--json', '--format', 'table'], /--json and --format table conflict/],
    ['probe host --timeout -1', ['example.test', '--timeout', '-1'], /^probe: --timeout -1: expected 100 to 600000\n/],
    ['probe host --attempts -3', ['example.test', '--attempts', '-3'], /^probe: --attempts -3: expected 1 to 20\n/],
    ['probe host --concurrency=-1', ['example.test', '--concurrency=-1'], /^probe: --concurrency -1: expected 1 to 256\n/],
    ['probe host --warn-remaining -2d', ['example.test', '--warn-remaining', '-2d'], /^probe: --warn-remaining -2d: expected a duration/],
    ['probe host -w -1', ['example.test', '-w', '-1'], /^probe: -w -1: expected a duration/],
    ['probe host --warn-remaining 3 (no unit)', ['example.test', '--warn-remaining', '3'], /^probe: --warn-remaining 3: give a unit: 3d, 3h, 3m or 3s\n/],
    ['probe host --skew 30 (no unit)', ['example.test', '--skew', '30'], /--skew 30: give a unit: 30d, 30h, 30m or 30s/],
    ['probe host --issuer hello.txt', ['example.test', '--issuer', HELLO], /^probe: --issuer .*hello\.txt: not a certificate \(PEM or DER\)\n/],
    ['probe host --ca-file hello.txt', ['example.test', '--ca-file', HELLO], /^probe: --ca-file .*hello\.txt: not a certificate/],
    ['probe host --ca-file broken.pem', ['example.test', '--ca-file', BROKEN_PEM], /^probe: --ca-file .*broken\.pem: not a certificate/],
    ['probe inspect good.der --cert hello.txt', ['inspect', fixture('good'), '--cert', HELLO], /^probe: --cert .*hello\.txt: not a certificate/],
    ['probe inspect good.der --issuer broken.pem', ['inspect', fixture('good'), '--issuer', BROKEN_PEM], /--issuer .*broken\.pem: not a certificate/],
    ['probe inspect hello.txt', ['inspect', HELLO], /^probe: .*hello\.txt: not an OCSP response or a CRL \(DER, PEM or base64\)\n/],
    ['probe demo extra', ['demo', 'extra'], /^probe: demo takes no arguments but --no-color \(got extra\)\n/],
    ['probe (no target)', [], /no target given/],
    ['probe --bogus x', ['--bogus', 'x'], /Unknown option '--bogus'/],
    ['probe host --tls 1.1', ['example.test', '--tls', '1.1'], /--tls 1.1: expected 1.2, 1.3 or both/],
    ['probe host --attempts 0', ['example.test', '--attempts', '0'], /--attempts 0: expected 1 to 20/],
    ['probe host --timeout soon', ['example.test', '--timeout', 'soon'], /--timeout soon: expected a whole number/],
    ['probe host:99999', ['example.test:99999'], /port must be a number from 1 to 65535/],
    ['probe "bad host!"', ['bad host!'], /is not a valid host name/],
    ['probe ftp://host', ['ftp://example.test'], /only https:\/\/ URLs/],
    ['probe host --format xml', ['example.test', '--format', 'xml'], /--format xml: expected table, json, jsonl or nagios/],
    ['probe host --at yesterday', ['example.test', '--at', 'yesterday'], /--at yesterday: not an ISO-8601/],
    ['probe host --warn-remaining 2w', ['example.test', '--warn-remaining', '2w'], /expected a duration/],
    ['probe host --issuer /nonexistent.pem', ['example.test', '--issuer', '/nonexistent.pem'], /cannot read --issuer \/nonexistent.pem: no such file/],
    ['probe host --address nowhere', ['example.test', '--address', 'nowhere'], /--address nowhere: not an IP address/],
    ['probe host --live-timeout 5s', ['example.test', '--live-timeout', '5s'], /--live-timeout 5s: expected a whole number/],
    ['probe host --live-max-bytes 10', ['example.test', '--live-max-bytes', '10'], /--live-max-bytes 10: expected 1024 to/],
    [
      'probe host --server tomcat',
      ['example.test', '--server', 'tomcat'],
      /--server tomcat: expected nginx, apache, haproxy, caddy, lighttpd, .*, proftpd or stunnel$/m,
    ],
    ['probe host --key-types ecdsa', ['example.test', '--key-types', 'ecdsa'], /--key-types ecdsa: expected all or default/],
    ['probe inspect (no file)', ['inspect'], /inspect needs a response file/],
    ['probe inspect /nonexistent.der', ['inspect', '/nonexistent.der'], /cannot read response file \/nonexistent.der: no such file/],
    [
      'probe inspect good.der --issuer key.pem (no certificate in it)',
      ['inspect', fixture('good'), '--issuer', path('fixtures/keys/root.pem')],
      /--issuer .*root.pem holds no certificate/,
    ],
  ];
  for (const [name, args, message] of cases) {
    it(name, async () => {
      const r = await run(args);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(2);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).toBe('');
    });
  }
});

describe('probe against a local stapling server', () => {
  let server: StaplingServer;
  let responder: Responder;
  let caFile: string;
  beforeAll(async () => {
    const port = await freePort();
    const pki = await createPki({ ocspUrl: `http://127.0.0.1:${port}/ocsp` });
    responder = await startResponder({ issuer: pki.intermediate, statuses: new Map([['1001', { status: 'good' }]]), port });
    server = await startStaplingServer({ cert: pki.leafRsa, chain: [pki.intermediate], staple: await makeStaple(pki, 'expired', { now: new Date() }) });
    caFile = join(mkdtempSync(join(tmpdir(), 'staple-probe-cli-')), 'root.pem');
    writeFileSync(caFile, pki.root.pem);
  });
  afterAll(async () => {
    await server.close();
    await responder.close();
  });

  it('probe 127.0.0.1:PORT --ca-file root.pem -> exit 2, verdict first, the live answer shown', async () => {
    const r = await run([server.target, '--attempts', '1', '--ca-file', caFile]);
    expect(r.code).toBe(2);
    expect(r.stdout.split('\n')[0]).toMatch(/^OCSP stapling CRITICAL: the staple expired/);
    expect(r.stdout).toMatch(/│ 127\.0\.0\.1 +│ TLS 1\.2 stapled · TLS 1\.3 stapled +│/);
    expect(r.stdout).toMatch(new RegExp(`│ live answer +│ good · nextUpdate in 7\\.0d · GET ${responder.url} · `));
    expect(r.stdout).toContain('COMPARE_STAPLE_STALE');
  });

  it('probe 127.0.0.1:PORT (no --ca-file): the untrusted chain is reported next to the stapling verdict', async () => {
    const r = await run([server.target, '--attempts', '1', '--no-live', '--json']);
    const json = JSON.parse(r.stdout);
    expect(json.findings.map((f: { code: string }) => f.code).sort()).toEqual(['CERT_UNTRUSTED', 'STAPLE_EXPIRED']);
    expect(json.staplingVerdict).toBe('critical');
  });

  it('probe 127.0.0.1:PORT --no-live: no request reaches the responder', async () => {
    const before = responder.requests();
    const r = await run([server.target, '--attempts', '1', '--ca-file', caFile, '--no-live', '--json']);
    expect(responder.requests()).toBe(before);
    expect(JSON.parse(r.stdout).targets[0].live).toEqual([]);
  });

  it('probe 127.0.0.1:PORT 127.0.0.1:1 --json -> one report, worst verdict, findings from both targets', async () => {
    const r = await run([server.target, '127.0.0.1:1', '--attempts', '1', '--ca-file', caFile, '--json']);
    const json = JSON.parse(r.stdout);
    expect(r.code).toBe(2);
    expect(json.targets).toHaveLength(2);
    expect(json.findings.map((f: { code: string }) => f.code).sort()).toEqual(['COMPARE_STAPLE_STALE', 'STAPLE_EXPIRED', 'TLS_CONNECT_FAILED']);
  });

  it("probe 127.0.0.1:PORT --key-types default: Node's hello alone; without the flag RSA-only and ECDSA-only offers too", async () => {
    const offersOf = async (args: string[]) => {
      const json = JSON.parse((await run([server.target, '--attempts', '1', '--ca-file', caFile, '--no-live', '--json', ...args])).stdout);
      return new Set(json.targets[0].addresses.flatMap((a: { attempts: { offer: string }[] }) => a.attempts.map((x) => x.offer)));
    };
    expect(await offersOf(['--key-types', 'default'])).toEqual(new Set(['default']));
    expect(await offersOf([])).toEqual(new Set(['default', 'rsa', 'ecdsa']));
  });

  it('probe staple.test:PORT --address 127.0.0.1 connects there and sends SNI staple.test', async () => {
    const r = await run([`staple.test:${server.port}`, '--address', '127.0.0.1', '--attempts', '1', '--ca-file', caFile, '--json']);
    const json = JSON.parse(r.stdout);
    expect(json.targets[0].target.servername).toBe('staple.test');
    expect(json.targets[0].addresses.map((a: { address: string }) => a.address)).toEqual(['127.0.0.1']);
    expect(r.code).toBe(2);
  });

  it('probe -f targets.txt --format jsonl: one report per line as each target finishes', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'staple-probe-targets-')), 'targets.txt');
    writeFileSync(file, `# local test targets\n${server.target} localhost\n\n127.0.0.1:1   # nothing listens here\n`);
    const r = await run(['-f', file, '--attempts', '1', '--ca-file', caFile, '--format', 'jsonl']);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    const seen = lines.map((l: { targets: { target: { input: string } }[] }) => l.targets[0]?.target as { input: string });
    expect(seen.sort((a: { input: string }, b: { input: string }) => a.input.localeCompare(b.input))).toEqual([
      { input: '127.0.0.1:1', host: '127.0.0.1', port: 1, servername: null },
      { input: server.target, host: '127.0.0.1', port: server.port, servername: 'localhost' },
    ]);
    // The worst over all targets: critical (the expired staple) outranks unknown (nothing listening).
    expect(r.code).toBe(2);
  });

  it('probe -f - reads targets from standard input; several targets give a summary table', async () => {
    const r = await run(['-f', '-', '--attempts', '1', '--ca-file', caFile, '--concurrency', '2'], {
      readFile: (p) => (p === '-' ? new TextEncoder().encode(`${server.target}\n127.0.0.1:1\n`) : new Uint8Array(readFileSync(p))),
    });
    expect(r.stdout).toMatch(/Target.*Verdict.*Stapling.*Worst finding/);
    expect(r.stdout).toContain('2 targets: 0 OK, 0 WARNING, 1 CRITICAL, 1 UNKNOWN');
    expect(r.code).toBe(2);
  });

  it('probe 127.0.0.1:1 127.0.0.1:PORT: the summary is worst first (critical before unknown), whatever the input order', async () => {
    const r = await run(['127.0.0.1:1', server.target, '--attempts', '1', '--ca-file', caFile]);
    // The first cell of each row (the finding's message may name the address again, on its own line).
    const rows = r.stdout.split('\n').filter((l) => /^│ 127\.0\.0\.1:\d+ /.test(l));
    expect(rows.map((l) => /127\.0\.0\.1:\d+/.exec(l)?.[0])).toEqual([server.target, '127.0.0.1:1']);
    expect(rows[0]).toContain('CRITICAL');
  });

  it('the progress bar names the targets still running', async () => {
    const tty = await run([server.target, '127.0.0.1:1', '--attempts', '1', '--ca-file', caFile], { stderrIsTty: true });
    expect(tty.stderr).toContain(`0/2 probed · running: ${server.target}, 127.0.0.1:1`);
  });

  it('progressBar cuts the list of running targets to the width', () => {
    const names = Array.from({ length: 30 }, (_, i) => `host-${i}.example.test`);
    const line = progressBar(25, 27, names, 120).replace(/^\r/, '').replace('\u001b[K', '');
    expect(line.length).toBe(119);
    expect(line).toMatch(/^\[=+ *\] 25\/27 probed · running: host-0\.example\.test, host-1\.example\.test, .*…$/);
  });

  it('a progress bar goes to stderr only when it is a terminal', async () => {
    const tty = await run([server.target, '127.0.0.1:1', '--attempts', '1', '--ca-file', caFile], { stderrIsTty: true });
    expect(tty.stderr).toContain('2/2 probed');
    const pipe = await run([server.target, '127.0.0.1:1', '--attempts', '1', '--ca-file', caFile]);
    expect(pipe.stderr).toBe('');
  });

  it('probe --format nagios -w 3 -c 1: one status line with perfdata and thresholds in seconds', async () => {
    const r = await run([server.target, '--attempts', '1', '--ca-file', caFile, '--format', 'nagios', '-w', '3', '-c', '1']);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/^OCSP STAPLING CRITICAL - the staple expired 3\.0d ago .* \| staple_remaining=-\d+s;151200:;86400:;; /);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
  });

  it('-w must not be below -c', async () => {
    const r = await run([server.target, '-w', '1', '-c', '2']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/the critical threshold must not exceed the warning threshold/);
  });

  it('probe 127.0.0.1:1 -> exit 3 with a clear message', async () => {
    const r = await run(['127.0.0.1:1', '--attempts', '1']);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/OCSP stapling UNKNOWN: connection failed: connect ECONNREFUSED 127\.0\.0\.1:1/);
  });

  it('NO_COLOR and non-terminals get no ANSI escapes; a terminal gets colour', async () => {
    const plain = await run([server.target, '--attempts', '1', '--ca-file', caFile], { stdoutIsTty: true, env: { NO_COLOR: '1' } });
    expect(plain.stdout).not.toContain('\u001b[');
    const coloured = await run([server.target, '--attempts', '1', '--ca-file', caFile], { stdoutIsTty: true });
    expect(coloured.stdout).toContain('\u001b[31m');
  });
});

describe('the real bin', () => {
  const bin = path('packages/probe-cli/src/bin.ts');
  const node = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', bin, ...args], { cwd: path('.'), encoding: 'utf8', timeout: 60_000 });

  it('probe --help prints usage and examples, exit 0', () => {
    const r = node(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Usage:');
    expect(r.stdout).toContain('Examples:');
  });

  it('probe --tls 9 host: exit 3, one line, no stack trace', () => {
    const r = node(['example.test', '--tls', '9']);
    expect(r.status).toBe(3);
    expect(r.stderr).toBe("probe: --tls 9: expected 1.2, 1.3 or both\nTry 'probe --help'.\n");
  });

  it('probe inspect revoked.der: exit 2', () => {
    const r = node(['inspect', fixture('revoked'), '--issuer', ISSUER, '--cert', CERT, '--at', AT]);
    expect(r.status).toBe(2);
    expect(r.stdout).toContain('REVOKED');
  });
});

describe('Ctrl-C during a run over many targets', () => {
  let server: StaplingServer;
  let silent: Server;
  let silentTarget: string;
  let caFile: string;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    const pki = await createPki();
    server = await startStaplingServer({ cert: pki.leafRsa, chain: [pki.intermediate], staple: await makeStaple(pki, 'expired', { now: new Date() }) });
    caFile = join(mkdtempSync(join(tmpdir(), 'staple-probe-sigint-')), 'root.pem');
    writeFileSync(caFile, pki.root.pem);
    // Accepts and never answers: a handshake there waits for its --timeout.
    silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentTarget = `127.0.0.1:${(silent.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
    await server.close();
  });
  const args = () => [server.target, silentTarget, '--attempts', '1', '--timeout', '60000', '--no-live', '--no-crl', '--no-http', '--ca-file', caFile];

  it('the first SIGINT aborts what runs and prints the summary of what finished; the exit code is the worst', async () => {
    let interrupt: (() => void) | undefined;
    let unsubscribed = false;
    const started = Date.now();
    const r = await run(args(), {
      stderrIsTty: true,
      onInterrupt: (handler) => ((interrupt = handler), () => void (unsubscribed = true)),
      // Ctrl-C once the expired-staple server is done and the silent one still runs.
      stderr: (text) => void (text.includes('1/2 probed') && setTimeout(() => interrupt?.(), 50)),
    });
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(r.stdout).toContain(server.target);
    expect(r.stdout).toContain('1 target: 0 OK, 0 WARNING, 1 CRITICAL, 0 UNKNOWN');
    expect(r.stdout).not.toContain(silentTarget);
    expect(r.code).toBe(2);
    expect(unsubscribed).toBe(true);
  });

  it('a second SIGINT exits at once, with 130', async () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    try {
      let interrupt: (() => void) | undefined;
      await run(args(), {
        stderrIsTty: true,
        onInterrupt: (handler) => ((interrupt = handler), () => undefined),
        stderr: (text) => void (text.includes('1/2 probed') && setTimeout(() => (interrupt?.(), interrupt?.()), 50)),
      });
      expect(exit.mock.calls).toEqual([[130]]);
    } finally {
      exit.mockRestore();
    }
  });

  it('probe -f (the real bin, --format jsonl): SIGINT prints what finished and names what did not', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'staple-probe-sigint-')), 'targets.txt');
    writeFileSync(file, `${server.target}\n${silentTarget}\n${silentTarget} other.test\n`);
    const child = spawn(process.execPath, ['--import', 'tsx', path('packages/probe-cli/src/bin.ts'), '-f', file, ...args().slice(2), '--format', 'jsonl'], {
      cwd: path('.'),
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => void (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (stdout.includes('\n')) resolve();
      }),
    );
    const interruptedAt = Date.now();
    child.kill('SIGINT');
    const code = await exited;
    expect(Date.now() - interruptedAt).toBeLessThan(5_000);
    expect(JSON.parse(stdout.trim()).targets[0].target.input).toBe(server.target);
    expect(stderr).toBe(`probe: interrupted; not probed: ${silentTarget}, ${silentTarget}\n`);
    // The expired staple's critical outranks the unknown of an incomplete run.
    expect(code).toBe(2);
  });
});

describe('--scope: the exit code and the Nagios status follow all findings or the stapling verdict alone', () => {
  let good: StaplingServer;
  let expired: StaplingServer;
  beforeAll(async () => {
    const pki = await createPki();
    good = await startStaplingServer({ cert: pki.leafRsa, chain: [pki.intermediate], staple: await makeStaple(pki, 'good', { now: new Date() }) });
    expired = await startStaplingServer({ cert: pki.leafRsa, chain: [pki.intermediate], staple: await makeStaple(pki, 'expired', { now: new Date() }) });
  });
  afterAll(async () => {
    await good.close();
    await expired.close();
  });
  // A private CA without --ca-file: the chain is untrusted (critical), the staple itself is fine.
  const args = (server: StaplingServer, ...more: string[]) => [server.target, '--attempts', '1', '--no-live', '--no-crl', ...more];

  it('a certificate problem pages by default and not with --scope stapling; the finding is still reported', async () => {
    const all = await run(args(good, '--json'));
    expect(all.code).toBe(2);
    const json = JSON.parse(all.stdout);
    expect([json.verdict, json.staplingVerdict, json.scope, json.exitCode]).toEqual(['critical', 'ok', 'all', 2]);

    const stapling = await run(args(good, '--json', '--scope', 'stapling'));
    expect(stapling.code).toBe(0);
    const scoped = JSON.parse(stapling.stdout);
    expect([scoped.verdict, scoped.staplingVerdict, scoped.scope, scoped.exitCode]).toEqual(['critical', 'ok', 'stapling', 0]);
    expect(scoped.findings.map((f: { code: string }) => f.code)).toContain('CERT_UNTRUSTED');

    const nagios = await run(args(good, '--format', 'nagios', '--scope', 'stapling'));
    expect([nagios.code, nagios.stdout.slice(0, 17)]).toEqual([0, 'OCSP STAPLING OK ']);
    const nagiosAll = await run(args(good, '--format', 'nagios'));
    expect([nagiosAll.code, nagiosAll.stdout.slice(0, 23)]).toEqual([2, 'OCSP STAPLING CRITICAL ']);
  });

  it('a stapling problem still pages with --scope stapling', async () => {
    const r = await run(args(expired, '--scope', 'stapling', '--format', 'nagios'));
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/^OCSP STAPLING CRITICAL - /);
  });

  it('--scope takes only all or stapling', async () => {
    const r = await run(args(good, '--scope', 'certs'));
    expect([r.code, r.stderr]).toEqual([3, "probe: --scope certs: expected all or stapling\nTry 'probe --help'.\n"]);
  });
});
