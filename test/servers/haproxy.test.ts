/**
 * HAProxy stapling scenarios, one `haproxy -f <cfg> -db` process with one frontend per scenario, each on its
 * own port. HAProxy before 2.8 never fetches OCSP itself: it loads `<crt>.ocsp` (DER) beside each `crt` PEM
 * at start, and takes replacements over the stats socket (`set ssl ocsp-response <base64>`).
 *
 * Measured with HAProxy 2.6.12 (Debian 2.6.12-1+deb12u4, OpenSSL 3.0):
 * - A valid `.ocsp` is stapled from the very first handshake (no lazy gap as in nginx).
 * - The issuer needed for the CertID is taken from the chain in the `crt` PEM; `<crt>.issuer` is only needed
 *   when the PEM holds the leaf alone. Without either HAProxy refuses to start (fatal, config check rc 1):
 *   `'<crt>.ocsp' is present and activates OCSP but it is impossible to compute the OCSP certificate ID
 *   (maybe the issuer could not be found)`.
 * - An expired `.ocsp` is dropped at load with a mere warning on stderr and HAProxy starts:
 *   `[WARNING] (pid) : config : Loading: OCSP single response: no longer valid.. Content will be ignored.`
 *   Nothing is stapled, but the certificate ID stays registered (`show ssl ocsp-response` lists it), so a
 *   fresh response pushed later through the stats socket is accepted and stapled without a reload.
 * - `set ssl ocsp-response <base64 DER>` answers `OCSP Response updated!` and the next handshake carries the
 *   new response; an expired payload is refused with `OCSP single response: no longer valid.` and the old
 *   response stays; undecodable bytes give `Unable to parse OCSP response.`.
 * - With the leaf alone in the PEM and the intermediate in `<crt>.issuer`, HAProxy staples but sends the leaf
 *   alone: the `.issuer` file serves the CertID only.
 * - `http-request return` responses carry no `Server` header, so the probe cannot detect HAProxy by itself.
 */
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { probe, type Report } from '@staple-probe/core';
import { createPki, freePort, type Issued, makeStaple, type Responder, startResponder, type TestPki } from '@staple-probe/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes } from '../helpers.js';
import {
  available,
  explain,
  fixText,
  identityFiles,
  scenarioOptions,
  serverLeaf,
  type StartedServer,
  startAia,
  startServer,
  template,
  workDir,
} from './harness.js';

const HAS = available('haproxy');
const MINUTE = 60_000;

let pki: TestPki;
let responder: Responder;
let haproxy: StartedServer;
let socketPath: string;
let aia: Awaited<ReturnType<typeof startAia>>;
const leaves: Record<string, Issued> = {};
const ports: Record<string, number> = {};
let opts: ReturnType<typeof scenarioOptions>;

/** Send one command to the stats socket and return HAProxy's answer (it closes after one command). */
function admin(command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let out = '';
    socket.setTimeout(5000, () => socket.destroy(new Error(`no answer to ${command.slice(0, 40)}`)));
    socket.once('connect', () => socket.write(`${command}\n`));
    socket.on('data', (d: Buffer) => {
      out += d.toString();
    });
    socket.once('end', () => resolve(out));
    socket.once('error', reject);
  });
}

const SCENARIOS = { good: '1301', expired: '1302', update: '1303', revive: '1304', alone: '1306' } as const;

const CONFIG = `global
  stats socket {{dir}}/admin.sock mode 600 level admin
defaults
  mode http
  timeout connect 2s
  timeout client 5s
  timeout server 5s
{{frontends}}
`;

/** One frontend per scenario, serving `<name>.pem` (and so its `<name>.pem.ocsp`). */
const FRONTEND = `frontend {{name}}
  bind 127.0.0.1:{{port}} ssl crt {{dir}}/{{name}}.pem
  http-request return status 200 content-type text/plain string ok`;

