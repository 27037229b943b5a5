'use strict';
// The bench's floor for a cold probe: the least a Node 20 program can do and still answer what the probe
// answers first. One TLS 1.3 handshake with status_request, validating the chain against the same trust as
// the probe (Node's bundled roots plus the --ca-file root, added the same cheap way), the served chain read
// with getPeerCertificate(true) (the one leak-free way on Node 20), then one OCSP POST of a request built
// ahead by the bench. Nothing is decoded, verified or rendered. Its cold wall time against `node -e 0` is the
// part of the goal no prober written for Node 20 can get under. Exits 0 only when the handshake validated,
// carried a staple and the responder answered, so a broken floor is not measured as a fast one.
// Args: port servername caFile requestFile responderUrl
const tls = require('node:tls');
const http = require('node:http');
const { readFileSync } = require('node:fs');

const [port, servername, caFile, requestFile, responderUrl] = process.argv.slice(2);
const context = tls.createSecureContext({ minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' });
context.context.addCACert(readFileSync(caFile, 'latin1'));
const fail = (why) => {
  process.stderr.write(`floor prober: ${why}\n`);
  process.exit(1);
};
const socket = tls.connect({ host: '127.0.0.1', port: Number(port), servername, requestOCSP: true, rejectUnauthorized: false, secureContext: context, checkServerIdentity: () => undefined });
let staple = null;
socket.on('OCSPResponse', (response) => {
  staple = response;
});
socket.once('error', (error) => fail(error.message));
socket.once('secureConnect', () => {
  const chain = [];
  for (let cert = socket.getPeerCertificate(true); cert?.raw && !chain.includes(cert); cert = cert.issuerCertificate) chain.push(cert);
  const authorized = socket.authorized;
  socket.destroy();
  if (!authorized || !staple || chain.length === 0) fail(`authorized ${authorized}, staple ${staple?.length ?? 0} bytes, chain ${chain.length}`);
  const body = readFileSync(requestFile);
  const request = http.request(responderUrl, { method: 'POST', headers: { 'content-type': 'application/ocsp-request', 'content-length': body.length } }, (response) => {
    let bytes = 0;
    response.on('data', (chunk) => {
      bytes += chunk.length;
    });
    response.on('end', () => {
      if (response.statusCode !== 200 || bytes === 0) fail(`responder answered HTTP ${response.statusCode}, ${bytes} bytes`);
    });
  });
  request.on('error', (error) => fail(error.message));
  request.end(body);
});
