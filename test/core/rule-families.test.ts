/**
 * Each rule family of core/ on plain views, without assess: what it returns, and where. The end-to-end
 * behaviour of every code is in rules.test.ts; this shows each function judging its unit alone.
 */
import type { AttemptOutcome, HttpExchange, IssuerFetchEvidence, Location, Offer, TlsVersion } from '@staple-probe/core';
import { createPki, type TestPki } from '@staple-probe/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { addressDisagreements } from '../../packages/probe-core/src/core/addresses.js';
import { type Cert, parseCertificate } from '../../packages/probe-core/src/core/certificate.js';
import { chainProblems } from '../../packages/probe-core/src/core/chain.js';
import { connectionProblems, resolveProblems } from '../../packages/probe-core/src/core/connection.js';
import type { IssuerChoice } from '../../packages/probe-core/src/core/issuer.js';
import type { Judged } from '../../packages/probe-core/src/core/judge.js';
import { liveProblems } from '../../packages/probe-core/src/core/live.js';
import { missingStapleProblems, stapleSequenceOf, stapleSequenceProblems, type StapleAttempt } from '../../packages/probe-core/src/core/presence.js';
import type { Problem } from '../../packages/probe-core/src/core/problem.js';
import { trustProblems } from '../../packages/probe-core/src/core/trust.js';
import {
  type AddressCertificate,
  type AddressView,
  type AttemptView,
  addressCertificates,
  type CertificateView,
} from '../../packages/probe-core/src/core/views.js';
import { exchange } from '../helpers.js';

const TARGET: Location = { target: 'staple.test:443' };
let order = 0;
const AT: Location = { target: 'staple.test:443', address: '192.0.2.1' };

let pki: TestPki;
let leaf: Cert;
let leafMustStaple: Cert;
let leafNoOcsp: Cert;
let intermediate: Cert;

beforeAll(async () => {
  pki = await createPki({ notBefore: new Date('2026-01-01T00:00:00Z') });
  [leaf, leafMustStaple, leafNoOcsp, intermediate] = [pki.leafRsa, pki.leafMustStaple, pki.leafNoOcsp, pki.intermediate].map((i) =>
    parseCertificate(i.der),
  ) as [Cert, Cert, Cert, Cert];
});

const choice = (over: Partial<IssuerChoice> = {}): IssuerChoice => ({ issuer: intermediate, source: 'served', rejected: null, ...over });

function certificate(over: Partial<CertificateView> = {}): CertificateView {
  return { leaf, choice: choice(), live: null, issuerFetches: [], crls: [], where: TARGET, ...over };
}

/** A judged staple giving `status` for our certificate, with `problems`. */
function judged(status: 'good' | 'revoked' | 'unknown' | null, problems: Problem[] = []): Judged {
  const single = status === null ? null : ({ status } as unknown as NonNullable<Judged['single']>);
  return { decoded: null, parsed: null, problems, single, signer: null };
}

function completed(
  tlsVersion: TlsVersion,
  attempt: number,
  over: { staple?: Judged | null; cert?: CertificateView | null; authorizationError?: string; nameError?: string; offer?: Offer } = {},
): AttemptView {
  const outcome: AttemptOutcome = {
    ok: true,
    protocol: `TLSv${tlsVersion}`,
    cipher: 'TEST',
    staple: over.staple ? new Uint8Array([attempt]) : null,
    chain: [],
    authorizationError: over.authorizationError ?? null,
    nameError: over.nameError ?? null,
    durationMs: 1,
  };
  return {
    tlsVersion,
    attempt,
    offer: over.offer ?? 'default',
    order: order++,
    outcome,
    certificate: over.cert === undefined ? certificate() : over.cert,
    chain: [],
    staple: over.staple ? { sha256: `s${attempt}`, judged: over.staple } : null,
  };
}

function failed(tlsVersion: TlsVersion, attempt: number, kind: 'version' | 'timeout' | 'refused' | 'handshake'): AttemptView {
  return {
    tlsVersion,
    attempt,
    offer: 'default',
    order: order++,
    outcome: { ok: false, error: { kind, message: `simulated ${kind}`, code: null }, durationMs: 1 },
    certificate: null,
    chain: [],
    staple: null,
  };
}

