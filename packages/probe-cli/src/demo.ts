import { assess, collect, createCollectCache, parseTarget, type Verdict } from '@staple-probe/core';
import {
  createPki,
  freePort,
  fetchFromResponder,
  makeStaple,
  requestFor,
  type StapleScenario,
  type StaplingServer,
  startResponder,
  startStaplingServer,
} from '@staple-probe/core/testing';
import Table from 'cli-table3';
import type { Io } from './cli.js';
import { exitCodeOf } from './exit-code.js';
import { headline, renderTable } from './render/table.js';

interface Case {
  readonly title: string;
  readonly expect: Verdict;
  readonly staple: StapleScenario | 'live' | 'none';
  /** Serve this leaf instead of the RSA one. */
  readonly leaf?: 'mustStaple' | 'ecdsa';
}

const CASES: readonly Case[] = [
  { title: 'lazy server fetching from the local responder (like nginx)', expect: 'ok', staple: 'live' },
  { title: 'stale ssl_stapling_file: expired response', expect: 'critical', staple: 'expired' },
  { title: 'revoked certificate', expect: 'critical', staple: 'revoked' },
  { title: 'stale "good" staple; the CA now says revoked', expect: 'critical', staple: 'good', leaf: 'ecdsa' },
  { title: 'response for another certificate', expect: 'critical', staple: 'wrong-cert' },
  { title: 'response with a broken signature', expect: 'critical', staple: 'bad-signature' },
  { title: 'tryLater error response stapled as is', expect: 'critical', staple: 'try-later' },
  { title: 'stapling off', expect: 'warn', staple: 'none' },
  { title: 'stapling off, must-staple certificate', expect: 'critical', staple: 'none', leaf: 'mustStaple' },
];

/**
 * `probe demo`: a throwaway PKI, an OCSP responder and one Node TLS server per case, all in this process
 * on 127.0.0.1, each probed and reported. Exit 0 when every case got its expected verdict.
 */
export async function runDemo(args: readonly string[], io: Io): Promise<number> {
  const color = !args.includes('--no-color') && io.stdoutIsTty && !io.env.NO_COLOR;
  const width = Math.max(60, Math.min(io.columns ?? 100, 160));
  const now = new Date();
  io.stderr('demo: making a throwaway PKI and starting the responder and servers on 127.0.0.1 ...\n');

  // The responder's port goes into the certificates, so reserve it before issuing them.
  const statuses = new Map<string, { status: 'good' | 'revoked'; revokedAt?: Date; reason?: 'keyCompromise' }>();
  const port = await freePort();
  const pki = await createPki({ ocspUrl: `http://127.0.0.1:${port}/ocsp`, names: ['localhost', 'demo.staple.test'] });
  statuses.set('1001', { status: 'good' });
  statuses.set('1002', { status: 'revoked', revokedAt: new Date(Math.floor(now.getTime() / 1000) * 1000 - 3_600_000), reason: 'keyCompromise' });
  statuses.set('1003', { status: 'good' });
  const responder = await startResponder({ issuer: pki.intermediate, statuses, port });

  const servers: StaplingServer[] = [];
  const cache = createCollectCache();
  const rows: string[][] = [];
  let allAsExpected = true;
  try {
    for (const [i, c] of CASES.entries()) {
      const leaf = c.leaf === 'mustStaple' ? pki.leafMustStaple : c.leaf === 'ecdsa' ? pki.leafEcdsa : pki.leafRsa;
      const staple =
        c.staple === 'none'
          ? null
          : c.staple === 'live'
            ? () => fetchFromResponder(responder.url, requestFor(leaf, pki.intermediate))
            : await makeStaple(pki, c.staple, { now, leaf });
      const server = await startStaplingServer({ cert: leaf, chain: [pki.intermediate], staple, lazyHandshakes: c.staple === 'live' ? 1 : 0 });
      servers.push(server);
      const target = parseTarget(server.target, { servername: 'localhost' });
      // The throwaway root is trusted for the demo, as --ca-file would make it.
      const evidence = await collect(target, { attempts: 2, retryDelayMs: 100, timeoutMs: 5000, extraCerts: [pki.root.der], cache });
      const report = await assess(evidence, { now: new Date() });
      io.stdout(`\n=== Demo ${i + 1}/${CASES.length}: ${c.title} (expect ${c.expect.toUpperCase()}) ===\n`);
      io.stdout(renderTable(report, { width, color }));
      const ok = report.verdict === c.expect;
      allAsExpected &&= ok;
      rows.push([c.title, c.expect, report.verdict, String(exitCodeOf(report.verdict)), ok ? 'yes' : 'NO', headline(report)]);
    }
  } finally {
    await Promise.all(servers.map((s) => s.close()));
    await responder.close();
  }
  const summary = new Table({
    head: ['Case', 'Expected', 'Verdict', 'Exit', 'As expected', 'Diagnosis'],
    colWidths: [28, 10, 10, 6, 9, Math.max(20, width - 28 - 10 - 10 - 6 - 9 - 7)],
    wordWrap: true,
    style: { head: color ? ['bold'] : [], border: [] },
  });
  summary.push(...rows);
  const requests = responder.requests();
  io.stdout(`\n=== Summary: ${requests} ${requests === 1 ? 'request' : 'requests'} reached the local OCSP responder ===\n${summary.toString()}\n`);
  io.stdout(allAsExpected ? 'Every case got its expected verdict.\n' : 'Some cases did NOT get their expected verdict.\n');
  return allAsExpected ? 0 : 1;
}
