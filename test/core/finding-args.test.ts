/**
 * Finding args are typed per code (`FindingArgs`): `Finding` and `Problem` are unions over `code`, so a
 * misspelled, missing or mistyped arg does not compile. The `@ts-expect-error` lines are the test: `pnpm
 * typecheck` fails when one of them compiles.
 */
import { FINDINGS, type Finding, type FindingArgs, type FindingCode, renderMessage } from '@staple-probe/core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { Problem } from '../../packages/probe-core/src/core/problem.js';

const lazy: Finding = {
  code: 'STAPLE_LAZY',
  severity: 'info',
  args: { handshakesWithout: 1, tlsVersion: '1.2', attempt: 2 },
  where: [{ target: 'staple.test:443', address: '127.0.0.1', tlsVersion: '1.2', attempt: 2 }],
};

describe('typed finding args', () => {
  it('a misspelled arg name does not compile', () => {
    // @ts-expect-error `handshakesWithot` is not an arg of STAPLE_LAZY
    const misspelled: Problem = { code: 'STAPLE_LAZY', args: { handshakesWithot: 1, tlsVersion: '1.2', attempt: 2 } };
    // @ts-expect-error STAPLE_MISSING has `liveResponder`, not `live`
    const renamed: Finding = { code: 'STAPLE_MISSING', severity: 'warn', args: { live: 'ok' }, where: [] };
    // @ts-expect-error and reading one is refused as well
    expect(lazy.code === 'STAPLE_LAZY' && lazy.args.handshakesWithot).toBeUndefined();
    expect([misspelled, renamed]).toHaveLength(2);
  });

  it('a wrong value type, or a value outside its union, does not compile', () => {
    // @ts-expect-error handshakesWithout is a number
    const wrongType: Problem = { code: 'STAPLE_LAZY', args: { handshakesWithout: '1', tlsVersion: '1.2', attempt: 2 } };
    // @ts-expect-error liveResponder is 'ok' | 'failed' | 'not-queried'
    const outside: Problem = { code: 'STAPLE_MISSING', args: { liveResponder: 'yes' } };
    // @ts-expect-error TLS 1.1 is not a version probed
    const version: Problem = { code: 'TLS_VERSION_UNSUPPORTED', args: { tlsVersion: '1.1' } };
    expect([wrongType, outside, version]).toHaveLength(3);
  });

  it('a missing arg, or args on a code that has none, does not compile', () => {
    // @ts-expect-error `attempt` is missing
    const missing: Problem = { code: 'STAPLE_LAZY', args: { handshakesWithout: 1, tlsVersion: '1.2' } };
    // @ts-expect-error CERT_MUST_STAPLE has no args
    const extra: Problem = { code: 'CERT_MUST_STAPLE', args: { mustStaple: true } };
    expect([missing, extra]).toHaveLength(2);
  });

  it('renderMessage takes only the args of the code it renders', () => {
    // @ts-expect-error STAPLE_EXPIRED args for a STAPLE_LAZY message
    const wrong = () => renderMessage({ code: 'STAPLE_LAZY', args: { nextUpdate: '2026-03-01T00:00:00.000Z', agoSeconds: 60 } });
    expect(wrong).toBeTypeOf('function');
    expect(renderMessage(lazy)).toBe('no staple on the first handshake; the staple first appeared on TLS 1.2 attempt 2: the server fetches OCSP lazily');
  });

  it('narrowing on the code gives that code its args', () => {
    const seen: Finding = lazy;
    if (seen.code === 'STAPLE_LAZY') expectTypeOf(seen.args).toEqualTypeOf<FindingArgs['STAPLE_LAZY']>();
    expectTypeOf<Finding<'TLS_TIMEOUT'>['args']>().toEqualTypeOf<{ readonly message: string }>();
  });

  it('every catalogue code has its args type, and no args type lacks a code', () => {
    expectTypeOf<keyof FindingArgs>().toEqualTypeOf<FindingCode>();
    // @ts-expect-error a code that is not in the catalogue has no args
    type Unknown = FindingArgs['STAPLE_NO_SUCH_CODE'];
    expectTypeOf<Unknown>().toBeAny();
    expect(Object.keys(FINDINGS)).toContain('STAPLE_LAZY');
  });
});