function address(name: string, given: AttemptView[], served: Cert | null = leaf, several = false): AddressView {
  // The handshakes that completed served `served`.
  const attempts = given.map((a) => (a.certificate && served && a.certificate.leaf !== served ? { ...a, certificate: certificate({ leaf: served }) } : a));
  const done = attempts.filter((a) => a.outcome.ok);
  return {
    address: name,
    family: 4,
    attempts,
    leaf: served,
    stapled: done.length > 0 ? done.some((a) => a.staple) : null,
    certificates: addressCertificates(attempts, { ...TARGET, address: name }, several),
    where: { ...TARGET, address: name },
  };
}

const seq = (...steps: [TlsVersion, number, boolean][]): StapleAttempt[] => steps.map(([tlsVersion, attempt, stapled]) => ({ tlsVersion, attempt, stapled }));

describe('presence.ts: the staple over the ordered handshakes of a certificate at an address', () => {
  it('a staple first seen on the second handshake is lazy fetching, placed where it appeared', () => {
    expect(stapleSequenceProblems(seq(['1.2', 1, false], ['1.2', 2, true], ['1.2', 3, true]), false, AT)).toEqual([
      { code: 'STAPLE_LAZY', args: { handshakesWithout: 1, tlsVersion: '1.2', attempt: 2 }, where: { ...AT, tlsVersion: '1.2', attempt: 2 } },
    ]);
  });

  it('on a must-staple certificate, laziness is its own code', () => {
    expect(stapleSequenceProblems(seq(['1.3', 1, false], ['1.3', 2, true]), true, AT).map((p) => p.code)).toEqual(['STAPLE_LAZY_MUST_STAPLE']);
  });

  it('a staple that goes away again is intermittent, at the first handshake without it', () => {
    expect(stapleSequenceProblems(seq(['1.2', 1, true], ['1.2', 2, false], ['1.2', 3, true]), false, AT)).toEqual([
      { code: 'STAPLE_INTERMITTENT', args: {}, where: { ...AT, tlsVersion: '1.2', attempt: 2 } },
    ]);
  });

  it('a version that never staples is reported once, and is not read as laziness', () => {
    expect(stapleSequenceProblems(seq(['1.3', 1, false], ['1.2', 1, true], ['1.3', 2, false], ['1.2', 2, true]), false, AT)).toEqual([
      { code: 'STAPLE_MISSING_ON_VERSION', args: { tlsVersion: '1.3' }, where: { ...AT, tlsVersion: '1.3' } },
    ]);
  });

  it('no staple at all, or every handshake stapled, is nothing for this rule', () => {
    expect(stapleSequenceProblems(seq(['1.2', 1, false], ['1.3', 1, false]), false, AT)).toEqual([]);
    expect(stapleSequenceProblems(seq(['1.2', 1, true], ['1.3', 1, true]), true, AT)).toEqual([]);
    expect(stapleSequenceProblems([], false, AT)).toEqual([]);
  });

  it("an address's sequence is its completed handshakes, in order", () => {
    const a = address('192.0.2.1', [failed('1.3', 1, 'timeout'), completed('1.2', 1), completed('1.2', 2, { staple: judged('good') })]);
    expect(stapleSequenceOf(a.certificates[0] as AddressCertificate)).toEqual(seq(['1.2', 1, false], ['1.2', 2, true]));
  });

  it('a missing staple is reported at each address that served the certificate and never stapled', () => {
    const addresses = [
      address('192.0.2.1', [completed('1.2', 1)]),
      address('192.0.2.2', [completed('1.2', 1, { staple: judged('good') })]),
      address('192.0.2.3', [completed('1.2', 1)]),
      address('192.0.2.4', [completed('1.2', 1)], intermediate),
      address('192.0.2.5', [failed('1.2', 1, 'refused')]),
    ];
    expect(missingStapleProblems(certificate(), addresses)).toEqual([
      { code: 'STAPLE_MISSING', args: { liveResponder: 'not-queried' }, where: { ...TARGET, address: '192.0.2.1' } },
      { code: 'STAPLE_MISSING', args: { liveResponder: 'not-queried' }, where: { ...TARGET, address: '192.0.2.3' } },
    ]);
  });

  it('must-staple makes it critical; no OCSP URL makes it nothing to staple, said once', () => {
    const twoUnstapled = (served: Cert) => [address('192.0.2.1', [completed('1.2', 1)], served), address('192.0.2.2', [completed('1.2', 1)], served)];
    expect(missingStapleProblems(certificate({ leaf: leafMustStaple }), twoUnstapled(leafMustStaple)).map((p) => [p.code, p.args])).toEqual([
      ['STAPLE_MISSING_MUST_STAPLE', {}],
      ['STAPLE_MISSING_MUST_STAPLE', {}],
    ]);
    expect(missingStapleProblems(certificate({ leaf: leafNoOcsp }), twoUnstapled(leafNoOcsp))).toEqual([
      { code: 'CERT_NO_OCSP_URL', args: { crlUrls: leafNoOcsp.crlUrls.join(', ') || null }, where: TARGET },
    ]);
  });
});

