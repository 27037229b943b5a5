/**
 * Child of the bench (plain JS over the built package, so no TypeScript loader inflates the RSS): probe `count`
 * endpoints (one TLS 1.3 handshake each, live query shared) with the library at a fixed concurrency, then print
 * the peak RSS. Endpoint i is the target with SNI name i modulo the list. Args: target rootPemFile count
 * concurrency names (comma-separated; default localhost) warmup (probes of the same names before the timed run,
 * with its cache and verifier, so that every certificate, staple and live answer is already known: the
 * per-probe cost alone; the verification counts printed then include the warm-up; default 0).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { assess, collect, createCollectCache, parseTarget, probe, readCertificates, SignatureVerifier } from '../packages/probe-core/dist/index.js';
import { peakRssKiB } from './peak-rss.mjs';
import { pool } from './pool.mjs';

const [target = '', rootFile = '', countText = '100', concurrencyText = '32', namesText = 'localhost', warmupText = '0'] = process.argv.slice(2);
const count = Number(countText);
const concurrency = Number(concurrencyText);
const names = namesText.split(',');
const extraCerts = readCertificates(new Uint8Array(readFileSync(rootFile)));
// WebCrypto's verify, counted per signed object (the bytes signed): which objects were checked, how often.
const signed = new Map();
const subtle = globalThis.crypto.subtle;
const countingSubtle = {
  importKey: (...args) => subtle.importKey(...args),
  verify: (alg, key, signature, data) => {
    const bytes = new Uint8Array(data);
    const hash = createHash('sha256').update(bytes).digest('hex');
    const entry = signed.get(hash) ?? { bytes, count: 0 };
    entry.count++;
    signed.set(hash, entry);
    return subtle.verify(alg, key, signature, data);
  },
};
const cache = createCollectCache();
const verifier = new SignatureVerifier(countingSubtle);
const staples = new Map();
// One handshake per probe, as the raw loops make: Node's hello only, without the RSA and ECDSA offers.
const options = { tlsVersions: ['1.3'], attempts: 1, keyTypes: 'default', httpHead: false, extraCerts, cache, verifier };
if (Number(warmupText) > 0) {
  await pool(Number(warmupText), concurrency, async (i) => {
    await probe(target, { ...options, servername: names[i % names.length] });
  });
}
let ok = 0;
const started = performance.now();
const cpu = process.cpuUsage();
await pool(count, concurrency, async (i) => {
  // What probe() does (parseTarget, collect, assess), with the evidence kept to see the staples' bytes.
  const evidence = await collect(parseTarget(target, { servername: names[i % names.length] }), options);
  const report = await assess(evidence, { ...options, now: new Date() });
  for (const address of evidence.addresses) {
    for (const { outcome } of address.attempts) if (outcome.ok && outcome.staple) staples.set(Buffer.from(outcome.staple).toString('base64'), outcome.staple);
  }
  if (report.verdict === 'ok') ok++;
});
const seconds = (performance.now() - started) / 1000;
const used = process.cpuUsage(cpu);
const cpuMsPerProbe = (used.user + used.system) / 1000 / count;
// A staple's signature covers its tbsResponseData, which the staple holds verbatim.
const stapleBytes = [...staples.values()].map((s) => Buffer.from(s));
let stapleVerifications = 0;
for (const { bytes, count: n } of signed.values()) if (stapleBytes.some((s) => s.includes(bytes))) stapleVerifications += n;
const maxPerObject = Math.max(0, ...[...signed.values()].map((e) => e.count));
process.stdout.write(
  `${JSON.stringify({ count, ok, seconds, maxRssMiB: peakRssKiB() / 1024, verifications: verifier.verifications, signedObjects: signed.size, maxVerificationsPerObject: maxPerObject, distinctStaples: staples.size, stapleVerifications, cpuMsPerProbe, names: Math.min(names.length, count) })}\n`,
);
