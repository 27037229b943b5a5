/**
 * A run judges the same response for the same certificate many times with one SignatureVerifier, and
 * core/judge.ts keeps what does not depend on the clock. These tests hold that the clock's checks are still
 * made on every judgement: a cached answer must never carry a stale "fresh" or a stale "valid now".
 */
import { inspect, SignatureVerifier } from '@staple-probe/core';
import { buildOcspResponse, createPki, EKU_OCSP_SIGNING, issue, makeStaple, type TestPki } from '@staple-probe/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { argsOf, codes } from '../helpers.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const at = (offsetMs: number) => new Date(NOW.getTime() + offsetMs);

let pki: TestPki;

beforeAll(async () => {
  pki = await createPki({ notBefore: new Date('2026-01-01T00:00:00Z') });
});

describe('one verifier across judgements: the clock is read every time', () => {
  it('a staple judged fresh, then expired, then fresh again; its signature checked once', async () => {
    const verifier = new SignatureVerifier();
    const good = await makeStaple(pki, 'good', { now: NOW });
    const judge = (now: Date) => inspect(good, { now, cert: pki.leafRsa.der, issuer: pki.intermediate.der, verifier });
    expect(codes(await judge(NOW))).toEqual([]);
    const verifications = verifier.verifications;
    expect(codes(await judge(at(8 * DAY)))).toContain('STAPLE_EXPIRED');
    expect(codes(await judge(at(5 * DAY + 12 * HOUR)))).toContain('STAPLE_EXPIRING');
    expect(codes(await judge(NOW))).toEqual([]);
    expect(verifier.verifications).toBe(verifications);
  });

  it('a delegated responder valid when the response was produced: "not valid now" only once it has lapsed', async () => {
    const verifier = new SignatureVerifier();
    const shortLived = await issue({
      issuer: pki.intermediate,
      subject: 'CN=Short-lived Responder',
      serial: '69',
      ekus: [EKU_OCSP_SIGNING],
      notBefore: at(-DAY),
      notAfter: at(DAY),
    });
    const bytes = await buildOcspResponse({
      issuer: pki.intermediate,
      signer: shortLived,
      responderId: 'name',
      producedAt: at(-HOUR),
      entries: [{ cert: pki.leafRsa, status: 'good', thisUpdate: at(-HOUR), nextUpdate: at(30 * DAY) }],
    });
    const judge = (now: Date) => inspect(bytes, { now, cert: pki.leafRsa.der, issuer: pki.intermediate.der, verifier });
    expect(codes(await judge(NOW))).toEqual([]);
    const lapsed = await judge(at(2 * DAY));
    expect(codes(lapsed)).toEqual(['SIGNER_DELEGATE_NOT_VALID']);
    expect(argsOf(lapsed.findings[0], 'SIGNER_DELEGATE_NOT_VALID')?.at).toBe('now');
    expect(codes(await judge(NOW))).toEqual([]);
  });

  it('each report gets finding arguments of its own', async () => {
    const verifier = new SignatureVerifier();
    const noNext = await buildOcspResponse({
      issuer: pki.intermediate,
      producedAt: at(-HOUR),
      entries: [{ cert: pki.leafRsa, status: 'revoked', revokedAt: at(-DAY), thisUpdate: at(-HOUR), nextUpdate: at(6 * DAY) }],
    });
    const first = await inspect(noNext, { now: NOW, cert: pki.leafRsa.der, issuer: pki.intermediate.der, verifier });
    const second = await inspect(noNext, { now: NOW, cert: pki.leafRsa.der, issuer: pki.intermediate.der, verifier });
    expect(codes(first)).toContain('STAPLE_REVOKED');
    const a = first.findings.find((f) => f.code === 'STAPLE_REVOKED');
    const b = second.findings.find((f) => f.code === 'STAPLE_REVOKED');
    expect(a?.args).toEqual(b?.args);
    expect(a?.args).not.toBe(b?.args);
  });
});