describe('connection.ts: handshakes that failed', () => {
  it('a version refused every time while another works is unsupported, not a failure', () => {
    const a = address('192.0.2.1', [completed('1.2', 1), failed('1.3', 1, 'version'), failed('1.3', 2, 'version')]);
    expect(connectionProblems(a)).toEqual([
      { code: 'TLS_VERSION_UNSUPPORTED', args: { tlsVersion: '1.3' }, where: { ...AT, tlsVersion: '1.3' } },
      { code: 'TLS_VERSION_UNSUPPORTED', args: { tlsVersion: '1.3' }, where: { ...AT, tlsVersion: '1.3' } },
    ]);
  });

  it('with nothing working, every failure is reported under its kind, per version in the order tried', () => {
    const a = address('192.0.2.1', [failed('1.3', 1, 'timeout'), failed('1.2', 1, 'refused'), failed('1.3', 2, 'version')]);
    expect(connectionProblems(a).map((p) => [p.code, p.where.tlsVersion])).toEqual([
      ['TLS_TIMEOUT', '1.3'],
      ['TLS_HANDSHAKE_FAILED', '1.3'],
      ['TLS_CONNECT_FAILED', '1.2'],
    ]);
  });

  it('a name that resolves to nothing is a resolve failure at the target', () => {
    expect(resolveProblems({ resolveError: null, addresses: [] }, TARGET)).toEqual([
      { code: 'TLS_RESOLVE_FAILED', args: { message: 'no address to probe' }, where: TARGET },
    ]);
    expect(resolveProblems({ resolveError: { kind: 'dns', message: 'ENOTFOUND', code: 'ENOTFOUND' }, addresses: [] }, TARGET).map((p) => p.args)).toEqual([
      { message: 'ENOTFOUND' },
    ]);
  });
});

