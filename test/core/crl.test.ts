/** CRL judgement (issue #22) over CRLs made by the testing kit: parse, lookup, signature, scope, times, malformed bytes. */
import { buildCrl, createPki, issue, toPem, type CrlSpec, type Issued, type TestPki } from '@staple-probe/core/testing';
import { type Finding, FINDINGS, renderMessage } from '@staple-probe/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Cert, parseCertificate } from '../../packages/probe-core/src/core/certificate.js';
import { CrlDecodeError, type CrlContext, type CrlJudgement, findRevoked, judgeCrl, judgeCrlBytes, parseCrl } from '../../packages/probe-core/src/core/crl.js';
import { SignatureVerifier } from '../../packages/probe-core/src/core/signature.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const S = 1000;
const H = 3600 * S;
const D = 24 * H;
const URL1 = 'http://crl.test/1.crl';
const URL2 = 'http://crl.test/2.crl';

let pki: TestPki;
/** Leaves of the intermediate with only a CRL distribution point (URL1), as Let's Encrypt issues them since 2025. */
let leaf: Issued;
let other: Issued;
let highBit: Issued;
/** A CA with the intermediate's name and another key: a rogue signer. */
let rogue: Issued;
const verifier = new SignatureVerifier();

beforeAll(async () => {
  pki = await createPki({ notBefore: new Date('2026-01-01T00:00:00Z') });
  const base = { issuer: pki.intermediate, notBefore: new Date('2026-01-01T00:00:00Z'), notAfter: new Date('2027-01-01T00:00:00Z'), crlUrls: [URL1] };
  leaf = await issue({ ...base, subject: 'CN=localhost', serial: '1005', dnsNames: ['localhost'], keyKind: 'p256' });
  other = await issue({ ...base, subject: 'CN=other', serial: '1006', keyKind: 'p256' });
  highBit = await issue({ ...base, subject: 'CN=high', serial: '80ff', keyKind: 'p256' });
  rogue = await issue({ subject: pki.intermediate.cert.subject, serial: '02', ca: true, notBefore: base.notBefore, notAfter: base.notAfter });
});

const cert = (issued: Issued): Cert => parseCertificate(issued.der);
const fresh = (over: Partial<CrlSpec> = {}): CrlSpec => ({
  issuer: pki.intermediate,
  thisUpdate: new Date(NOW - H),
  nextUpdate: new Date(NOW + 7 * D),
  ...over,
});
const ctx = (over: Partial<CrlContext> = {}): CrlContext => ({
  leaf: cert(leaf),
  issuer: cert(pki.intermediate),
  url: URL1,
  now: NOW,
  skewMs: 300 * S,
  warnRemainingMs: 2 * D,
  critRemainingMs: 0,
  verifier,
  ...over,
});
const judge = async (spec: Partial<CrlSpec>, over: Partial<CrlContext> = {}): Promise<CrlJudgement> =>
  judgeCrl(parseCrl(await buildCrl(fresh(spec))), ctx(over));
const codes = (j: CrlJudgement) => j.problems.map((p) => p.code);
const revokeLeaf = { serial: '1005', revocationDate: new Date(NOW - 2 * D), reason: 'keyCompromise' as const };

