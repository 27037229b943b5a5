/** `ipVersion` (node:net's isIP) and the IP literals `parseTarget` accepts. */
import { ipVersion, parseTarget, TargetError } from '@staple-probe/core';
import { describe, expect, it } from 'vitest';

describe('ipVersion', () => {
  const cases: [string, 0 | 4 | 6][] = [
    ['192.0.2.7', 4],
    ['255.255.255.255', 4],
    ['256.1.1.1', 0],
    ['01.2.3.4', 0],
    ['::1', 6],
    ['2001:db8::5', 6],
    ['::ffff:10.0.0.1', 6],
    ['fe80::1%eth0', 6],
    ['[::1]', 0],
    ['1::2::3', 0],
    ['example.com', 0],
    ['example.com:443', 0],
    ['', 0],
  ];
  for (const [text, version] of cases) {
    it(`${JSON.stringify(text)} -> ${version}`, () => expect(ipVersion(text)).toBe(version));
  }
});

describe('parseTarget with IP literals', () => {
  it('an IPv4 literal with a port: no SNI', () => {
    expect(parseTarget('192.0.2.7:8443')).toEqual({ input: '192.0.2.7:8443', host: '192.0.2.7', port: 8443, servername: null });
  });
  it('a bare and a bracketed IPv6 literal', () => {
    expect(parseTarget('2001:db8::5')).toMatchObject({ host: '2001:db8::5', port: 443, servername: null });
    expect(parseTarget('[::ffff:10.0.0.1]:853')).toMatchObject({ host: '::ffff:10.0.0.1', port: 853, servername: null });
  });
  it('brackets around something that is not IPv6 -> TargetError', () => {
    expect(() => parseTarget('[192.0.2.7]:443')).toThrow(TargetError);
  });
});
