/** The live query against a real `openssl ocsp` responder on loopback: its answers verify and are compared. */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probe, type Report } from '@staple-probe/core';
import {
  createPki,
  freePort,
  type Issued,
  issue,
  makeStaple,
  requestFor,
  type StaplingServer,
  startStaplingServer,
  type TestPki,
} from '@staple-probe/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes } from '../helpers.js';

const DAY = 86_400_000;
let pki: TestPki;
let opts: { attempts: number; retryDelayMs: number; timeoutMs: number; extraCerts: Uint8Array[] };
const servers: StaplingServer[] = [];

beforeAll(async () => {
  pki = await createPki();
  opts = { attempts: 2, retryDelayMs: 20, timeoutMs: 5000, extraCerts: [pki.root.der] };
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function serve(cert: Issued, staple: Uint8Array | null, chain: Issued[]): Promise<StaplingServer> {
  const server = await startStaplingServer({ cert, chain, staple, host: '127.0.0.1' });
  servers.push(server);
  return server;
}

function hasOpenssl(): boolean {
  return spawnSync('openssl', ['version']).status === 0;
}

describe('a real `openssl ocsp` responder', () => {
  const available = hasOpenssl();
  let child: ChildProcess | null = null;
  let dir = '';
  let good: Issued;
  let revoked: Issued;

  it('openssl is installed (required in CI)', () => {
    if (process.env.CI === 'true') expect(available).toBe(true);
  });

  beforeAll(async () => {
    if (!available) return;
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const base = {
      issuer: pki.intermediate,
      dnsNames: ['localhost'],
      ocspUrls: [url],
      notBefore: new Date(Date.now() - DAY),
      notAfter: new Date(Date.now() + 30 * DAY),
    };
    good = await issue({ ...base, subject: 'CN=localhost', serial: '1030' });
    revoked = await issue({ ...base, subject: 'CN=localhost', serial: '1031' });
    dir = mkdtempSync(join(tmpdir(), 'staple-probe-openssl-'));
    const exp = '361231235959Z';
    const revokedAt = new Date(Date.now() - DAY).toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';
    writeFileSync(join(dir, 'index.txt'), `V\t${exp}\t\t1030\tunknown\t/CN=localhost\nR\t${exp}\t${revokedAt},keyCompromise\t1031\tunknown\t/CN=localhost\n`);
    writeFileSync(join(dir, 'ca.pem'), pki.intermediate.pem);
    writeFileSync(join(dir, 'ca.key'), pki.intermediate.keyPem);
    child = spawn('openssl', ['ocsp', '-index', 'index.txt', '-port', String(port), '-rsigner', 'ca.pem', '-rkey', 'ca.key', '-CA', 'ca.pem', '-ndays', '7'], {
      cwd: dir,
      stdio: 'ignore',
    });
    // Never probe `openssl ocsp -port` with an empty connection (it busy-loops); wait with a real request.
    const request = Buffer.from(requestFor(good, pki.intermediate));
    for (let i = 0; i < 100; i++) {
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/ocsp-request' },
          body: request,
          signal: AbortSignal.timeout(1000),
        });
        if (res.status === 200) {
          await res.arrayBuffer();
          break;
        }
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  });

  afterAll(() => {
    child?.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.runIf(available)('good certificate, good staple: the openssl answer verifies and agrees', async () => {
    const server = await serve(good, await makeStaple(pki, 'good', { now: new Date(), leaf: good }), [pki.intermediate]);
    const report: Report = await probe(server.target, opts);
    expect(codes(report)).toEqual([]);
    expect(report.targets[0]?.live[0]).toMatchObject({ valid: true, certStatus: 'good' });
  });

  it.runIf(available)('revoked in the openssl index while the server staples good -> critical', async () => {
    const server = await serve(revoked, await makeStaple(pki, 'good', { now: new Date(), leaf: revoked }), [pki.intermediate]);
    const report = await probe(server.target, opts);
    expect(codes(report)).toEqual(['COMPARE_STAPLE_GOOD_LIVE_REVOKED', 'LIVE_REVOKED']);
    expect(report.findings.find((f) => f.code === 'LIVE_REVOKED')?.args).toMatchObject({ revocationReason: 'keyCompromise', serial: '1031' });
  });
});
