/**
 * The given issuer may be a file of several certificates (issue #23 item 7): a full chain, leaf first, as
 * certbot writes `fullchain.pem`, or `chain.pem`. The certificate that signed the leaf is used; the others are
 * no mistake. A file with none that signed it still gives CERT_ISSUER_MISMATCH.
 */
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { assess, inspect } from '@staple-probe/core';
import { createPki, issue, makeStaple, type TestPki } from '@staple-probe/core/testing';
import { type Cert, parseCertificate } from '../../packages/probe-core/src/core/certificate.js';
import { decodeOcspResponse } from '../../packages/probe-core/src/core/decode.js';
import { issuerForResponse } from '../../packages/probe-core/src/core/issuer.js';
import { argsOf, codes, evidence } from '../helpers.js';

const NOW = new Date('2026-03-01T12:00:00Z');
let pki: TestPki;
let good: Uint8Array;

beforeAll(async () => {
  pki = await createPki({ notBefore: new Date(NOW.getTime() - 30 * 86_400_000) });
  good = await makeStaple(pki, 'good', { now: NOW });
});

/** A probe's evidence: the server sends `served` after the leaf; `--issuer` held `issuer`. */
const probeWith = (issuer: readonly Uint8Array[], served = [pki.intermediate]) =>
  assess({ ...evidence([{ v: '1.2', staple: good }], { leaf: pki.leafRsa, chain: served }), issuer }, { now: NOW });

describe('probe: --issuer with several certificates', () => {
  it('a full chain, leaf first: the intermediate is the issuer, from --issuer, and nothing is wrong', async () => {
    // The server sends the leaf alone: only --issuer can have the issuer.
    const report = await probeWith([pki.leafRsa.der, pki.intermediate.der, pki.root.der], []);
    expect(report.findings).toEqual([]);
    expect(report.targets[0]?.issuerSource).toBe('given');
    expect(report.targets[0]?.issuer?.sha256).toBe(createHash('sha256').update(pki.intermediate.der).digest('hex'));
  });

  it('a chain file (intermediate, root), with the server sending the intermediate too', async () => {
    const report = await probeWith([pki.intermediate.der, pki.root.der]);
    expect(report.findings).toEqual([]);
    expect(report.targets[0]?.issuerSource).toBe('given');
  });

  it('a file with no certificate that signed the leaf: CERT_ISSUER_MISMATCH names one that is not the leaf', async () => {
    const report = await probeWith([pki.leafRsa.der, pki.foreignCa.der]);
    expect(codes(report)).toEqual(['CERT_ISSUER_MISMATCH']);
    const args = argsOf(report.findings[0], 'CERT_ISSUER_MISMATCH');
    expect(args?.source).toBe('given');
    expect(args?.issuer).toBe(await subjectAsReported(pki.foreignCa.der));
    // The served chain still has the issuer, so the staple is judged against it.
    expect(report.targets[0]?.issuerSource).toBe('served');
  });

  it('of several that did not sign it, the one bearing the leaf issuer name is named (a re-keyed CA)', async () => {
    const twin = await issue({
      subject: pki.intermediate.cert.subject,
      serial: '71',
      ca: true,
      notBefore: new Date(NOW.getTime() - 86_400_000),
      notAfter: new Date(NOW.getTime() + 86_400_000),
    });
    const report = await probeWith([pki.foreignCa.der, twin.der], []);
    expect(codes(report)).toEqual(['CERT_ISSUER_MISMATCH', 'SIGNER_NOT_CHECKED', 'STAPLE_CERTID_NOT_CHECKED']);
    const mismatch = report.findings.find((f) => f.code === 'CERT_ISSUER_MISMATCH');
    expect(argsOf(mismatch, 'CERT_ISSUER_MISMATCH')?.issuer).toBe(await subjectAsReported(twin.der));
  });

  it('a file holding only the leaf itself: CERT_ISSUER_MISMATCH names the leaf', async () => {
    const report = await probeWith([pki.leafRsa.der]);
    expect(codes(report)).toEqual(['CERT_ISSUER_MISMATCH']);
    expect(argsOf(report.findings[0], 'CERT_ISSUER_MISMATCH')?.issuer).toBe(await subjectAsReported(pki.leafRsa.der));
  });
});

/** The subject of a certificate as reports write it: the leaf summary of a report whose server sent it. */
async function subjectAsReported(der: Uint8Array): Promise<string> {
  const report = await assess({ ...evidence([{ v: '1.2', staple: null }], { leaf: { ...pki.leafRsa, der } }), issuer: null }, { now: NOW });
  return report.targets[0]?.leaf?.subject ?? '';
}

describe('inspect: --issuer with several certificates', () => {
  const judge = (issuer: readonly Uint8Array[] | Uint8Array | null, cert: Uint8Array | null = pki.leafRsa.der) => inspect(good, { issuer, cert, now: NOW });

  it('with --cert: a full chain (leaf first) or a chain file judges as the intermediate alone: nothing wrong', async () => {
    expect((await judge(pki.intermediate.der)).findings).toEqual([]);
    expect((await judge([pki.leafRsa.der, pki.intermediate.der, pki.root.der])).findings).toEqual([]);
    expect((await judge([pki.intermediate.der, pki.root.der])).findings).toEqual([]);
  });

  it('with --cert and no certificate that signed it: CERT_ISSUER_MISMATCH, the signature not checked', async () => {
    const report = await judge([pki.leafRsa.der, pki.foreignCa.der]);
    expect(codes(report)).toEqual(['CERT_ISSUER_MISMATCH', 'SIGNER_NOT_CHECKED', 'STAPLE_CERTID_NOT_CHECKED']);
    expect(codes(report)).toEqual(codes(await judge(pki.foreignCa.der)));
    expect(argsOf(report.findings[0], 'CERT_ISSUER_MISMATCH')?.source).toBe('given');
  });

  it('without --cert: the certificate whose hashes match the CertID is the issuer, wherever it is in the file', async () => {
    const alone = codes(await judge(pki.intermediate.der, null));
    expect(alone).toEqual(['STAPLE_CERTID_NOT_CHECKED']);
    // The root comes first and is a CA too: only the CertID tells the intermediate.
    expect(codes(await judge([pki.root.der, pki.intermediate.der], null))).toEqual(alone);
    expect(codes(await judge([pki.leafRsa.der, pki.intermediate.der, pki.root.der], null))).toEqual(alone);
  });

  it('without --cert, when no certificate matches the CertID: the first CA certificate, else the first', async () => {
    const responses = decodeOcspResponse(good).basic?.responses ?? [];
    const [leaf, root, foreign, intermediate] = [pki.leafRsa, pki.root, pki.foreignCa, pki.intermediate].map((c) => parseCertificate(c.der)) as Cert[];
    expect(issuerForResponse([leaf, root, intermediate] as Cert[], responses)).toBe(intermediate);
    expect(issuerForResponse([leaf, root, foreign] as Cert[], responses)).toBe(root);
    expect(issuerForResponse([leaf] as Cert[], responses)).toBe(leaf);
    expect(issuerForResponse([], responses)).toBeNull();
  });
});