beforeAll(async () => {
  if (!HAS) return;
  const responderPort = await freePort();
  const url = `http://127.0.0.1:${responderPort}/ocsp`;
  pki = await createPki({ ocspUrl: url });
  responder = await startResponder({
    issuer: pki.intermediate,
    port: responderPort,
    statuses: new Map(Object.values(SCENARIOS).map((serial) => [serial, { status: 'good' as const }])),
  });

  const now = new Date();
  const files: Record<string, string | Uint8Array> = {};
  aia = await startAia(pki.intermediate);
  for (const [name, serial] of Object.entries(SCENARIOS)) {
    // `alone`: the leaf and key without the intermediate, which HAProxy then reads from `<crt>.issuer` for the
    // CertID; the leaf names an AIA URL, as CAs' leaves do.
    const alone = name === 'alone';
    const leaf = await serverLeaf(pki.intermediate, serial, url, ['localhost'], 'rsa2048', alone ? aia.url : undefined);
    leaves[name] = leaf;
    // identityFiles' `.pem`: leaf + intermediate + key in one PEM, the form `crt` wants.
    Object.assign(files, identityFiles(name, leaf, alone ? [] : [pki.intermediate]));
    if (alone) files[`${name}.pem.issuer`] = pki.intermediate.pem;
    const stale = name === 'expired' || name === 'revive';
    files[`${name}.pem.ocsp`] = await makeStaple(pki, stale ? 'expired' : 'good', { now, leaf });
  }
  haproxy = await startServer({
    kind: 'haproxy',
    ports: Object.keys(SCENARIOS).length,
    files: (dir, frontendPorts) => ({
      ...files,
      'haproxy.cfg': template(CONFIG, {
        dir,
        frontends: Object.keys(SCENARIOS)
          .map((name, i) => template(FRONTEND, { dir, name, port: frontendPorts[i] as number }))
          .join('\n'),
      }),
    }),
    command: (dir) => ({ file: 'haproxy', args: ['-f', join(dir, 'haproxy.cfg'), '-db'] }),
    // HAProxy writes no log file here (no `log` line); its warnings go to stderr, which the harness keeps.
    logFile: 'haproxy.log',
  });
  socketPath = join(haproxy.dir, 'admin.sock');
  Object.keys(SCENARIOS).forEach((name, i) => {
    ports[name] = haproxy.ports[i] as number;
  });
  opts = scenarioOptions(pki.root);
}, 60_000);

afterAll(async () => {
  aia?.close();
  await haproxy?.stop();
  await responder?.close();
});

const at = (name: string) => `127.0.0.1:${ports[name]}`;
const why = (report: Report) => explain(report, haproxy);
/** thisUpdate of every distinct staple the probe saw. */
const thisUpdates = (report: Report) => report.staples.map((s) => s.decoded?.basic?.responses[0]?.thisUpdate);
/** Whether every successful handshake of the report carried a staple. */
const everyHandshakeStapled = (report: Report) =>
  report.targets.flatMap((t) => t.addresses.flatMap((a) => a.attempts)).every((a) => !a.ok || a.staple !== null);

