/**
 * Child of the bench (plain JS over the built package): judge one CRL file for one certificate as the probe
 * does (read the bytes, frame the CRL, verify its signature over tbsCertList, walk every entry for the
 * serial), then print the status and the peak RSS. Args: crlFile issuerDerFile leafDerFile.
 */
import { readFileSync } from 'node:fs';
import { parseCertificate } from '../packages/probe-core/dist/core/certificate.js';
import { judgeCrlBytes } from '../packages/probe-core/dist/index.js';

const [crlFile = '', issuerFile = '', leafFile = ''] = process.argv.slice(2);
// A Buffer is a Uint8Array: used as read, not copied (the probe keeps a downloaded CRL in one buffer too).
const bytes = readFileSync(crlFile);
const judged = await judgeCrlBytes(bytes, {
  leaf: parseCertificate(new Uint8Array(readFileSync(leafFile))),
  issuer: parseCertificate(new Uint8Array(readFileSync(issuerFile))),
  url: null,
  now: Date.now(),
  skewMs: 300_000,
  warnRemainingMs: 0,
  critRemainingMs: 0,
});
process.stdout.write(`${JSON.stringify({ status: judged.status, entries: judged.entries, problems: judged.problems.map((p) => p.code) })}\n`);
if (judged.status !== 'not-listed') process.exitCode = 1;