describe('parseCrl', () => {
  it('reads the issuer, times, number, AKI and IDP, and locates the list without decoding it', async () => {
    const der = await buildCrl(
      fresh({ crlNumber: 4242, entries: [revokeLeaf], idp: { urls: [URL1], onlyContainsUserCerts: true, onlySomeReasons: ['keyCompromise', 'aACompromise'] } }),
    );
    const crl = parseCrl(der);
    expect(crl.issuer).toBe(cert(pki.intermediate).subject);
    expect(crl.issuerDer).toEqual(cert(pki.intermediate).subjectDer);
    expect(crl.version).toBe(2);
    expect(crl.thisUpdate).toBe(NOW - H);
    expect(crl.nextUpdate).toBe(NOW + 7 * D);
    expect(crl.crlNumber).toBe('1092');
    expect(crl.deltaBaseCrlNumber).toBeNull();
    expect(crl.signatureAlgorithm.oid).toBe('1.2.840.113549.1.1.11');
    expect(crl.authorityKeyId?.byteLength).toBe(20);
    expect(crl.issuingDistributionPoint).toEqual({
      distributionPoint: { kind: 'fullName', uris: [URL1], otherNames: 0 },
      onlyContainsUserCerts: true,
      onlyContainsCACerts: false,
      onlyContainsAttributeCerts: false,
      onlySomeReasons: ['keyCompromise', 'aACompromise'],
      indirectCRL: false,
    });
    expect(crl.unknownCriticalExtensions).toEqual([]);
    // tbsCertList and the list are views over the input: nothing copied.
    expect(crl.der).toBe(der);
    expect(crl.tbs.buffer).toBe(der.buffer);
    expect(crl.tbs.byteOffset).toBe(der.byteOffset + 4);
    const list = crl.revokedCertificates;
    expect(list && der[list.start]).toBe(0x30);
  });

  it('reads PEM as well as DER', async () => {
    const der = await buildCrl(fresh({ entries: [revokeLeaf] }));
    const pem = new TextEncoder().encode(`junk before\n${toPem('X509 CRL', der)}`);
    expect(parseCrl(pem).tbs).toEqual(parseCrl(der).tbs);
  });

  it('a CRL without entries and without nextUpdate has no list and a null nextUpdate', async () => {
    const crl = parseCrl(await buildCrl(fresh({ nextUpdate: null })));
    expect(crl.revokedCertificates).toBeNull();
    expect(crl.nextUpdate).toBeNull();
    expect(findRevoked(crl, '1005')).toEqual({ entry: null, entries: 0, unknownCriticalEntryExtensions: [] });
  });

  it('lists unknown critical extensions and reads a delta CRL indicator', async () => {
    const crl = parseCrl(
      await buildCrl(
        fresh({
          extensions: [
            { oid: '1.3.6.1.4.1.99999.1', critical: true, value: new Uint8Array([0x05, 0x00]) },
            { oid: '1.3.6.1.4.1.99999.2', critical: false, value: new Uint8Array([0x05, 0x00]) },
            { oid: '2.5.29.27', critical: true, value: new Uint8Array([0x02, 0x01, 0x07]) },
          ],
        }),
      ),
    );
    expect(crl.unknownCriticalExtensions).toEqual(['1.3.6.1.4.1.99999.1']);
    expect(crl.deltaBaseCrlNumber).toBe('07');
  });
});

