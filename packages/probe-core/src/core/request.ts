import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { digest, toArrayBuffer } from './bytes.js';
import type { Cert } from './certificate.js';
import { OID } from './oids.js';

/**
 * An OCSPRequest for one certificate (RFC 6960 §4.1.1), with a SHA-1 CertID as RFC 5019 §2.1.1 profiles
 * it, so that responders which only index SHA-1 answer. A nonce is added only when given.
 */
export function buildOcspRequest(leaf: Cert, issuer: Cert, nonce?: Uint8Array): Uint8Array {
  const serial = leaf.serial.length % 2 ? `0${leaf.serial}` : leaf.serial;
  const serialBytes = Buffer.from(Number.parseInt(serial.slice(0, 2), 16) >= 0x80 ? `00${serial}` : serial, 'hex');
  const request = new pkijs.OCSPRequest({
    tbsRequest: new pkijs.TBSRequest({
      requestList: [
        new pkijs.Request({
          reqCert: new pkijs.CertID({
            hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha1, algorithmParams: new asn1js.Null() }),
            issuerNameHash: new asn1js.OctetString({ valueHex: toArrayBuffer(digest('sha1', leaf.issuerDer)) }),
            issuerKeyHash: new asn1js.OctetString({ valueHex: toArrayBuffer(digest('sha1', issuer.publicKey)) }),
            serialNumber: new asn1js.Integer({ valueHex: toArrayBuffer(new Uint8Array(serialBytes)) }),
          }),
        }),
      ],
      ...(nonce
        ? {
            requestExtensions: [
              new pkijs.Extension({
                extnID: OID.ocspNonce,
                extnValue: new asn1js.OctetString({ valueHex: toArrayBuffer(nonce) }).toBER(),
              }),
            ],
          }
        : {}),
    }),
  });
  return new Uint8Array(request.toSchema(true).toBER());
}
