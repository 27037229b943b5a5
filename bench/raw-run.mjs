/**
 * Child of the bench: the raw loop (TLS 1.3 `tls.connect` + `requestOCSP`, nothing read, the default secure
 * context per connection) in a fresh process of its own, as the library's runs are (bench/rss-run.mjs), so
 * that the library can also be compared with a reference that starts as cold as it does. Endpoint i uses SNI
 * name i modulo the list. Args: port count concurrency names (comma-separated). Prints one JSON line.
 */
import * as tls from 'node:tls';
import { pool } from './pool.mjs';

const [portText = '0', countText = '100', concurrencyText = '16', namesText = 'localhost'] = process.argv.slice(2);
const port = Number(portText);
const count = Number(countText);
const names = namesText.split(',');
const handshake = (servername) =>
  new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername, minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', rejectUnauthorized: false, requestOCSP: true });
    socket.on('OCSPResponse', () => {});
    socket.once('secureConnect', () => {
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