describe('findRevoked', () => {
  it('finds an entry with its date, reason and invalidity date, among others', async () => {
    const crl = parseCrl(
      await buildCrl(
        fresh({
          count: 50,
          entries: [
            { ...revokeLeaf, invalidityDate: new Date(NOW - 3 * D) },
            { serial: '1006', revocationDate: new Date(NOW - D), reason: 'superseded' },
          ],
        }),
      ),
    );
    expect(findRevoked(crl, '1005')).toEqual({
      entry: { serial: '1005', revocationDate: NOW - 2 * D, reason: 'keyCompromise', invalidityDate: NOW - 3 * D },
      entries: 52,
      unknownCriticalEntryExtensions: [],
    });
    expect(findRevoked(crl, '1006').entry?.reason).toBe('superseded');
    expect(findRevoked(crl, '1007').entry).toBeNull();
  });

  it.each([
    'unspecified',
    'keyCompromise',
    'cACompromise',
    'affiliationChanged',
    'superseded',
    'cessationOfOperation',
    'certificateHold',
    'privilegeWithdrawn',
    'aACompromise',
  ] as const)('reads the reason %s', async (reason) => {
    const crl = parseCrl(await buildCrl(fresh({ entries: [{ ...revokeLeaf, reason }] })));
    expect(findRevoked(crl, '1005').entry?.reason).toBe(reason);
  });

  it('an entry without a reasonCode has a null reason', async () => {
    const crl = parseCrl(await buildCrl(fresh({ entries: [{ serial: '1005', revocationDate: new Date(NOW - D) }] })));
    expect(findRevoked(crl, '1005').entry).toEqual({ serial: '1005', revocationDate: NOW - D, reason: null, invalidityDate: null });
  });

  it('compares serials as numbers: the INTEGER’s sign octet and leading zeros do not matter', async () => {
    const crl = parseCrl(await buildCrl(fresh({ entries: [{ serial: '80ff', revocationDate: new Date(NOW - D) }] })));
    expect(cert(highBit).serial).toBe('80ff');
    expect(findRevoked(crl, '80ff').entry?.serial).toBe('80ff');
    expect(findRevoked(crl, new Uint8Array([0x00, 0x80, 0xff])).entry?.serial).toBe('80ff');
    expect(findRevoked(crl, '0080ff').entry?.serial).toBe('80ff');
    // A serial that only shares a prefix or a suffix is not it.
    expect(findRevoked(crl, '80').entry).toBeNull();
    expect(findRevoked(crl, 'ff').entry).toBeNull();
    expect(findRevoked(crl, '80ff00').entry).toBeNull();
  });

  it('reports unknown critical entry extensions of any entry, not only the one looked up', async () => {
    const certificateIssuer = { oid: '2.5.29.29', critical: true, value: new Uint8Array([0x30, 0x00]) };
    const crl = parseCrl(await buildCrl(fresh({ entries: [{ serial: '0777', revocationDate: new Date(NOW - D), extensions: [certificateIssuer] }] })));
    expect(findRevoked(crl, '1005')).toEqual({ entry: null, entries: 1, unknownCriticalEntryExtensions: ['2.5.29.29'] });
  });

  it('throws CrlDecodeError on a malformed entry (the framing passed, the entry does not)', async () => {
    const der = await buildCrl(fresh({ entries: [{ serial: '1006', revocationDate: new Date(NOW - D) }] }));
    const crl = parseCrl(der);
    const list = crl.revokedCertificates;
    if (!list) throw new Error('no list');
    // The entry's revocationDate tag (after the entry header and INTEGER 10 06): UTCTime -> OCTET STRING.
    const bad = der.slice();
    expect(bad[list.start + 6]).toBe(0x17);
    bad[list.start + 6] = 0x04;
    expect(() => findRevoked(parseCrl(bad), '1005')).toThrow(CrlDecodeError);
  });
});

