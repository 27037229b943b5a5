import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type {
  AttemptEvidence,
  Finding,
  FindingArgs,
  FindingCode,
  HttpExchange,
  HttpFailureKind,
  LiveEvidence,
  Offer,
  ProbeEvidence,
  Report,
  TlsFailure,
  TlsFailureKind,
  TlsVersion,
} from '@staple-probe/core';
import type { Issued } from '@staple-probe/core/testing';

export const repoFile = (path: string): URL => new URL(`../${path}`, import.meta.url);
export const readRepoFile = (path: string): Uint8Array => new Uint8Array(readFileSync(repoFile(path)));

/** Finding codes of a report, sorted, for exact comparisons. */
export const codes = (report: Report): string[] => report.findings.map((f) => f.code).sort();

/** The args of `finding` when its code is `code`, typed for that code; undefined for another code or none. */
export function argsOf<C extends FindingCode>(finding: Finding | undefined, code: C): FindingArgs[C] | undefined {
  // The code was just compared: these are that code's args (the compiler does not follow a generic code).
  return finding?.code === code ? (finding.args as FindingArgs[C]) : undefined;
}

/**
 * One handshake in synthetic evidence: a staple (or null), or a failure kind; with the offer that made it
 * (default: Node's hello) and the leaf it got (default: the evidence's). Handshakes start in list order.
 */
export type Step = (
  { v: TlsVersion; staple: Uint8Array | null; leaf?: Issued } | { v: TlsVersion; fail: TlsFailureKind; starttls?: TlsFailure['starttls'] }
) & {
  offer?: Offer;
};

/** Build ProbeEvidence for one address without touching the network, for testing `assess` alone. */
export function evidence(
  steps: readonly Step[],
  options: {
    leaf: Issued;
    chain?: readonly Issued[];
    issuer?: Issued | null;
    extra?: readonly Issued[];
    resolveFailed?: boolean;
    /** Live answers; without them the evidence says the live query was switched off. */
    live?: readonly LiveEvidence[];
    authorizationError?: string;
    nameError?: string;
    /** More addresses of the same host, each with its own handshakes (and leaf, default the same). */
    more?: readonly { address: string; steps: readonly Step[]; leaf?: Issued }[];
    /** Body served at the leaf's AIA caIssuers URL, fetched because no local source had the issuer. */
    issuerFetchBody?: Uint8Array;
    /** Or the whole exchange of that fetch (a failed one, say). */
    issuerFetch?: HttpExchange;
    /** CRL downloads of the leaf: a body (served 200) or a whole exchange; `url` defaults to CRL_URL. */
    crls?: readonly { url?: string; body?: Uint8Array; exchange?: HttpExchange }[];
    /** CRL checking switched off (--no-crl). */
    crlDisabled?: boolean;
  },
): ProbeEvidence {
  const attemptsOf = (steps: readonly Step[], leaf: Issued): AttemptEvidence[] => {
    const counters = new Map<string, number>();
    return steps.map((step, order) => {
      const offer = step.offer ?? 'default';
      const attempt = (counters.get(`${step.v}:${offer}`) ?? 0) + 1;
      counters.set(`${step.v}:${offer}`, attempt);
      if ('fail' in step) {
        return {
          attempt,
          tlsVersion: step.v,
          offer,
          order,
          outcome: {
            ok: false,
            error: { kind: step.fail, message: `simulated ${step.fail}`, code: null, ...(step.starttls ? { starttls: step.starttls } : {}) },
            durationMs: 1,
          },
        };
      }
      return {
        attempt,
        tlsVersion: step.v,
        offer,
        order,
        outcome: {
          ok: true,
          protocol: step.v === '1.3' ? 'TLSv1.3' : 'TLSv1.2',
          cipher: 'TEST',
          staple: step.staple,
          chain: [(step.leaf ?? leaf).der, ...(options.chain ?? []).map((c) => c.der)],
          authorizationError: options.authorizationError ?? null,
          nameError: options.nameError ?? null,
          durationMs: 1,
        },
      };
    });
  };
  const leafKey = createHash('sha256').update(options.leaf.der).digest('hex');
  return {
    kind: 'probe',
    target: { input: 'staple.test:443', host: 'staple.test', port: 443, servername: 'staple.test' },
    resolveError: options.resolveFailed ? { kind: 'dns', message: 'staple.test: getaddrinfo ENOTFOUND', code: 'ENOTFOUND' } : null,
    addresses: options.resolveFailed
      ? []
      : [
          { address: '127.0.0.1', family: 4, attempts: attemptsOf(steps, options.leaf) },
          ...(options.more ?? []).map((m) => ({ address: m.address, family: 6 as const, attempts: attemptsOf(m.steps, m.leaf ?? options.leaf) })),
        ],
    issuer: options.issuer ? options.issuer.der : null,
    extraCerts: (options.extra ?? []).map((c) => c.der),
    live: options.live ?? [],
    liveDisabled: options.live === undefined,
    issuerFetches: options.issuerFetch
      ? [{ leaf: leafKey, url: 'http://127.0.0.1:8080/intermediate.der', exchange: options.issuerFetch }]
      : options.issuerFetchBody
        ? [
            {
              leaf: leafKey,
              url: 'http://127.0.0.1:8080/intermediate.der',
              exchange: exchange(options.issuerFetchBody, { url: 'http://127.0.0.1:8080/intermediate.der', contentType: 'application/pkix-cert' }),
            },
          ]
        : [],
    ...(options.crls
      ? {
          crls: options.crls.map((c) => {
            const url = c.url ?? CRL_URL;
            return { leaf: leafKey, url, exchange: c.exchange ?? exchange(c.body ?? new Uint8Array(), { url, contentType: 'application/pkix-crl' }) };
          }),
        }
      : {}),
    ...(options.crlDisabled ? { crlDisabled: true } : {}),
  };
}

