/**
 * The trust-anchor lookup that cuts the anchors Node appends to a served chain (shell/tls.ts anchorIndex):
 * keyed by the first PEM line, compared whole, for every PEM layout.
 */
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { readCertificates } from '../../packages/probe-core/src/core/certificate.js';
import { anchorIndex } from '../../packages/probe-core/src/shell/tls.js';

const der = (file: string) => readCertificates(new Uint8Array(readFileSync(new URL(`../../fixtures/pki/${file}`, import.meta.url)))) as Uint8Array[];
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const [root] = der('root.pem') as [Uint8Array];
const [intermediate] = der('intermediate.pem') as [Uint8Array];
const pem = (bytes: Uint8Array, width: number, eol = '\n') =>
  `-----BEGIN CERTIFICATE-----${eol}${(b64(bytes).match(new RegExp(`.{1,${width}}`, 'g')) ?? []).join(eol)}${eol}-----END CERTIFICATE-----${eol}`;

describe('anchorIndex', () => {
  it('finds an anchor written with 64-character lines, and not a certificate absent from the list', () => {
    const isAnchor = anchorIndex([pem(root, 64)]);
    expect(isAnchor(b64(root))).toBe(true);
    expect(isAnchor(b64(intermediate))).toBe(false);
  });

  it('finds anchors in other layouts: 76- and 40-character lines, CRLF, text before the PEM, a bundle of two', () => {
    expect(anchorIndex([pem(root, 76)])(b64(root))).toBe(true);
    expect(anchorIndex([pem(root, 40)])(b64(root))).toBe(true);
    expect(anchorIndex([pem(root, 40)])(b64(intermediate))).toBe(false);
    expect(anchorIndex([pem(root, 64, '\r\n')])(b64(root))).toBe(true);
    expect(anchorIndex([`# our root\n${pem(root, 64)}`])(b64(root))).toBe(true);
    const bundle = anchorIndex([pem(intermediate, 64) + pem(root, 64)]);
    expect(bundle(b64(root))).toBe(true);
    expect(bundle(b64(intermediate))).toBe(true);
  });

  it('compares the whole certificate, not just the first line', () => {
    const isAnchor = anchorIndex([pem(root, 64)]);
    const tampered = Uint8Array.from(root);
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] as number) ^ 1;
    expect(b64(tampered).slice(0, 64)).toBe(b64(root).slice(0, 64));
    expect(isAnchor(b64(tampered))).toBe(false);
  });

  it("finds each of Node's bundled roots", () => {
    const isAnchor = anchorIndex(rootCertificates);
    for (const text of rootCertificates) {
      const [cert] = readCertificates(new Uint8Array(Buffer.from(text, 'latin1')));
      expect(isAnchor(b64(cert as Uint8Array))).toBe(true);
    }
    expect(isAnchor(b64(root))).toBe(false);
  });
});