describe('judgeCrl', () => {
  it('revoked in an authentic CRL that covers the certificate: CRL_REVOKED, status revoked', async () => {
    const j = await judge({ entries: [revokeLeaf] });
    expect(j.status).toBe('revoked');
    expect(j.problems).toEqual([
      {
        code: 'CRL_REVOKED',
        args: { url: URL1, serial: '1005', revocationDate: new Date(NOW - 2 * D).toISOString(), reason: 'keyCompromise', invalidityDate: null },
      },
    ]);
    expect(j.revoked).toEqual({ serial: '1005', revocationDate: NOW - 2 * D, reason: 'keyCompromise', invalidityDate: null });
    expect(j).toMatchObject({ thisUpdate: NOW - H, nextUpdate: NOW + 7 * D, crlNumber: '01', entries: 1 });
  });

  it('not listed in an authentic, current, complete CRL: not-listed and no problem', async () => {
    const j = await judge({ entries: [{ serial: '1006', revocationDate: new Date(NOW - D) }] });
    expect(j.status).toBe('not-listed');
    expect(j.problems).toEqual([]);
    expect(j.revoked).toBeNull();
    expect((await judge({ entries: [{ serial: '1006', revocationDate: new Date(NOW - D) }] }, { leaf: cert(other) })).status).toBe('revoked');
  });

  it('works the same for an ECDSA issuer', async () => {
    const ca = await issue({
      subject: 'CN=EC CA',
      serial: '0a',
      ca: true,
      keyKind: 'p384',
      notBefore: new Date('2026-01-01'),
      notAfter: new Date('2027-01-01'),
    });
    const ecLeaf = await issue({
      issuer: ca,
      subject: 'CN=ec',
      serial: '1010',
      keyKind: 'p256',
      notBefore: new Date('2026-01-01'),
      notAfter: new Date('2027-01-01'),
    });
    const j = await judge(
      { issuer: ca, entries: [{ serial: '1010', revocationDate: new Date(NOW - D), reason: 'cessationOfOperation' }] },
      {
        leaf: cert(ecLeaf),
        issuer: cert(ca),
        url: null,
      },
    );
    expect(codes(j)).toEqual(['CRL_REVOKED']);
  });

  describe('times', () => {
    it('past nextUpdate beyond the skew: CRL_EXPIRED, and "not listed" is not claimed', async () => {
      const j = await judge({ thisUpdate: new Date(NOW - 8 * D), nextUpdate: new Date(NOW - 301 * S) });
      expect(codes(j)).toEqual(['CRL_EXPIRED']);
      expect(j.status).toBe('unusable');
    });
    it('an expired CRL still proves a revocation (revocation is final)', async () => {
      const j = await judge({ thisUpdate: new Date(NOW - 8 * D), nextUpdate: new Date(NOW - D), entries: [revokeLeaf] });
      expect(codes(j)).toEqual(['CRL_REVOKED', 'CRL_EXPIRED']);
      expect(j.status).toBe('revoked');
    });
    it('but not a hold, which may have been lifted since', async () => {
      const j = await judge({ thisUpdate: new Date(NOW - 8 * D), nextUpdate: new Date(NOW - D), entries: [{ ...revokeLeaf, reason: 'certificateHold' }] });
      expect(codes(j)).toEqual(['CRL_EXPIRED']);
      expect(j.status).toBe('unusable');
      expect(j.revoked).toBeNull();
    });
    it('thisUpdate ahead beyond the skew: CRL_NOT_YET_VALID, unusable', async () => {
      const j = await judge({ thisUpdate: new Date(NOW + 301 * S), nextUpdate: new Date(NOW + 7 * D) });
      expect(codes(j)).toEqual(['CRL_NOT_YET_VALID']);
      expect(j.status).toBe('unusable');
    });
    it('within the skew: accepted', async () => expect((await judge({ thisUpdate: new Date(NOW + 299 * S) })).status).toBe('not-listed'));
    it('one day left under the 2-day warning: CRL_EXPIRING, still usable', async () => {
      const j = await judge({ thisUpdate: new Date(NOW - 6 * D), nextUpdate: new Date(NOW + D) });
      expect(codes(j)).toEqual(['CRL_EXPIRING']);
      expect(j.status).toBe('not-listed');
    });
    it('just past nextUpdate, inside the skew: CRL_EXPIRING, and its message says it passed (not "only 3m left")', async () => {
      const j = await judge({ thisUpdate: new Date(NOW - 6 * D), nextUpdate: new Date(NOW - 180 * S) });
      expect(codes(j)).toEqual(['CRL_EXPIRING']);
      const [problem] = j.problems;
      expect(renderMessage(problem as Finding)).toBe(
        `the CRL's nextUpdate ${new Date(NOW - 180 * S).toISOString()} passed 3m ago, inside the clock-skew allowance (warning below 2.0d)`,
      );
    });
    it('under the critical threshold: CRL_EXPIRING_CRITICAL', async () => {
      const j = await judge({ thisUpdate: new Date(NOW - 6 * D), nextUpdate: new Date(NOW + D) }, { critRemainingMs: 36 * H });
      expect(codes(j)).toEqual(['CRL_EXPIRING_CRITICAL']);
    });
    it('no nextUpdate: CRL_NO_NEXT_UPDATE, still usable', async () => {
      const j = await judge({ nextUpdate: null });
      expect(codes(j)).toEqual(['CRL_NO_NEXT_UPDATE']);
      expect(j.status).toBe('not-listed');
    });
  });

  describe('who signed it', () => {
    it('a rogue signer with the issuer’s name: CRL_BAD_SIGNATURE (and its key id), and the listing is not believed', async () => {
      const j = await judge({ signer: rogue, entries: [revokeLeaf] });
      expect(codes(j)).toEqual(['CRL_KEY_ID_MISMATCH', 'CRL_BAD_SIGNATURE']);
      expect(j.status).toBe('unusable');
      expect(j.revoked).toBeNull();
    });
    it('a rogue signer that copies the issuer’s key id: CRL_BAD_SIGNATURE alone', async () => {
      const j = await judge({ signer: rogue, authorityKeyIdOf: pki.intermediate });
      expect(codes(j)).toEqual(['CRL_BAD_SIGNATURE']);
      expect(j.status).toBe('unusable');
    });
    it('a damaged signature: CRL_BAD_SIGNATURE', async () => expect(codes(await judge({ corruptSignature: true }))).toEqual(['CRL_BAD_SIGNATURE']));
    it('another CA’s CRL (a foreign issuer), even validly signed: CRL_ISSUER_MISMATCH', async () => {
      const j = await judge({ issuer: pki.foreignCa, entries: [revokeLeaf] });
      expect(j.problems).toEqual([{ code: 'CRL_ISSUER_MISMATCH', args: { url: URL1, crlIssuer: cert(pki.foreignCa).subject, certIssuer: cert(leaf).issuer } }]);
      expect(j.status).toBe('unusable');
    });
    it('no issuer certificate: CRL_NOT_VERIFIED, never "not listed"', async () => {
      const j = await judge({}, { issuer: null });
      expect(j.problems).toEqual([{ code: 'CRL_NOT_VERIFIED', args: { url: URL1, reason: 'no-issuer' } }]);
      expect(j.status).toBe('unusable');
    });
    it('an issuer certificate not named as the CRL’s issuer: CRL_NOT_VERIFIED', async () => {
      expect(codes(await judge({}, { issuer: cert(pki.root) }))).toEqual(['CRL_NOT_VERIFIED']);
    });
    it('an issuer whose keyUsage lacks cRLSign: CRL_ISSUER_CANNOT_SIGN_CRLS', async () => {
      // An end-entity certificate (keyUsage digitalSignature) that issued a certificate and signs its CRL.
      const notCa = pki.leafRsa;
      const child = await issue({
        issuer: notCa,
        subject: 'CN=child',
        serial: '2222',
        keyKind: 'p256',
        notBefore: new Date('2026-01-01'),
        notAfter: new Date('2027-01-01'),
      });
      const j = await judge({ issuer: notCa }, { leaf: cert(child), issuer: cert(notCa), url: null });
      expect(codes(j)).toEqual(['CRL_ISSUER_CANNOT_SIGN_CRLS']);
      expect(j.status).toBe('unusable');
    });
  });

  describe('scope', () => {
    it('a shard whose IDP names the URL fetched: in scope', async () => {
      expect((await judge({ idp: { urls: [URL1] }, entries: [revokeLeaf] })).status).toBe('revoked');
    });
    it('a shard covering another URL (as a wrong Let’s Encrypt shard would): CRL_WRONG_SCOPE, unusable even if listed', async () => {
      const j = await judge({ idp: { urls: [URL2] }, entries: [revokeLeaf] });
      expect(j.problems).toEqual([{ code: 'CRL_WRONG_SCOPE', args: { url: URL1, reason: 'distribution-point', covers: URL2 } }]);
      expect(j.status).toBe('unusable');
    });
    it('URLs are compared after normalisation (scheme and host case, default port)', async () => {
      expect((await judge({ idp: { urls: ['HTTP://CRL.test:80/1.crl'] } })).status).toBe('not-listed');
    });
    it('offline (no URL): the IDP must name one of the certificate’s CRL distribution points', async () => {
      expect((await judge({ idp: { urls: [URL1] } }, { url: null })).status).toBe('not-listed');
      expect(codes(await judge({ idp: { urls: [URL2] } }, { url: null }))).toEqual(['CRL_WRONG_SCOPE']);
    });
    it('onlyContainsCACerts with an end-entity certificate: CRL_WRONG_SCOPE ca-certs-only', async () => {
      const j = await judge({ idp: { onlyContainsCACerts: true } });
      expect(j.problems).toEqual([{ code: 'CRL_WRONG_SCOPE', args: { url: URL1, reason: 'ca-certs-only', covers: null } }]);
      expect(j.status).toBe('unusable');
    });
    it('onlyContainsUserCerts with an end-entity certificate: in scope; with a CA certificate: not', async () => {
      expect((await judge({ idp: { onlyContainsUserCerts: true } })).status).toBe('not-listed');
      const j = await judge({ issuer: pki.root, idp: { onlyContainsUserCerts: true } }, { leaf: cert(pki.intermediate), issuer: cert(pki.root), url: null });
      expect(codes(j)).toEqual(['CRL_WRONG_SCOPE']);
    });
    it('onlyContainsAttributeCerts: CRL_WRONG_SCOPE', async () =>
      expect(codes(await judge({ idp: { onlyContainsAttributeCerts: true } }))).toEqual(['CRL_WRONG_SCOPE']));
    it('onlySomeReasons: CRL_PARTIAL_REASONS; "not listed" proves nothing, a listing still counts', async () => {
      const quiet = await judge({ idp: { onlySomeReasons: ['keyCompromise'] } });
      expect(quiet.problems).toEqual([{ code: 'CRL_PARTIAL_REASONS', args: { url: URL1, reasons: 'keyCompromise' } }]);
      expect(quiet.status).toBe('unusable');
      const listed = await judge({ idp: { onlySomeReasons: ['keyCompromise'] }, entries: [revokeLeaf] });
      expect(listed.status).toBe('revoked');
    });
    it('an indirect CRL: CRL_INDIRECT, unusable', async () => {
      const j = await judge({ idp: { urls: [URL1], indirectCRL: true } });
      expect(codes(j)).toEqual(['CRL_INDIRECT']);
      expect(j.status).toBe('unusable');
    });
  });

  describe('extensions', () => {
    it('an unknown critical CRL extension: CRL_UNKNOWN_CRITICAL_EXTENSION, unusable even if listed', async () => {
      const j = await judge({ entries: [revokeLeaf], extensions: [{ oid: '1.3.6.1.4.1.99999.1', critical: true, value: new Uint8Array([0x05, 0x00]) }] });
      expect(j.problems).toEqual([{ code: 'CRL_UNKNOWN_CRITICAL_EXTENSION', args: { url: URL1, oid: '1.3.6.1.4.1.99999.1', name: null, scope: 'crl' } }]);
      expect(j.status).toBe('unusable');
    });
    it('an unknown non-critical one is ignored', async () => {
      const j = await judge({ extensions: [{ oid: '1.3.6.1.4.1.99999.1', critical: false, value: new Uint8Array([0x05, 0x00]) }] });
      expect(j.status).toBe('not-listed');
    });
    it('a critical certificateIssuer in another entry (an indirect CRL’s): unusable for every certificate', async () => {
      const certificateIssuer = { oid: '2.5.29.29', critical: true, value: new Uint8Array([0x30, 0x00]) };
      const j = await judge({ entries: [{ serial: '0777', revocationDate: new Date(NOW - D), extensions: [certificateIssuer] }] });
      expect(j.problems).toEqual([
        { code: 'CRL_UNKNOWN_CRITICAL_EXTENSION', args: { url: URL1, oid: '2.5.29.29', name: 'certificateIssuer', scope: 'entry' } },
      ]);
      expect(j.status).toBe('unusable');
    });
    it('a delta CRL: CRL_DELTA, unusable', async () => {
      const j = await judge({ extensions: [{ oid: '2.5.29.27', critical: true, value: new Uint8Array([0x02, 0x01, 0x07]) }] });
      expect(j.problems).toEqual([{ code: 'CRL_DELTA', args: { url: URL1, baseCrlNumber: '07' } }]);
      expect(j.status).toBe('unusable');
    });
  });

  it('every problem is reported, not the first', async () => {
    const j = await judge({
      signer: rogue,
      authorityKeyIdOf: pki.intermediate,
      thisUpdate: new Date(NOW - 9 * D),
      nextUpdate: new Date(NOW - D),
      idp: { urls: [URL2] },
    });
    expect(codes(j)).toEqual(['CRL_BAD_SIGNATURE', 'CRL_WRONG_SCOPE', 'CRL_EXPIRED']);
  });

  it('every code has a proposed severity, and only a revocation (or an opted-in threshold) is critical', () => {
    const critical = Object.entries(FINDINGS)
      .filter(([c, info]) => c.startsWith('CRL_') && info.severity === 'critical')
      .map(([c]) => c);
    expect(critical).toEqual(['CRL_REVOKED', 'CRL_EXPIRING_CRITICAL']);
  });
});