describe("trust.ts: OpenSSL's chain verdict and the name check", () => {
  it('is placed per address and TLS version, without the attempt', () => {
    expect(trustProblems(completed('1.3', 2, { authorizationError: 'CERT_HAS_EXPIRED', nameError: 'Host: x. is not in the cert' }), 'x', AT)).toEqual([
      { code: 'CERT_EXPIRED', args: { error: 'CERT_HAS_EXPIRED' }, where: { ...AT, tlsVersion: '1.3' } },
      { code: 'CERT_NAME_MISMATCH', args: { servername: 'x', message: 'Host: x. is not in the cert' }, where: { ...AT, tlsVersion: '1.3' } },
    ]);
  });

  it('a missing intermediate that AIA supplied is not a distrust; otherwise it is', () => {
    const missing = { authorizationError: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' };
    expect(trustProblems(completed('1.2', 1, { ...missing, cert: certificate({ choice: choice({ source: 'aia' }) }) }), null, AT)).toEqual([]);
    expect(trustProblems(completed('1.2', 1, missing), null, AT).map((p) => p.code)).toEqual(['CERT_UNTRUSTED']);
    expect(trustProblems(completed('1.2', 1, { authorizationError: 'CERT_NOT_YET_VALID' }), null, AT).map((p) => p.code)).toEqual(['CERT_NOT_YET_VALID']);
    expect(trustProblems(failed('1.2', 1, 'timeout'), null, AT)).toEqual([]);
  });
});

describe('addresses.ts: the addresses of one host against each other', () => {
  it('one address, or addresses where nothing completed, compare with nothing', () => {
    expect(addressDisagreements([address('192.0.2.1', [completed('1.2', 1)])], TARGET)).toEqual([]);
    expect(addressDisagreements([address('192.0.2.1', [completed('1.2', 1)]), address('192.0.2.2', [failed('1.2', 1, 'timeout')], null)], TARGET)).toEqual([]);
  });

  it('another certificate, stapling on some only, another status: one problem each, at the target', () => {
    const problems = addressDisagreements(
      [
        address('192.0.2.1', [completed('1.2', 1, { staple: judged('good') })]),
        address(
          '192.0.2.2',
          [
            completed('1.2', 1, {
              staple: judged('revoked', [
                { code: 'STAPLE_REVOKED', args: { revocationTime: '2026-02-01T00:00:00.000Z', revocationReason: null, serial: '1001' } },
              ]),
            }),
          ],
          leafMustStaple,
        ),
        address('192.0.2.3', [completed('1.2', 1)]),
      ],
      TARGET,
    );
    expect(problems.map((p) => p.code === 'COMPARE_ADDRESSES_DISAGREE' && p.args.aspect)).toEqual(['certificate', 'stapling', 'status']);
    expect(problems.every((p) => p.where === TARGET)).toBe(true);
    expect(problems[2]?.args).toEqual({ aspect: 'status', detail: '192.0.2.1 staples good, 192.0.2.2 staples revoked' });
  });

  it('a staple invalid for other reasons than its status does not count as a status', () => {
    const broken = judged('good', [{ code: 'STAPLE_EXPIRED', args: { nextUpdate: '2026-02-01T00:00:00.000Z', agoSeconds: 3600 } }]);
    const problems = addressDisagreements(
      [address('192.0.2.1', [completed('1.2', 1, { staple: judged('revoked') })]), address('192.0.2.2', [completed('1.2', 1, { staple: broken })])],
      TARGET,
    );
    expect(problems).toEqual([]);
  });
});

describe('chain.ts: the served certificate and its issuer', () => {
  const failedFetch = (ex: HttpExchange): IssuerFetchEvidence => ({ leaf: leaf.sha256, url: 'http://ca.test/int.der', exchange: ex });

  it('must-staple, an issuer fetched through AIA, and where it came from', () => {
    const fetch: IssuerFetchEvidence = {
      leaf: leafMustStaple.sha256,
      url: 'http://ca.test/int.der',
      exchange: exchange(pki.intermediate.der, { url: 'http://ca.test/int.der' }),
    };
    expect(chainProblems(certificate({ leaf: leafMustStaple, choice: choice({ source: 'aia' }), issuerFetches: [fetch] }))).toEqual([
      { code: 'CERT_MUST_STAPLE', args: {}, where: TARGET },
      { code: 'CERT_CHAIN_INCOMPLETE', args: { issuer: intermediate.subject, url: 'http://ca.test/int.der' }, where: TARGET },
    ]);
  });

  it('an issuer found nowhere: each download that did not give it, and why', () => {
    const problems = chainProblems(
      certificate({ choice: choice({ issuer: null, source: null }), issuerFetches: [failedFetch(exchange(new Uint8Array(), { status: 404 }))] }),
    );
    expect(problems).toEqual([{ code: 'CERT_ISSUER_FETCH_FAILED', args: { url: 'http://ca.test/int.der', reason: 'HTTP 404' }, where: TARGET }]);
  });

  it('a candidate that did not sign the leaf', () => {
    const problems = chainProblems(certificate({ choice: choice({ rejected: { subject: 'CN=Twin', source: 'ca-file' } }) }));
    expect(problems).toEqual([{ code: 'CERT_ISSUER_MISMATCH', args: { issuer: 'CN=Twin', leafIssuer: leaf.issuer, source: 'served' }, where: TARGET }]);
  });
});

describe("live.ts: the CA's live answer for a certificate", () => {
  it('not asked for want of an issuer, unless live queries were off', () => {
    const noIssuer = certificate({ choice: choice({ issuer: null, source: null }) });
    expect(liveProblems(noIssuer, false)).toEqual([{ code: 'LIVE_NOT_QUERIED', args: { reason: 'no-issuer' }, where: TARGET }]);
    expect(liveProblems(noIssuer, true)).toEqual([]);
    expect(liveProblems(certificate({ leaf: leafNoOcsp, choice: choice({ issuer: null, source: null }) }), false)).toEqual([]);
    expect(liveProblems(certificate(), false)).toEqual([]);
  });
});
