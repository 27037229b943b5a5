/**
 * @staple-probe/core/vitest: `toHaveVerdict` and `toHaveFinding` for vitest. A separate entry point, so that
 * vitest stays an optional peer of the library: only suites that import this need it.
 *
 * ```ts
 * import { installStapleMatchers } from '@staple-probe/core/vitest';
 * installStapleMatchers();
 * expect(report).toHaveVerdict('ok');
 * expect(report).toHaveFinding('STAPLE_LAZY');
 * ```
 * @packageDocumentation
 */
import { expect } from 'vitest';
import type { FindingCode } from '../findings.js';
import { renderMessage } from '../message.js';
import type { Finding, Report, Verdict } from '../types.js';

interface MatcherResult {
  pass: boolean;
  message: () => string;
}

function isReport(value: unknown): value is Report {
  return typeof value === 'object' && value !== null && 'verdict' in value && Array.isArray((value as Report).findings);
}

function describeFindings(findings: readonly Finding[]): string {
  return findings.length === 0 ? '(no findings)' : findings.map((f) => `${f.code}: ${renderMessage(f)}`).join('\n  ');
}

/** The matchers as plain functions, for `expect.extend` in any vitest-compatible runner. */
export const stapleMatchers = {
  /** The report's verdict is `expected` (ok, warn, critical, unknown). */
  toHaveVerdict(received: unknown, expected: Verdict): MatcherResult {
    if (!isReport(received)) return { pass: false, message: () => 'expected a staple-probe Report' };
    const pass = received.verdict === expected;
    return {
      pass,
      message: () =>
        pass
          ? `expected the verdict not to be ${expected}`
          : `expected verdict ${expected}, got ${received.verdict}; findings:\n  ${describeFindings(received.findings)}`,
    };
  },
  /** The report has a finding with `code`, and, when given, whose args include `args`. */
  toHaveFinding(received: unknown, code: FindingCode, args?: Readonly<Record<string, unknown>>): MatcherResult {
    if (!isReport(received)) return { pass: false, message: () => 'expected a staple-probe Report' };
    const found = received.findings.filter((f) => f.code === code);
    const argsOf = (f: Finding): Readonly<Record<string, unknown>> => f.args;
    const matching = args ? found.filter((f) => Object.entries(args).every(([k, v]) => argsOf(f)[k] === v)) : found;
    const pass = matching.length > 0;
    return {
      pass,
      message: () =>
        pass
          ? `expected no ${code} finding${args ? ` with ${JSON.stringify(args)}` : ''}, but found one`
          : `expected a ${code} finding${args ? ` with ${JSON.stringify(args)}` : ''}; findings:\n  ${describeFindings(received.findings)}`,
    };
  },
};

/** Register the matchers on vitest's `expect`. Call once, e.g. in a setup file. */
export function installStapleMatchers(): void {
  expect.extend(stapleMatchers);
}

interface StapleMatchers<R = unknown> {
  toHaveVerdict(expected: Verdict): R;
  toHaveFinding(code: FindingCode, args?: Readonly<Record<string, unknown>>): R;
}

declare module 'vitest' {
  // Declaration merging with vitest's own interfaces: empty bodies and `any` are how vitest documents it.
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-explicit-any
  interface Assertion<T = any> extends StapleMatchers<T> {}
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AsymmetricMatchersContaining extends StapleMatchers {}
}