describe('malformed bytes: CRL_NOT_A_CRL, never an exception', () => {
  const notACrl = async (bytes: Uint8Array) => {
    const j = await judgeCrlBytes(bytes, ctx());
    expect(j.status).toBe('unusable');
    expect(codes(j)).toEqual(['CRL_NOT_A_CRL']);
    return j.problems[0]?.args as { reason: string; length: number };
  };

  it('truncated', async () => {
    const der = await buildCrl(fresh({ entries: [revokeLeaf] }));
    expect((await notACrl(der.subarray(0, der.byteLength - 10))).reason).toMatch(/truncated/);
  });
  it('trailing garbage', async () => {
    const der = await buildCrl(fresh({ trailingBytes: new Uint8Array([1, 2, 3]) }));
    expect((await notACrl(der)).reason).toBe('3 bytes follow the CRL');
  });
  it('a certificate is not a CRL', async () => expect((await notACrl(leaf.der)).reason).toMatch(/expected tag|not a/));
  it('empty', async () => expect((await notACrl(new Uint8Array())).reason).toMatch(/neither DER nor PEM/));
  it('HTML', async () => expect((await notACrl(new TextEncoder().encode('<html>not found</html>'))).reason).toMatch(/neither DER nor PEM/));
  it('a PEM CRL block without its end line', async () =>
    expect((await notACrl(new TextEncoder().encode('-----BEGIN X509 CRL-----\nMIIB\n'))).reason).toMatch(/no end line/));
  it('PEM of another kind', async () => expect((await notACrl(new TextEncoder().encode(leaf.pem))).reason).toMatch(/no SEQUENCE/));
  it('an indefinite length (BER, not DER)', async () => {
    const der = await buildCrl(fresh());
    const ber = der.slice();
    ber[1] = 0x80;
    expect((await notACrl(ber)).reason).toMatch(/indefinite/);
  });
  it('a malformed entry, found by the walk', async () => {
    const der = await buildCrl(fresh({ entries: [{ serial: '1006', revocationDate: new Date(NOW - D) }] }));
    const list = parseCrl(der).revokedCertificates;
    const bad = der.slice();
    bad[(list?.start ?? 0) + 6] = 0x04;
    const j = await judgeCrlBytes(bad, ctx());
    expect(codes(j)).toContain('CRL_NOT_A_CRL');
    expect(j.status).toBe('unusable');
  });

  it('every truncation and every single-octet change gives a CRL, or CrlDecodeError: nothing else is thrown', async () => {
    const der = await buildCrl(
      fresh({ entries: [{ ...revokeLeaf, invalidityDate: new Date(NOW - 3 * D) }], idp: { urls: [URL1], onlySomeReasons: ['keyCompromise'] } }),
    );
    const attempt = (bytes: Uint8Array) => {
      try {
        findRevoked(parseCrl(bytes), '1005');
      } catch (error) {
        if (!(error instanceof CrlDecodeError)) throw error;
      }
    };
    for (let n = 0; n < der.byteLength; n++) expect(() => parseCrl(der.subarray(0, n))).toThrow(CrlDecodeError);
    for (let i = 0; i < der.byteLength; i++) {
      for (const value of [0xff, (der[i] ?? 0) ^ 0x01, 0x80]) {
        const changed = der.slice();
        changed[i] = value;
        attempt(changed);
      }
    }
  });
});
