import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

// @peculiar/x509 needs the Reflect polyfill above (through tsyringe); that is why this testing kit, and never
// the core, imports it. The provider is set once to Node's WebCrypto.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKeyPair = webcrypto.CryptoKeyPair;
type Algorithm = webcrypto.Algorithm;
type RsaHashedKeyGenParams = webcrypto.RsaHashedKeyGenParams;
type RsaHashedImportParams = webcrypto.RsaHashedImportParams;
type EcKeyGenParams = webcrypto.EcKeyGenParams;
type EcdsaParams = webcrypto.EcdsaParams;
type RsaPssParams = webcrypto.RsaPssParams;

export type KeyKind = 'rsa2048' | 'p256' | 'p384' | 'ed25519' | 'rsa-pss';

/** A certificate with its private key, in the forms tests, servers and fixture files need. */
export interface Issued {
  readonly cert: x509.X509Certificate;
  readonly der: Uint8Array;
  readonly pem: string;
  readonly keys: CryptoKeyPair;
  readonly keyKind: KeyKind;
  /** PKCS#8 PEM of the private key (for node:tls and servers). */
  readonly keyPem: string;
}

const ALGS: Record<KeyKind, { gen: RsaHashedKeyGenParams | EcKeyGenParams | Algorithm; sign: Algorithm | EcdsaParams | RsaPssParams }> = {
  rsa2048: {
    gen: { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    sign: { name: 'RSASSA-PKCS1-v1_5' },
  },
  'rsa-pss': {
    gen: { name: 'RSA-PSS', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    sign: { name: 'RSA-PSS', saltLength: 32 } as RsaPssParams,
  },
  p256: { gen: { name: 'ECDSA', namedCurve: 'P-256' }, sign: { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams },
  p384: { gen: { name: 'ECDSA', namedCurve: 'P-384' }, sign: { name: 'ECDSA', hash: 'SHA-384' } as EcdsaParams },
  ed25519: { gen: { name: 'Ed25519' }, sign: { name: 'Ed25519' } },
};

/** The WebCrypto signing parameters for a key kind (what x509 and the OCSP builder sign with). */
export function signingAlgorithm(kind: KeyKind): Algorithm {
  return ALGS[kind].sign;
}

export async function generateKeys(kind: KeyKind): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALGS[kind].gen as RsaHashedKeyGenParams, true, ['sign', 'verify'])) as CryptoKeyPair;
}

/**
 * `subtle.importKey('pkcs8', …)`, tried twice. On Node 24.22.3 a TLS client handshake that fails with
 * ERR_SSL_DATA_LENGTH_TOO_LONG (a peer announcing an oversized TLS 1.3 record) leaves an OpenSSL error
 * behind, and the next PKCS#8 import on that thread fails with it ("Invalid keyData", caused by "record layer
 * failure"); the failed import clears it. SPKI imports, verification and digests (what the probe itself does)
 * are not affected: test/hostile/tls-peers.test.ts makes staples after such handshakes.
 */
export async function importPkcs8(
  pkcs8: Uint8Array | ArrayBuffer,
  alg: Parameters<typeof webcrypto.subtle.importKey>[2],
  extractable: boolean,
): Promise<webcrypto.CryptoKey> {
  try {
    return await webcrypto.subtle.importKey('pkcs8', pkcs8, alg, extractable, ['sign']);
  } catch (error) {
    if ((error as Error).name !== 'DataError') throw error;
    return webcrypto.subtle.importKey('pkcs8', pkcs8, alg, extractable, ['sign']);
  }
}

/** Rebuild a key pair from PKCS#8 + SPKI DER (the fixture generator keeps keys so that outputs are reproducible). */
export async function importKeys(kind: KeyKind, pkcs8: Uint8Array, spki: Uint8Array): Promise<CryptoKeyPair> {
  const alg = ALGS[kind].gen;
  const privateKey = await importPkcs8(pkcs8, alg as RsaHashedImportParams, true);
  const publicKey = await webcrypto.subtle.importKey('spki', spki, alg as RsaHashedImportParams, true, ['verify']);
  return { privateKey, publicKey } as CryptoKeyPair;
}

