// Makes packages/probe-cli/dist/bundle/probe.cjs.<V8 version>.cache, the shipped code cache: loads the
// bundle the way bin.cjs does, runs the CLI on sample work (inspect in every output format, and probes of a
// local stapling server with its OCSP responder, both on loopback), then saves V8's code cache, which then
// holds every function that work compiled. Run by scripts/bundle.mjs after the bundle is built.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPki, freePort, makeStaple, startResponder, startStaplingServer } from '../packages/probe-core/dist/testing/index.js';

const require = createRequire(import.meta.url);
const bundleDir = new URL('../packages/probe-cli/dist/bundle/', import.meta.url).pathname;
const fixtures = new URL('../fixtures/', import.meta.url).pathname;
// Compiled from the source alone: no cache of the user's (bin.cjs's own cache directory) is read.
process.env.STAPLE_PROBE_CACHE_DIR = '';
const { load } = require(join(bundleDir, 'bin.cjs'));
const { exports: cli, script } = load();
const quiet = { ...cli.processIo(), stdout: () => {}, stderr: () => {}, stdoutIsTty: false, stderrIsTty: false };
const run = (argv) => cli.main(argv, quiet);

const inspect = ['inspect', `${fixtures}ocsp/good.der`, '--issuer', `${fixtures}pki/intermediate.pem`, '--cert', `${fixtures}pki/leaf-rsa.pem`, '--at', '2026-01-15T12:00:00Z'];
for (const format of ['table', 'json', 'nagios']) await run([...inspect, '--format', format]);
await run(['--help']);

const responderPort = await freePort();
const pki = await createPki({ ocspUrl: `http://127.0.0.1:${responderPort}/ocsp` });
const responder = await startResponder({ issuer: pki.intermediate, port: responderPort, statuses: new Map([['1001', { status: 'good' }]]) });
const server = await startStaplingServer({ cert: pki.leafRsa, chain: [pki.intermediate], staple: await makeStaple(pki, 'good', { now: new Date() }) });
const dir = mkdtempSync(join(tmpdir(), 'staple-probe-cache-'));
try {
  writeFileSync(join(dir, 'root.pem'), pki.root.pem);
  const probe = [server.target, '--ca-file', join(dir, 'root.pem'), '--servername', 'localhost', '--attempts', '1'];
  for (const format of ['table', 'json', 'nagios']) await run([...probe, '--format', format]);
} finally {
  await server.close();
  await responder.close();
  rmSync(dir, { recursive: true, force: true });
}
// bin.cjs uses it only on this V8 version (on any other it makes the machine's own).
writeFileSync(join(bundleDir, `probe.cjs.${process.versions.v8}.cache`), script.createCachedData());
