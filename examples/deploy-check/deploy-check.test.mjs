// A deploy-pipeline check: "our edge staples a fresh, valid OCSP response on every address".
// Point it at your hosts with STAPLE_TARGETS="www.example.com:443,api.example.com:443"; without it, the test
// starts a local stapling server from the testing kit as a stand-in (so it runs anywhere, offline).
import { probe } from '@staple-probe/core';
import { installStapleMatchers } from '@staple-probe/core/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

installStapleMatchers();

let targets = (process.env.STAPLE_TARGETS ?? '').split(',').filter(Boolean);
let options = {};
let cleanup = async () => {};

beforeAll(async () => {
  if (targets.length > 0) return;
  const { createPki, freePort, makeStaple, startResponder, startStaplingServer } = await import('@staple-probe/core/testing');
  const port = await freePort();
  const pki = await createPki({ ocspUrl: `http://127.0.0.1:${port}/ocsp` });
  const responder = await startResponder({ issuer: pki.intermediate, port, statuses: new Map([['1001', { status: 'good' }]]) });
  const server = await startStaplingServer({ cert: pki.leafRsa, chain: [pki.intermediate], staple: await makeStaple(pki, 'good', { now: new Date() }) });
  targets = [server.target];
  options = { extraCerts: [pki.root.der], servername: 'localhost' };
  cleanup = async () => {
    await server.close();
    await responder.close();
  };
}, 30_000);

afterAll(() => cleanup());

describe('OCSP stapling on the edge', () => {
  it('every target staples a valid, fresh response that the CA agrees with', async () => {
    for (const target of targets) {
      const report = await probe(target, { ...options, attempts: 3 });
      expect(report).toHaveVerdict('ok');
      expect(report).not.toHaveFinding('STAPLE_MISSING');
      // Every address of the host stapled on every TLS version.
      for (const address of report.targets[0].addresses) {
        expect(address.attempts.some((a) => a.staple !== null)).toBe(true);
      }
      // More than two days of validity left.
      const next = report.staples[0]?.decoded?.basic?.responses[0]?.nextUpdate;
      expect(Date.parse(next) - Date.now()).toBeGreaterThan(2 * 86_400_000);
    }
  }, 60_000);
});
