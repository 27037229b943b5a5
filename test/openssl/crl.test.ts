/**
 * CRL judgement (issue #22) against CRLs made by a real CA (`openssl ca -revoke`, `-gencrl`), and the kit's
 * CRLs checked by `openssl crl`, an independent reader and verifier; a CRL of a million entries looked up
 * without the process growing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCrl, bulkSerial, createPki, type CrlReasonFlag, issue, type Issued, type KeyKind } from '@staple-probe/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cert, parseCertificate, readCertificates } from '../../packages/probe-core/src/core/certificate.js';
import { type CrlContext, type CrlJudgement, findRevoked, judgeCrl, judgeCrlBytes, parseCrl } from '../../packages/probe-core/src/core/crl.js';
import { SignatureVerifier } from '../../packages/probe-core/src/core/signature.js';

function openssl(): string | null {
  try {
    execFileSync('openssl', ['version'], { stdio: 'pipe' });
    return 'openssl';
  } catch {
    return null;
  }
}

const bin = openssl();
const URL1 = 'http://crl.test/1.crl';
const URL2 = 'http://crl.test/2.crl';
const S = 1000;
const D = 86_400 * S;

const CONFIG = `
[ ca ]
default_ca = CA_default
[ CA_default ]
dir = .
database = $dir/index.txt
new_certs_dir = $dir/newcerts
certificate = $dir/ca.pem
private_key = $dir/ca.key
serial = $dir/serial
crlnumber = $dir/crlnumber
default_md = sha256
default_days = 30
default_crl_days = 7
policy = policy_any
unique_subject = no
x509_extensions = leaf_ext
crl_extensions = crl_ext
[ policy_any ]
commonName = supplied
[ req ]
distinguished_name = dn
[ dn ]
[ v3_ca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ leaf_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
crlDistributionPoints = URI:${URL1}
[ crl_ext ]
authorityKeyIdentifier = keyid:always
[ shard_ext ]
authorityKeyIdentifier = keyid:always
issuingDistributionPoint = critical, @idp
[ idp ]
fullname = URI:${URL2}
onlyuser = TRUE
`;

/** A CA directory for `openssl ca`, with its self-signed RSA certificate. */
function makeCa(dir: string, subject: string): { run: (args: string[]) => string; file: (name: string) => Uint8Array } {
  mkdirSync(join(dir, 'newcerts'), { recursive: true });
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '1000\n');
  writeFileSync(join(dir, 'crlnumber'), '01\n');
  writeFileSync(join(dir, 'ca.cnf'), CONFIG);
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  run([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-subj',
    subject,
    '-days',
    '30',
    '-config',
    'ca.cnf',
    '-extensions',
    'v3_ca',
  ]);
  return { run, file: (name) => new Uint8Array(readFileSync(join(dir, name))) };
}

