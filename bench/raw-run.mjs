/**
 * Child of the bench: a raw node:tls loop in a fresh process of its own, as the library's runs are
 * (bench/rss-run.mjs), so that both start as cold. TLS 1.3 `tls.connect` with `requestOCSP`, endpoint i on SNI
 * name i modulo the list. Args: port count concurrency names (comma-separated) [rootPemFile].
 *
 * Without a root file, nothing is validated or read (the default secure context per connection): the bare
 * handshake. With one, the loop does what a client that records the chain must: one secure context trusting
 * Node's roots and that root (added to the default store, as the library does), the chain validated by
 * OpenSSL, the served chain read once with getPeerCertificate(true) (the read Node would make for its own name
 * check is skipped, as the library skips it) and the name checked on it. It exits non-zero if a handshake
 * did not validate. Prints one JSON line.
 */
import { readFileSync } from 'node:fs';
import * as tls from 'node:tls';
import { pool } from './pool.mjs';

const [portText = '0', countText = '100', concurrencyText = '16', namesText = 'localhost', rootFile] = process.argv.slice(2);
const port = Number(portText);
const count = Number(countText);
const names = namesText.split(',');
const versions = { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' };
let secureContext;
if (rootFile) {
  secureContext = tls.createSecureContext(versions);
  secureContext.context.addCACert(readFileSync(rootFile, 'latin1'));
}
const skipRead = () => ({});
const handshake = (servername) =>
  new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: '127.0.0.1',
      port,
      servername,
      rejectUnauthorized: false,
      requestOCSP: true,
      ...(secureContext ? { secureContext, checkServerIdentity: () => undefined } : versions),
    });
    if (secureContext) socket.getPeerCertificate = skipRead;
    socket.on('OCSPResponse', () => {});
    socket.once('secureConnect', () => {
      if (secureContext) {
        const chain = tls.TLSSocket.prototype.getPeerCertificate.call(socket, true);
        const nameError = tls.checkServerIdentity(servername, chain);
        if (!socket.authorized || nameError || !chain.issuerCertificate) {
          socket.destroy();
          return reject(new Error(`not validated: ${socket.authorizationError ?? nameError?.message ?? 'no chain'}`));
        }
      }
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
const started = performance.now();
const cpu = process.cpuUsage();
await pool(count, Number(concurrencyText), (i) => handshake(names[i % names.length]));
const seconds = (performance.now() - started) / 1000;
const used = process.cpuUsage(cpu);
process.stdout.write(`${JSON.stringify({ count, seconds, cpuMsPerHandshake: (used.user + used.system) / 1000 / count })}\n`);
