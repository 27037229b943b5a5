/** The public `decodeOcspResponse`: the flat, JSON-safe view of a response, with no internal shapes. */
import { DecodeError, type DecodedResponse, decodeOcspResponse } from '@staple-probe/core';
import { describe, expect, it } from 'vitest';
import { readRepoFile } from '../helpers.js';

const decode = (name: string): DecodedResponse => decodeOcspResponse(readRepoFile(`fixtures/ocsp/${name}.der`));

describe('decodeOcspResponse (public)', () => {
  it('revoked.der -> the flat view: ISO-8601 times, hex hashes, the revocation decoded', () => {
    const view = decode('revoked');
    expect(view).toMatchObject({ length: 479, responseStatus: 'successful', responseStatusCode: 0, responseType: '1.3.6.1.5.5.7.48.1.1' });
    expect(view.basic?.producedAt).toBe('2026-01-15T11:00:00.000Z');
    expect(view.basic?.responses).toEqual([
      {
        certId: {
          hashAlgorithm: 'sha1',
          hashAlgorithmOid: '1.3.14.3.2.26',
          issuerNameHash: 'd7cd752cd42f0a88b746570c35546d472399f40f',
          issuerKeyHash: 'da122409ccfc88c820bc4822c55754faa735c481',
          serial: '1001',
        },
        certStatus: 'revoked',
        revocationTime: '2026-01-12T12:00:00.000Z',
        revocationReason: 'keyCompromise',
        thisUpdate: '2026-01-15T11:00:00.000Z',
        nextUpdate: '2026-01-22T11:00:00.000Z',
        extensions: [],
      },
    ]);
  });

  it('has only the DecodedResponse keys and survives a JSON round trip (no bytes, no parser objects)', () => {
    const view = decode('good-delegate');
    expect(Object.keys(view).sort()).toEqual(['basic', 'length', 'responseStatus', 'responseStatusCode', 'responseType', 'sha256']);
    expect(JSON.parse(JSON.stringify(view))).toEqual(view);
    expect(view.basic?.certs.map((c) => c.serial)).toEqual(['2001']);
  });

  it('no-next-update.der -> nextUpdate null; try-later.der -> the error status and no basic response', () => {
    expect(decode('no-next-update').basic?.responses[0]?.nextUpdate).toBeNull();
    expect(decode('try-later')).toMatchObject({ responseStatus: 'tryLater', responseStatusCode: 3, responseType: null, basic: null });
  });

  it('malformed.der -> DecodeError', () => {
    expect(() => decode('malformed')).toThrow(DecodeError);
  });
});