describe('CRLs of openssl ca', () => {
  it('openssl is installed (required in CI)', () => {
    if (!bin && process.env.CI !== 'true') return;
    expect(bin).not.toBeNull();
  });

  let dir = '';
  const verifier = new SignatureVerifier();
  let ca: ReturnType<typeof makeCa>;
  let caCert: Cert;
  const leaves: Cert[] = [];
  const crl: Record<'current' | 'expired' | 'shard' | 'rogue' | 'foreign', Uint8Array> = {} as never;

  beforeAll(() => {
    if (!bin) return;
    dir = mkdtempSync(join(tmpdir(), 'staple-probe-crl-'));
    ca = makeCa(join(dir, 'ca'), '/CN=CRL Test CA/O=staple-probe');
    for (const n of [1, 2, 3, 4]) {
      ca.run([
        'req',
        '-new',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        `leaf${n}.key`,
        '-out',
        `leaf${n}.csr`,
        '-subj',
        `/CN=leaf${n}`,
        '-config',
        'ca.cnf',
      ]);
      ca.run(['ca', '-batch', '-config', 'ca.cnf', '-in', `leaf${n}.csr`, '-out', `leaf${n}.pem`, '-notext']);
      leaves.push(parseCertificate(readCertificates(ca.file(`leaf${n}.pem`))[0] as Uint8Array));
    }
    caCert = parseCertificate(readCertificates(ca.file('ca.pem'))[0] as Uint8Array);
    ca.run(['ca', '-config', 'ca.cnf', '-revoke', 'leaf1.pem', '-crl_reason', 'keyCompromise']);
    ca.run(['ca', '-config', 'ca.cnf', '-revoke', 'leaf2.pem', '-crl_reason', 'superseded']);
    ca.run(['ca', '-config', 'ca.cnf', '-revoke', 'leaf3.pem', '-crl_compromise', '20260101000000Z']);
    ca.run(['ca', '-config', 'ca.cnf', '-gencrl', '-out', 'crl.pem']);
    ca.run(['ca', '-config', 'ca.cnf', '-gencrl', '-crl_lastupdate', '20200101000000Z', '-crl_nextupdate', '20200108000000Z', '-out', 'expired.pem']);
    ca.run(['ca', '-config', 'ca.cnf', '-gencrl', '-crlexts', 'shard_ext', '-out', 'shard.pem']);
    crl.current = ca.file('crl.pem');
    crl.expired = ca.file('expired.pem');
    crl.shard = ca.file('shard.pem');
    // A CA with the same name and another key (a rogue signer), and another CA altogether.
    const rogue = makeCa(join(dir, 'rogue'), '/CN=CRL Test CA/O=staple-probe');
    rogue.run(['ca', '-config', 'ca.cnf', '-gencrl', '-out', 'crl.pem']);
    crl.rogue = rogue.file('crl.pem');
    const foreign = makeCa(join(dir, 'foreign'), '/CN=Other CA/O=elsewhere');
    foreign.run(['ca', '-config', 'ca.cnf', '-gencrl', '-out', 'crl.pem']);
    crl.foreign = foreign.file('crl.pem');
  }, 120_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  // openssl ca stamps its CRLs with the real clock, so they are judged at the real clock.
  const ctx = (leaf: Cert, over: Partial<CrlContext> = {}): CrlContext => ({
    leaf,
    issuer: caCert,
    url: URL1,
    now: Date.now(),
    skewMs: 300 * S,
    warnRemainingMs: 2 * D,
    critRemainingMs: 0,
    verifier,
    ...over,
  });
  const codes = (j: CrlJudgement) => j.problems.map((p) => p.code);
  const leaf = (n: number) => leaves[n - 1] as Cert;

  it.runIf(bin)('revoked with -crl_reason keyCompromise: revoked, keyCompromise', async () => {
    const j = await judgeCrlBytes(crl.current, ctx(leaf(1)));
    expect(codes(j)).toEqual(['CRL_REVOKED']);
    expect(j.status).toBe('revoked');
    expect(j.revoked).toMatchObject({ serial: '1000', reason: 'keyCompromise', invalidityDate: null });
    expect(j).toMatchObject({ crlNumber: '01', entries: 3 });
  });
  it.runIf(bin)('revoked with -crl_reason superseded: superseded', async () => {
    expect((await judgeCrlBytes(crl.current, ctx(leaf(2)))).revoked?.reason).toBe('superseded');
  });
  it.runIf(bin)('revoked with -crl_compromise: keyCompromise and its invalidity date', async () => {
    const j = await judgeCrlBytes(crl.current, ctx(leaf(3)));
    expect(j.revoked).toMatchObject({ reason: 'keyCompromise', invalidityDate: Date.parse('2026-01-01T00:00:00Z') });
  });
  it.runIf(bin)('never revoked: not listed, no problem', async () => {
    const j = await judgeCrlBytes(crl.current, ctx(leaf(4)));
    expect(j.status).toBe('not-listed');
    expect(j.problems).toEqual([]);
  });
  it.runIf(bin)('the same CRL as DER judges the same, over the same tbsCertList', async () => {
    const der = new Uint8Array(execFileSync('openssl', ['crl', '-in', join(dir, 'ca', 'crl.pem'), '-outform', 'DER']));
    expect(parseCrl(der).tbs).toEqual(parseCrl(crl.current).tbs);
    expect((await judgeCrlBytes(der, ctx(leaf(1)))).status).toBe('revoked');
  });
  it.runIf(bin)('expired (-crl_nextupdate in 2020): CRL_EXPIRED; "not listed" is not claimed, a revocation still is', async () => {
    const quiet = await judgeCrlBytes(crl.expired, ctx(leaf(4)));
    expect(codes(quiet)).toEqual(['CRL_EXPIRED']);
    expect(quiet.status).toBe('unusable');
    const listed = await judgeCrlBytes(crl.expired, ctx(leaf(1)));
    expect(codes(listed)).toEqual(['CRL_REVOKED', 'CRL_EXPIRED']);
  });
  it.runIf(bin)('the same name, another key (a rogue signer): CRL_BAD_SIGNATURE, unusable', async () => {
    const j = await judgeCrlBytes(crl.rogue, ctx(leaf(4)));
    expect(codes(j)).toEqual(['CRL_KEY_ID_MISMATCH', 'CRL_BAD_SIGNATURE']);
    expect(j.status).toBe('unusable');
  });
  it.runIf(bin)('another CA’s CRL: CRL_ISSUER_MISMATCH, unusable', async () => {
    const j = await judgeCrlBytes(crl.foreign, ctx(leaf(4)));
    expect(codes(j)).toEqual(['CRL_ISSUER_MISMATCH']);
    expect(j.status).toBe('unusable');
  });
  it.runIf(bin)('an IDP shard for another URL than the certificate names: CRL_WRONG_SCOPE, unusable even for a listed certificate', async () => {
    expect(parseCrl(crl.shard).issuingDistributionPoint).toMatchObject({ distributionPoint: { kind: 'fullName', uris: [URL2] }, onlyContainsUserCerts: true });
    const j = await judgeCrlBytes(crl.shard, ctx(leaf(1)));
    expect(j.problems).toEqual([{ code: 'CRL_WRONG_SCOPE', args: { url: URL1, reason: 'distribution-point', covers: URL2 } }]);
    expect(j.status).toBe('unusable');
    // Fetched from the URL it names, it is in scope.
    expect((await judgeCrlBytes(crl.shard, ctx(leaf(1), { url: URL2 }))).status).toBe('revoked');
  });
});

describe('the kit’s CRLs read by openssl crl', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'staple-probe-kit-crl-'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const NOW = Date.now();

  /** openssl's verdict on a DER CRL's signature with `issuer` as the only CA, printed on stderr. */
  const opensslVerify = (name: string, der: Uint8Array, issuer: Issued): string => {
    writeFileSync(join(dir, `${name}.der`), der);
    writeFileSync(join(dir, `${name}-ca.pem`), issuer.pem);
    const run = spawnSync('openssl', ['crl', '-inform', 'DER', '-in', `${name}.der`, '-CAfile', `${name}-ca.pem`, '-noout'], { cwd: dir, encoding: 'utf8' });
    return `${run.stdout}${run.stderr}`;
  };

  for (const keyKind of ['rsa2048', 'rsa-pss', 'p256', 'p384', 'ed25519'] as const satisfies readonly KeyKind[]) {
    it.runIf(bin)(`${keyKind}: openssl says verify OK, and verify failure once damaged, as we do`, async () => {
      const dates = { notBefore: new Date(NOW - D), notAfter: new Date(NOW + 30 * D) };
      const issuer = await issue({ ...dates, subject: `CN=Kit ${keyKind} CA`, serial: '0b', ca: true, keyKind });
      const leaf = await issue({ ...dates, issuer, subject: 'CN=leaf', serial: '1005', keyKind: 'p256', crlUrls: [URL1] });
      const spec = {
        issuer,
        thisUpdate: new Date(NOW - 60 * S),
        nextUpdate: new Date(NOW + 7 * D),
        entries: [{ serial: '1005', revocationDate: new Date(NOW - D), reason: 'keyCompromise' as const }],
        idp: { urls: [URL1], onlyContainsUserCerts: true, onlySomeReasons: ['keyCompromise', 'cACompromise'] satisfies CrlReasonFlag[] },
      };
      const ctx = {
        leaf: parseCertificate(leaf.der),
        issuer: parseCertificate(issuer.der),
        url: URL1,
        now: NOW,
        skewMs: 0,
        warnRemainingMs: D,
        critRemainingMs: 0,
      };
      const good = await buildCrl(spec);
      expect(opensslVerify(keyKind, good, issuer)).toContain('verify OK');
      // A listing in a CRL of only some reasons still counts.
      expect((await judgeCrl(parseCrl(good), ctx)).status).toBe('revoked');
      const bad = await buildCrl({ ...spec, corruptSignature: true });
      expect(opensslVerify(`${keyKind}-bad`, bad, issuer)).toContain('verify failure');
      expect((await judgeCrl(parseCrl(bad), ctx)).problems.map((p) => p.code)).toEqual(['CRL_BAD_SIGNATURE', 'CRL_PARTIAL_REASONS']);
      // openssl reads the IDP the kit wrote as we do: the shard's URL, user certificates only, two reasons.
      const text = execFileSync('openssl', ['crl', '-inform', 'DER', '-in', `${keyKind}.der`, '-noout', '-text'], { cwd: dir, encoding: 'utf8' });
      expect(text).toMatch(
        /Issuing Distribution Point: critical[\s\S]*URI:http:\/\/crl\.test\/1\.crl[\s\S]*Only User Certificates[\s\S]*Key Compromise, CA Compromise/,
      );
      expect(text).toMatch(/Serial Number: 1005[\s\S]*Key Compromise/);
    });
  }
});

