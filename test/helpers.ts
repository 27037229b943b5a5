import { readFileSync } from 'node:fs';
import type { AttemptEvidence, ProbeEvidence, Report, TlsFailureKind, TlsVersion } from '@staple-probe/core';
import type { Issued } from '@staple-probe/core/testing';

export const repoFile = (path: string): URL => new URL(`../${path}`, import.meta.url);
export const readRepoFile = (path: string): Uint8Array => new Uint8Array(readFileSync(repoFile(path)));

/** Finding codes of a report, sorted, for exact comparisons. */
export const codes = (report: Report): string[] => report.findings.map((f) => f.code).sort();

/** One handshake in synthetic evidence: a staple (or null), or a failure kind. */
export type Step = { v: TlsVersion; staple: Uint8Array | null } | { v: TlsVersion; fail: TlsFailureKind };

/** Build ProbeEvidence for one address without touching the network, for testing `assess` alone. */
export function evidence(
  steps: readonly Step[],
  options: { leaf: Issued; chain?: readonly Issued[]; issuer?: Issued | null; extra?: readonly Issued[]; resolveFailed?: boolean },
): ProbeEvidence {
  const counters = new Map<TlsVersion, number>();
  const attempts: AttemptEvidence[] = steps.map((step) => {
    const attempt = (counters.get(step.v) ?? 0) + 1;
    counters.set(step.v, attempt);
    if ('fail' in step) {
      return { attempt, tlsVersion: step.v, outcome: { ok: false, error: { kind: step.fail, message: `simulated ${step.fail}`, code: null }, durationMs: 1 } };
    }
    return {
      attempt,
      tlsVersion: step.v,
      outcome: {
        ok: true,
        protocol: step.v === '1.3' ? 'TLSv1.3' : 'TLSv1.2',
        cipher: 'TEST',
        staple: step.staple,
        chain: [options.leaf.der, ...(options.chain ?? []).map((c) => c.der)],
        durationMs: 1,
      },
    };
  });
  return {
    kind: 'probe',
    target: { input: 'staple.test:443', host: 'staple.test', port: 443, servername: 'staple.test' },
    resolveError: options.resolveFailed ? { kind: 'dns', message: 'staple.test: getaddrinfo ENOTFOUND', code: 'ENOTFOUND' } : null,
    addresses: options.resolveFailed ? [] : [{ address: '127.0.0.1', family: 4, attempts }],
    issuer: options.issuer ? options.issuer.der : null,
    extraCerts: (options.extra ?? []).map((c) => c.der),
  };
}