export function toPem(label: string, der: Uint8Array | ArrayBuffer): string {
  const b64 = Buffer.from(der instanceof Uint8Array ? der : new Uint8Array(der)).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.replace(/.{1,64}/g, '$&\n')}-----END ${label}-----\n`;
}

export interface IssueOptions {
  readonly subject: string;
  readonly serial: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly keyKind?: KeyKind;
  /** Reuse these keys instead of generating (deterministic fixtures). */
  readonly keys?: CryptoKeyPair;
  readonly issuer?: Issued;
  readonly ca?: boolean;
  readonly dnsNames?: readonly string[];
  readonly ocspUrls?: readonly string[];
  readonly caIssuers?: readonly string[];
  /** CRL distribution point URLs. */
  readonly crlUrls?: readonly string[];
  readonly ekus?: readonly string[];
  readonly mustStaple?: boolean;
  readonly ocspNoCheck?: boolean;
}

/** RFC 7633 TLS feature: SEQUENCE { INTEGER 5 } (status_request). */
const TLS_FEATURE_STATUS_REQUEST = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x05]);

/** Issue a certificate (self-signed when `issuer` is absent). */
export async function issue(options: IssueOptions): Promise<Issued> {
  const keyKind = options.keyKind ?? 'rsa2048';
  const keys = options.keys ?? (await generateKeys(keyKind));
  const issuer = options.issuer;
  const signer = issuer ?? { keys, keyKind, cert: null };
  const extensions: x509.Extension[] = [];
  if (options.ca) {
    extensions.push(new x509.BasicConstraintsExtension(true, undefined, true));
    extensions.push(new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true));
  } else {
    extensions.push(new x509.BasicConstraintsExtension(false, undefined, true));
    extensions.push(
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | (keyKind.startsWith('rsa') ? x509.KeyUsageFlags.keyEncipherment : 0), true),
    );
  }
  extensions.push(await x509.SubjectKeyIdentifierExtension.create(keys.publicKey));
  if (issuer) extensions.push(await x509.AuthorityKeyIdentifierExtension.create(issuer.cert));
  if (options.ekus?.length) extensions.push(new x509.ExtendedKeyUsageExtension([...options.ekus]));
  if (options.dnsNames?.length) {
    extensions.push(new x509.SubjectAlternativeNameExtension(options.dnsNames.map((value) => ({ type: 'dns' as const, value }))));
  }
  if (options.ocspUrls?.length || options.caIssuers?.length) {
    extensions.push(
      new x509.AuthorityInfoAccessExtension({
        ocsp: (options.ocspUrls ?? []).map((value) => new x509.GeneralName('url', value)),
        caIssuers: (options.caIssuers ?? []).map((value) => new x509.GeneralName('url', value)),
      }),
    );
  }
  if (options.crlUrls?.length) extensions.push(new x509.CRLDistributionPointsExtension([...options.crlUrls]));
  if (options.mustStaple) extensions.push(new x509.Extension('1.3.6.1.5.5.7.1.24', false, TLS_FEATURE_STATUS_REQUEST));
  if (options.ocspNoCheck) extensions.push(new x509.Extension('1.3.6.1.5.5.7.48.1.5', false, new Uint8Array([0x05, 0x00])));

  const signingAlg =
    signer.keyKind === 'rsa2048'
      ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
      : signer.keyKind === 'rsa-pss'
        ? { name: 'RSA-PSS', hash: 'SHA-256', saltLength: 32 }
        : ALGS[signer.keyKind].sign;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: options.serial,
    subject: options.subject,
    issuer: issuer ? issuer.cert.subject : options.subject,
    notBefore: options.notBefore,
    notAfter: options.notAfter,
    signingAlgorithm: signingAlg,
    publicKey: keys.publicKey,
    signingKey: signer.keys.privateKey,
    extensions,
  });
  const der = new Uint8Array(cert.rawData);
  const pkcs8 = new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey as webcrypto.CryptoKey));
  return { cert, der, pem: cert.toString('pem') + '\n', keys, keyKind, keyPem: toPem('PRIVATE KEY', pkcs8) };
}

export const EKU_OCSP_SIGNING = '1.3.6.1.5.5.7.3.9';
export const EKU_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

/** A complete throwaway PKI: the hierarchy the fixtures, the demo and the tests use. */
export interface TestPki {
  readonly root: Issued;
  readonly intermediate: Issued;
  /** RSA-2048 leaf for `names`, with the OCSP URL. */
  readonly leafRsa: Issued;
  /** ECDSA P-256 leaf, with the OCSP URL. */
  readonly leafEcdsa: Issued;
  /** Leaf with the TLS feature extension status_request (must-staple). */
  readonly leafMustStaple: Issued;
  /** Leaf without any OCSP URL. */
  readonly leafNoOcsp: Issued;
  /** Delegated responder issued by the intermediate, with id-kp-OCSPSigning. */
  readonly delegate: Issued;
  /** Certificate issued by the intermediate WITHOUT id-kp-OCSPSigning. */
  readonly delegateNoEku: Issued;
  /** Another CA, and a responder certificate it issued (with the EKU): not authorized for our intermediate. */
  readonly foreignCa: Issued;
  readonly foreignResponder: Issued;
}

export interface PkiOptions {
  /** Validity starts here; fixed in fixtures, "now minus a day" by default. */
  readonly notBefore?: Date;
  readonly days?: number;
  readonly names?: readonly string[];
  /** OCSP URL written in the leaves. */
  readonly ocspUrl?: string;
  /** AIA caIssuers URL written in the leaves (where the intermediate can be fetched). */
  readonly caIssuersUrl?: string;
  /** Keys to reuse by role name (fixtures); generated when absent. */
  readonly keys?: Partial<Record<keyof TestPki, CryptoKeyPair>>;
}

/** Make the whole test PKI. Every certificate gets a fixed serial so outputs are reproducible given the keys. */
export async function createPki(options: PkiOptions = {}): Promise<TestPki> {
  const notBefore = options.notBefore ?? new Date(Date.now() - 86_400_000);
  const notAfter = new Date(notBefore.getTime() + (options.days ?? 3650) * 86_400_000);
  const names = options.names ?? ['localhost', 'staple.test'];
  const ocspUrls = [options.ocspUrl ?? 'http://127.0.0.1:8080/ocsp'];
  const k = (role: keyof TestPki) => (options.keys?.[role] ? { keys: options.keys[role] } : {});
  const common = { notBefore, notAfter };
  const root = await issue({ ...common, ...k('root'), subject: 'CN=Staple Probe Test Root,O=staple-probe', serial: '01', ca: true });
  const intermediate = await issue({
    ...common,
    ...k('intermediate'),
    subject: 'CN=Staple Probe Test Intermediate,O=staple-probe',
    serial: '02',
    ca: true,
    issuer: root,
    caIssuers: ['http://127.0.0.1:8080/root.der'],
  });
  const leafBase = {
    ...common,
    issuer: intermediate,
    dnsNames: names,
    ekus: [EKU_SERVER_AUTH],
    caIssuers: [options.caIssuersUrl ?? 'http://127.0.0.1:8080/intermediate.der'],
  };
  const leafRsa = await issue({ ...leafBase, ...k('leafRsa'), subject: `CN=${names[0]}`, serial: '1001', ocspUrls });
  const leafEcdsa = await issue({ ...leafBase, ...k('leafEcdsa'), subject: `CN=${names[0]}`, serial: '1002', keyKind: 'p256', ocspUrls });
  const leafMustStaple = await issue({ ...leafBase, ...k('leafMustStaple'), subject: `CN=${names[0]}`, serial: '1003', ocspUrls, mustStaple: true });
  const leafNoOcsp = await issue({ ...leafBase, ...k('leafNoOcsp'), subject: `CN=${names[0]}`, serial: '1004' });
  const delegate = await issue({
    ...common,
    ...k('delegate'),
    issuer: intermediate,
    subject: 'CN=Staple Probe Test OCSP Responder,O=staple-probe',
    serial: '2001',
    ekus: [EKU_OCSP_SIGNING],
    ocspNoCheck: true,
  });
  const delegateNoEku = await issue({
    ...common,
    ...k('delegateNoEku'),
    issuer: intermediate,
    subject: 'CN=Staple Probe Test Responder Without EKU,O=staple-probe',
    serial: '2002',
    ekus: [EKU_SERVER_AUTH],
  });
  const foreignCa = await issue({ ...common, ...k('foreignCa'), subject: 'CN=Foreign Test CA,O=elsewhere', serial: '03', ca: true });
  const foreignResponder = await issue({
    ...common,
    ...k('foreignResponder'),
    issuer: foreignCa,
    subject: 'CN=Staple Probe Test OCSP Responder,O=elsewhere',
    serial: '3001',
    ekus: [EKU_OCSP_SIGNING],
  });
  return { root, intermediate, leafRsa, leafEcdsa, leafMustStaple, leafNoOcsp, delegate, delegateNoEku, foreignCa, foreignResponder };
}
