/**
 * Child of the bench (plain JS over the built package, so no TypeScript loader inflates the RSS): probe `count`
 * endpoints (one TLS 1.3 handshake each, live query shared) with the library at a fixed concurrency, then print
 * the peak RSS. Endpoint i is the target with SNI name i modulo the list. Args: target rootPemFile count
 * concurrency names (comma-separated; default localhost) warmup (probes of warmupName, default localhost,
 * before the timed run, with their own cache: a long-running process such as `probe serve`; default 0).
 */
import { readFileSync } from 'node:fs';
import { createCollectCache, probe, readCertificates, SignatureVerifier } from '../packages/probe-core/dist/index.js';
import { pool } from './pool.mjs';

const [target = '', rootFile = '', countText = '100', concurrencyText = '32', namesText = 'localhost', warmupText = '0', warmupName = 'localhost'] = process.argv.slice(2);
const count = Number(countText);
const concurrency = Number(concurrencyText);
const names = namesText.split(',');
const extraCerts = readCertificates(new Uint8Array(readFileSync(rootFile)));
if (Number(warmupText) > 0) {
  // Warm the code, not the caches: the timed run gets a cache and a verifier of its own.
  const warmCache = createCollectCache();
  const warmVerifier = new SignatureVerifier();
  await pool(Number(warmupText), concurrency, async () => {
    await probe(target, { tlsVersions: ['1.3'], attempts: 1, httpHead: false, extraCerts, cache: warmCache, verifier: warmVerifier, servername: warmupName });
  });
}
const cache = createCollectCache();
const verifier = new SignatureVerifier();
let ok = 0;
const started = performance.now();
await pool(count, concurrency, async (i) => {
  const report = await probe(target, { tlsVersions: ['1.3'], attempts: 1, httpHead: false, extraCerts, cache, verifier, servername: names[i % names.length] });
  if (report.verdict === 'ok') ok++;
});
const seconds = (performance.now() - started) / 1000;
process.stdout.write(`${JSON.stringify({ count, ok, seconds, maxRssMiB: process.resourceUsage().maxRSS / 1024, verifications: verifier.verifications, names: Math.min(names.length, count) })}\n`);