/** The CRL distribution point of the leaves the CRL tests issue. */
export const CRL_URL = 'http://127.0.0.1:8080/int.crl';

export const RESPONDER_URL = 'http://127.0.0.1:8080/ocsp';

/** A completed HTTP exchange, as the live query or an AIA fetch records it. */
export function exchange(
  body: Uint8Array,
  over: { status?: number; contentType?: string | null; url?: string; redirectedTo?: readonly string[] } = {},
): HttpExchange {
  const url = over.url ?? RESPONDER_URL;
  const redirects = over.redirectedTo ?? [];
  return {
    url,
    method: 'GET',
    ok: true,
    status: over.status ?? 200,
    contentType: over.contentType === undefined ? 'application/ocsp-response' : over.contentType,
    body,
    finalUrl: redirects.at(-1) ?? url,
    redirects: redirects.length,
    durationMs: 1,
  };
}

/** A failed HTTP exchange. */
export function failedExchange(kind: HttpFailureKind, message = `simulated ${kind}`): HttpExchange {
  return { url: RESPONDER_URL, method: 'GET', ok: false, error: { kind, message }, redirects: 0, durationMs: 1 };
}

/** The live evidence for `leaf`, answered with `ex`. */
export function liveOf(leaf: Issued, ex: HttpExchange, nonce: Uint8Array | null = null): LiveEvidence {
  return { leaf: createHash('sha256').update(leaf.der).digest('hex'), ocspUrl: RESPONDER_URL, nonce, exchange: ex };
}

/** Run `work` while sampling this process's RSS every 5 ms: its result, wall time, and peak RSS growth in MiB. */
export async function withPeakRss<T>(work: () => Promise<T>): Promise<{ result: T; elapsedMs: number; rssGrowthMiB: number }> {
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  const started = performance.now();
  try {
    const result = await work();
    const elapsedMs = performance.now() - started;
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, elapsedMs, rssGrowthMiB: (peak - before) / (1024 * 1024) };
  } finally {
    clearInterval(sampler);
  }
}

/** One hostile case's outcome: its time against its deadline, the RSS it added, what it reported. */
export interface HostileCase {
  readonly name: string;
  readonly deadlineMs: number;
  readonly elapsedMs: number;
  /** How far past the deadline, as a fraction (0 when within it). */
  readonly overrun: number;
  readonly rssGrowthMiB: number;
  readonly findings: readonly string[];
}

/** Write a hostile suite's cases to .tmp/<file> and log them, the worst overrun and the peak RSS growth first. */
export function reportHostileCases(title: string, file: string, cases: readonly HostileCase[], extra: Record<string, unknown> = {}): void {
  const worst = cases.reduce((w, r) => (r.overrun > w.overrun ? r : w), cases[0] ?? { name: '-', overrun: 0 });
  const peak = Math.max(...cases.map((r) => r.rssGrowthMiB));
  mkdirSync('.tmp', { recursive: true });
  writeFileSync(`.tmp/${file}`, `${JSON.stringify({ cases, worstOverrun: worst, peakRssGrowthMiB: peak, ...extra }, null, 2)}\n`);
  const rows = cases.map(
    (r) =>
      `  ${r.name.padEnd(34)} ${r.elapsedMs.toFixed(0).padStart(5)} ms of ${String(r.deadlineMs).padStart(5)} ms (${(r.overrun * 100).toFixed(1)}% over)  RSS +${r.rssGrowthMiB.toFixed(1)} MiB  ${r.findings.join(' ')}`,
  );
  console.log(
    `${title}: ${cases.length} cases; worst overrun ${(worst.overrun * 100).toFixed(1)}% (${worst.name}); peak RSS growth ${peak.toFixed(1)} MiB\n${rows.join('\n')}`,
  );
}