/** The process's resident and peak resident set, in KiB (Linux). */
function residentKiB(): { rss: number; peak: number } {
  const status = readFileSync('/proc/self/status', 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
  return { rss: field('VmRSS'), peak: field('VmHWM') };
}

/** Reset the peak resident set to the current one (Linux ≥ 4.0: writing 5 to clear_refs). */
function resetPeak(): void {
  writeFileSync('/proc/self/clear_refs', '5');
}

describe('a CRL of a million entries', () => {
  let dir = '';
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('openssl crl reads the kit’s file; the last serial and an absent one are looked up without the process growing', async () => {
    const NOW = Date.now();
    const pki = await createPki({ notBefore: new Date(NOW - D) });
    const leaf = await issue({
      issuer: pki.intermediate,
      subject: 'CN=localhost',
      serial: '1005',
      keyKind: 'p256',
      notBefore: new Date(NOW - D),
      notAfter: new Date(NOW + 30 * D),
    });
    const der = await buildCrl({
      issuer: pki.intermediate,
      thisUpdate: new Date(NOW - 60 * S),
      nextUpdate: new Date(NOW + 7 * D),
      count: 1_000_000,
      bulk: { serialLength: 10, reason: 'superseded' },
      entries: [{ serial: '1005', revocationDate: new Date(NOW - D), reason: 'keyCompromise' }],
    });
    expect(der.byteLength).toBeGreaterThan(40_000_000);
    if (bin || process.env.CI === 'true') {
      dir = mkdtempSync(join(tmpdir(), 'staple-probe-big-crl-'));
      writeFileSync(join(dir, 'big.der'), der);
      const run = spawnSync('openssl', ['crl', '-inform', 'DER', '-in', 'big.der', '-noout'], { cwd: dir, encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
    }

    const crl = parseCrl(der);
    // Warm the walk once (its code compiled), then measure the peak resident set of a lookup from now on.
    expect(findRevoked(crl, bulkSerial(0, 10)).entry?.reason).toBe('superseded');
    resetPeak();
    const before = residentKiB();
    const last = findRevoked(crl, '1005');
    const absent = findRevoked(crl, '1006');
    const middle = findRevoked(crl, bulkSerial(654_321, 10));
    const after = residentKiB();
    expect(last.entry).toMatchObject({ serial: '1005', reason: 'keyCompromise', revocationDate: Math.floor((NOW - D) / 1000) * 1000 });
    expect(last.entries).toBe(1_000_001);
    expect(absent).toEqual({ entry: null, entries: 1_000_001, unknownCriticalEntryExtensions: [] });
    expect(middle.entry?.serial).toBe(bulkSerial(654_321, 10));
    expect(after.peak - before.rss).toBeLessThan(4 * 1024);

    // The whole judgement, signature over the 43 MB tbsCertList included.
    const j = await judgeCrl(crl, {
      leaf: parseCertificate(leaf.der),
      issuer: parseCertificate(pki.intermediate.der),
      url: null,
      now: NOW,
      skewMs: 0,
      warnRemainingMs: D,
      critRemainingMs: 0,
    });
    expect(j.status).toBe('revoked');
    expect(j.entries).toBe(1_000_001);
  }, 120_000);
});