describe.runIf(HAS)('haproxy', () => {
  it('a valid <crt>.ocsp beside the certificate: ok, stapled from the very first handshake', async () => {
    const report = await probe(at('good'), opts);
    expect(codes(report), why(report)).toEqual([]);
    expect(report.verdict).toBe('ok');
    expect(everyHandshakeStapled(report)).toBe(true);
    expect(report.targets[0]?.leaf?.serial).toBe(SCENARIOS.good);
    // No Server header from `http-request return`: nothing to detect HAProxy by.
    expect(report.targets[0]?.server.header).toBeNull();
    expect(report.server).toBeNull();
  });

  it('an expired <crt>.ocsp: dropped at load with a warning, nothing stapled -> STAPLE_MISSING (warn), and the HAProxy fix says so', async () => {
    expect(haproxy.log()).toMatch(/Loading: OCSP single response: no longer valid\.\. Content will be ignored\./);
    const detected = await probe(at('expired'), opts);
    expect(codes(detected), why(detected)).toEqual(['STAPLE_MISSING']);
    expect(detected.verdict).toBe('warn');
    expect(detected.findings[0]?.args).toEqual({ liveResponder: 'ok' });
    expect(detected.server).toBeNull();

    const report = await probe(at('expired'), { ...opts, server: 'haproxy' });
    expect(codes(report), why(report)).toEqual(['STAPLE_MISSING']);
    expect(report.verdict).toBe('warn');
    expect(report.server).toBe('haproxy');
    expect(fixText(report, 'STAPLE_MISSING', 'haproxy')).toMatch(/expired `\.ocsp` file is dropped at load/);
  });

  it('set ssl ocsp-response over the stats socket replaces the staple at runtime; an expired payload is refused', async () => {
    const before = await probe(at('update'), opts);
    expect(codes(before), why(before)).toEqual([]);
    const [oldThisUpdate] = thisUpdates(before);
    expect(oldThisUpdate).toBeDefined();

    const fresh = await makeStaple(pki, 'good', { now: new Date(Date.now() + 10 * MINUTE), leaf: leaves.update as Issued });
    expect(await admin(`set ssl ocsp-response ${Buffer.from(fresh).toString('base64')}`)).toMatch(/OCSP Response updated!/);
    const after = await probe(at('update'), opts);
    expect(codes(after), why(after)).toEqual([]);
    expect(everyHandshakeStapled(after)).toBe(true);
    const [newThisUpdate] = thisUpdates(after);
    expect(thisUpdates(after)).toHaveLength(1);
    expect(newThisUpdate).not.toBe(oldThisUpdate);
    expect(Date.parse(newThisUpdate as string) - Date.parse(oldThisUpdate as string)).toBeGreaterThanOrEqual(9 * MINUTE);

    const expired = await makeStaple(pki, 'expired', { now: new Date(), leaf: leaves.update as Issued });
    expect(await admin(`set ssl ocsp-response ${Buffer.from(expired).toString('base64')}`)).toMatch(/OCSP single response: no longer valid/);
    const kept = await probe(at('update'), opts);
    expect(codes(kept), why(kept)).toEqual([]);
    expect(thisUpdates(kept)).toEqual([newThisUpdate]);
  });

  it('an expired <crt>.ocsp dropped at load can be replaced at runtime without a reload', async () => {
    const before = await probe(at('revive'), opts);
    expect(codes(before), why(before)).toEqual(['STAPLE_MISSING']);
    // The certificate ID stays registered although its response was dropped.
    expect(await admin('show ssl ocsp-response')).toMatch(new RegExp(`Serial Number: ${SCENARIOS.revive}`));
    const fresh = await makeStaple(pki, 'good', { now: new Date(), leaf: leaves.revive as Issued });
    expect(await admin(`set ssl ocsp-response ${Buffer.from(fresh).toString('base64')}`)).toMatch(/OCSP Response updated!/);
    const after = await probe(at('revive'), opts);
    expect(codes(after), why(after)).toEqual([]);
    expect(everyHandshakeStapled(after)).toBe(true);
  });

  it('a leaf-only crt PEM with <crt>.issuer: HAProxy staples, but serves the leaf alone -> CERT_CHAIN_INCOMPLETE (warn) with the HAProxy fix', async () => {
    const report = await probe(at('alone'), { ...opts, server: 'haproxy' });
    expect(codes(report), why(report)).toEqual(['CERT_CHAIN_INCOMPLETE']);
    expect(report.verdict).toBe('warn');
    expect(everyHandshakeStapled(report)).toBe(true);
    expect(report.targets[0]?.addresses[0]?.attempts.find((a) => a.ok)?.chain).toHaveLength(1);
    expect(fixText(report, 'CERT_CHAIN_INCOMPLETE', 'haproxy')).toMatch(/^The `crt` PEM must hold the leaf, its intermediates and the key/);
  });

  // A configuration check (`haproxy -c`, nothing started): where HAProxy finds the issuer for the CertID.
  it('a leaf-only crt PEM with a .ocsp needs <crt>.issuer: without it HAProxy refuses the configuration', async () => {
    const dir = workDir('haproxy');
    try {
      const leaf = await serverLeaf(pki.intermediate, '1305', responder.url);
      const pem = join(dir, 'alone.pem');
      writeFileSync(pem, leaf.pem + leaf.keyPem);
      writeFileSync(`${pem}.ocsp`, await makeStaple(pki, 'good', { now: new Date(), leaf }));
      const cfg = join(dir, 'check.cfg');
      writeFileSync(
        cfg,
        `defaults\n  mode http\n  timeout connect 2s\n  timeout client 5s\n  timeout server 5s\nfrontend alone\n  bind 127.0.0.1:${await freePort()} ssl crt ${pem}\n  http-request return status 200 content-type text/plain string ok\n`,
      );
      const without = spawnSync('haproxy', ['-c', '-f', cfg], { encoding: 'utf8' });
      expect(without.status).toBe(1);
      expect(without.stderr).toMatch(
        /is present and activates OCSP but it is impossible to compute the OCSP certificate ID \(maybe the issuer could not be found\)/,
      );
      writeFileSync(`${pem}.issuer`, pki.intermediate.pem);
      const withIssuer = spawnSync('haproxy', ['-c', '-f', cfg], { encoding: 'utf8' });
      expect(withIssuer.status, withIssuer.stderr).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
