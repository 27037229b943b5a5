/**
 * Postfix without Postfix (issue #24): Debian's Exim and Postfix packages conflict and CI installs Exim, so
 * no Postfix runs in the suites. Postfix's smtpd has no OCSP stapling as a server, so what matters is that
 * its greeting is recognised and its fix shown; the testing kit's SMTP-fronted server plays a Postfix that
 * sends no staple, with Debian's default banner (`smtpd_banner = $myhostname ESMTP $mail_name (Debian/GNU)`).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probe, type Report } from '@staple-probe/core';
import { createPki, freePort, type Responder, type StaplingServer, startResponder, startStaplingServer, type TestPki } from '@staple-probe/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixesFor } from '../../packages/probe-cli/src/render/fixes.js';
import { codes } from '../helpers.js';
import { runCli } from './run.js';

/** What Debian's Postfix says after `220 `. */
const BANNER = 'mail.example ESMTP Postfix (Debian/GNU)';

let pki: TestPki;
let responder: Responder;
let plain: StaplingServer;
let mustStaple: StaplingServer;
let dir: string;
let caFile: string;

beforeAll(async () => {
  const responderPort = await freePort();
  pki = await createPki({ ocspUrl: `http://127.0.0.1:${responderPort}/ocsp` });
  responder = await startResponder({
    issuer: pki.intermediate,
    port: responderPort,
    statuses: new Map([
      ['1001', { status: 'good' as const }],
      ['1003', { status: 'good' as const }],
    ]),
  });
  plain = await startStaplingServer({ cert: pki.leafRsa, chain: [pki.intermediate], staple: null, smtp: { banner: BANNER } });
  mustStaple = await startStaplingServer({ cert: pki.leafMustStaple, chain: [pki.intermediate], staple: null, smtp: { banner: BANNER } });
  dir = mkdtempSync(join(tmpdir(), 'staple-probe-mail-'));
  caFile = join(dir, 'root.pem');
  writeFileSync(caFile, pki.root.pem);
});

afterAll(async () => {
  await plain?.close();
  await mustStaple?.close();
  await responder?.close();
  rmSync(dir, { recursive: true, force: true });
});

const opts = () => ({ extraCerts: [pki.root.der], attempts: 1, servername: 'localhost', starttls: 'smtp' as const });

/** The fixes shown for `code`, checked to be Postfix's alone. */
function postfixFix(report: Report, code: string): string {
  const finding = report.findings.find((f) => f.code === code);
  expect(finding, JSON.stringify(report.findings)).toBeDefined();
  const fixes = finding ? fixesFor(finding, report) : [];
  expect(fixes.map((f) => f.server)).toEqual(['postfix']);
  return fixes[0]?.text ?? '';
}

describe('Postfix, detected from its SMTP greeting (a scripted server: Postfix itself is not run)', () => {
  it('no staple -> STAPLE_MISSING (warn); server postfix from the banner; the fix says Postfix cannot staple', async () => {
    const report = await probe(plain.target, opts());
    expect(codes(report)).toEqual(['STAPLE_MISSING']);
    expect(report.verdict).toBe('warn');
    expect(report.targets[0]?.server).toEqual({ name: 'postfix', header: BANNER, source: 'banner' });
    expect(report.server).toBe('postfix');
    const fix = postfixFix(report, 'STAPLE_MISSING');
    expect(fix).toMatch(/^Postfix cannot staple/);
  });

  it('a must-staple certificate -> STAPLE_MISSING_MUST_STAPLE (critical); the fix says what to do when must-staple matters', async () => {
    const report = await probe(mustStaple.target, opts());
    expect(codes(report)).toEqual(['CERT_MUST_STAPLE', 'STAPLE_MISSING_MUST_STAPLE']);
    expect(report.verdict).toBe('critical');
    expect(report.server).toBe('postfix');
    const fix = postfixFix(report, 'STAPLE_MISSING_MUST_STAPLE');
    expect(fix).toMatch(/^Postfix cannot staple/);
    expect(fix).toMatch(/STARTTLS ports \(25, 587\) use a certificate without must-staple/);
    expect(fix).toMatch(/smtpd_upstream_proxy_protocol=haproxy/);
  });

  it('probe --starttls smtp: the table names Postfix from its greeting and prints its fix', async () => {
    const r = await runCli([mustStaple.target, '--servername', 'localhost', '--ca-file', caFile, '--attempts', '1', '--starttls', 'smtp']);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stdout).toMatch(/│ server +│ Postfix \(SMTP greeting: mail\.example ESMTP Postfix \(Debian\/GNU\)\)/);
    // The compact fix: the first sentence, without its asides.
    expect(r.stdout.replace(/\n +/g, ' ')).toContain(
      'Postfix: Postfix cannot staple: on its STARTTLS ports use a certificate without must-staple; for implicit TLS, put HAProxy in front, which staples.',
    );
  });
});
