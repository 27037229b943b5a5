/**
 * A stapling server in its own process for the bench, so that the prober and the server do not share an
 * event loop. Prints one JSON line { target, port, rootPem, responderPort } and serves until killed.
 */
import { createPki, freePort, makeStaple, startResponder, startStaplingServer } from '../packages/probe-core/src/testing/index.js';

const responderPort = await freePort();
const pki = await createPki({ ocspUrl: `http://127.0.0.1:${responderPort}/ocsp` });
const responder = await startResponder({ issuer: pki.intermediate, port: responderPort, statuses: new Map([['1001', { status: 'good' }]]) });
const server = await startStaplingServer({ cert: pki.leafRsa, chain: [pki.intermediate], staple: await makeStaple(pki, 'good', { now: new Date() }) });
process.stdout.write(`${JSON.stringify({ target: server.target, port: server.port, rootPem: pki.root.pem, intermediatePem: pki.intermediate.pem, leafPem: pki.leafRsa.pem, responderUrl: `http://127.0.0.1:${responderPort}/ocsp` })}\n`);
process.on('message', (m) => {
  if (m === 'requests') process.send?.({ requests: responder.requests() });
});
process.on('SIGTERM', () => process.exit(0));
