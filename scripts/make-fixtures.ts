/**
 * Regenerates fixtures/: the test PKI and one OCSP response per behaviour scenario, on a fixed clock.
 *
 *   pnpm fixtures            # rewrite fixtures/ from the keys in fixtures/keys/
 *   pnpm fixtures --new-keys # also make new keys (every output changes)
 *
 * With the committed keys the output is byte-for-byte reproducible: every date is fixed, serials are
 * fixed, and all signatures are RSA PKCS#1 v1.5, which is deterministic. Run it twice and `git diff` is empty.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { webcrypto } from 'node:crypto';
import { createPki, importKeys, makeStaple, STAPLE_SCENARIOS, toPem, type KeyKind, type TestPki } from '../packages/probe-core/src/testing/index.js';

/** The instant every fixture is made for; tests judge the fixtures at this time. */
export const FIXTURE_NOW = new Date('2026-01-15T12:00:00Z');
const PKI_NOT_BEFORE = new Date('2026-01-01T00:00:00Z');

const root = new URL('../fixtures/', import.meta.url);
const out = (path: string) => new URL(path, root);
const ROLES: readonly (keyof TestPki)[] = [
  'root',
  'intermediate',
  'leafRsa',
  'leafEcdsa',
  'leafMustStaple',
  'leafNoOcsp',
  'delegate',
  'delegateNoEku',
  'foreignCa',
  'foreignResponder',
];
const KIND: Partial<Record<keyof TestPki, KeyKind>> = { leafEcdsa: 'p256' };
const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function pemBlocks(text: string, label: string): Uint8Array[] {
  const re = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`, 'g');
  return [...text.matchAll(re)].map((m) => new Uint8Array(Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64')));
}

async function loadKeys(): Promise<Partial<Record<keyof TestPki, webcrypto.CryptoKeyPair>>> {
  const keys: Partial<Record<keyof TestPki, webcrypto.CryptoKeyPair>> = {};
  if (process.argv.includes('--new-keys')) return keys;
  for (const role of ROLES) {
    const file = out(`keys/${kebab(role)}.pem`);
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    const [pkcs8] = pemBlocks(text, 'PRIVATE KEY');
    const [spki] = pemBlocks(text, 'PUBLIC KEY');
    if (pkcs8 && spki) keys[role] = await importKeys(KIND[role] ?? 'rsa2048', pkcs8, spki);
  }
  return keys;
}

async function main(): Promise<void> {
  for (const dir of ['keys', 'pki', 'ocsp']) mkdirSync(out(dir), { recursive: true });
  const keys = await loadKeys();
  const pki = await createPki({ notBefore: PKI_NOT_BEFORE, days: 3650, names: ['localhost', 'staple.test'], ocspUrl: 'http://127.0.0.1:8080/ocsp', keys });
  for (const role of ROLES) {
    const issued = pki[role];
    const spki = new Uint8Array(await webcrypto.subtle.exportKey('spki', issued.keys.publicKey as webcrypto.CryptoKey));
    writeFileSync(out(`keys/${kebab(role)}.pem`), issued.keyPem + toPem('PUBLIC KEY', spki));
    writeFileSync(out(`pki/${kebab(role)}.pem`), issued.pem);
  }
  writeFileSync(out('pki/chain.pem'), pki.intermediate.pem + pki.root.pem);
  for (const scenario of STAPLE_SCENARIOS) {
    writeFileSync(out(`ocsp/${scenario}.der`), await makeStaple(pki, scenario, { now: FIXTURE_NOW }));
  }
  // The ECDSA leaf gets its own good response, so both leaf key types have a fixture.
  writeFileSync(out('ocsp/good-ecdsa-leaf.der'), await makeStaple(pki, 'good', { now: FIXTURE_NOW, leaf: pki.leafEcdsa }));
  process.stdout.write(`fixtures written for ${FIXTURE_NOW.toISOString()}: ${ROLES.length} certificates, ${STAPLE_SCENARIOS.length + 1} responses\n`);
}

await main();
