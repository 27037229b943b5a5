/**
 * patches/@peculiar__utils@4.1.0.patch gives `toUint8Array` of @peculiar/utils (which asn1js calls several
 * times per parsed block) a fast path. These tests hold that the patch is applied to the copy asn1js loads and
 * that its results are what the unpatched function returned: a Uint8Array over the same bytes, never a copy,
 * never a Buffer (whose slice() shares memory where asn1js expects a copy).
 */
import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as asn1js from 'asn1js';
import { describe, expect, it } from 'vitest';

// pnpm links a dependency's own dependencies beside it: asn1js's @peculiar/utils is in the same node_modules.
const asn1Dir = dirname(realpathSync(createRequire(import.meta.url).resolve('asn1js/package.json')));
const utils = (await import(pathToFileURL(join(asn1Dir, '..', '@peculiar', 'utils', 'build', 'index.js')).href)) as {
  toUint8Array(data: unknown): Uint8Array;
};

describe('the @peculiar/utils patch', () => {
  it('is applied to the copy asn1js uses: a plain Uint8Array comes back as the same object', () => {
    const bytes = new Uint8Array([1, 2, 3]);
    expect(utils.toUint8Array(bytes)).toBe(bytes);
  });

  it('gives a plain Uint8Array over the same bytes for every other kind of input', () => {
    const buffer = new ArrayBuffer(8);
    new Uint8Array(buffer).set([0, 1, 2, 3, 4, 5, 6, 7]);
    const nodeBuffer = Buffer.from(buffer, 2, 4);
    const inputs: [string, unknown, number[]][] = [
      ['ArrayBuffer', buffer, [0, 1, 2, 3, 4, 5, 6, 7]],
      ['Buffer (a Uint8Array subclass)', nodeBuffer, [2, 3, 4, 5]],
      ['DataView', new DataView(buffer, 1, 3), [1, 2, 3]],
      ['Uint16Array', new Uint16Array(buffer, 2, 2), [2, 3, 4, 5]],
    ];
    for (const [name, input, expected] of inputs) {
      const out = utils.toUint8Array(input);
      expect(out.constructor, name).toBe(Uint8Array);
      expect([...out], name).toEqual(expected);
      // A view, not a copy: writing through it changes the input's bytes.
      out[0] = 99;
      expect(new Uint8Array(buffer)[expected[0] as number], name).toBe(99);
      new Uint8Array(buffer)[expected[0] as number] = expected[0] as number;
    }
  });

  it('still rejects what is not a buffer source', () => {
    for (const input of [null, undefined, 'text', 42, {}, [1, 2]]) expect(() => utils.toUint8Array(input)).toThrow(TypeError);
  });

  it('leaves asn1js results unchanged: valueBeforeDecode is a copy, a Buffer input is not aliased', () => {
    const der = Buffer.from('300602010102010200', 'hex').subarray(0, 8);
    const parsed = asn1js.fromBER(der);
    expect(parsed.offset).toBe(8);
    const seq = parsed.result as asn1js.Sequence;
    expect(seq.valueBlock.value.map((v) => (v as asn1js.Integer).valueBlock.valueDec)).toEqual([1, 2]);
    const before = new Uint8Array(seq.valueBeforeDecode);
    expect(Buffer.from(before).toString('hex')).toBe('3006020101020102');
    before[0] = 0;
    expect(der[0]).toBe(0x30);
  });
});
