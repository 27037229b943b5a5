import type { AddressEvidence, AttemptEvidence, ProbeEvidence, Target, TlsVersion } from '../types.js';
import { type Resolver, resolveTarget } from './resolve.js';
import { handshake } from './tls.js';

/** How to gather evidence. Every field has a default. */
export interface CollectOptions {
  /** TLS versions to probe, each separately. Default both. */
  readonly tlsVersions?: readonly TlsVersion[];
  /** Full handshakes per address and version. Default 3 (nginx staples only after its first fetch). */
  readonly attempts?: number;
  /** Per-handshake deadline in ms. Default 10000. */
  readonly timeoutMs?: number;
  /** Pause after a handshake that carried no staple, giving a lazy server time to fetch. Default 250 ms. */
  readonly retryDelayMs?: number;
  /** Probe only this address instead of resolving the host. */
  readonly address?: string;
  readonly resolver?: Resolver;
  /** DER issuer certificate given by the operator. */
  readonly issuer?: Uint8Array | null;
  /** DER certificates searched for the issuer when the served chain lacks it (--ca-file). */
  readonly extraCerts?: readonly Uint8Array[];
  readonly signal?: AbortSignal;
}

const UNREACHABLE = new Set(['dns', 'refused', 'unreachable', 'timeout']);

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/** Gather the evidence for one target: resolve, then handshake on every address and version. Never throws for I/O. */
export async function collect(target: Target, options: CollectOptions = {}): Promise<ProbeEvidence> {
  const versions = options.tlsVersions ?? ['1.2', '1.3'];
  const attempts = options.attempts ?? 3;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const retryDelayMs = options.retryDelayMs ?? 250;
  const resolved = options.address
    ? await resolveTarget(options.address)
    : await resolveTarget(target.host, options.resolver);

  const addresses = await Promise.all(
    resolved.addresses.map(async ({ address, family }): Promise<AddressEvidence> => {
      const out: AttemptEvidence[] = [];
      versions: for (const tlsVersion of versions) {
        for (let attempt = 1; attempt <= attempts; attempt++) {
          if (options.signal?.aborted) break versions;
          const outcome = await handshake({
            address,
            port: target.port,
            servername: target.servername,
            tlsVersion,
            timeoutMs,
            ...(options.signal ? { signal: options.signal } : {}),
          });
          out.push({ attempt, tlsVersion, outcome });
          if (!outcome.ok) {
            // Retrying a failed handshake tells nothing new; a dead address fails the other version too.
            if (UNREACHABLE.has(outcome.error.kind)) break versions;
            break;
          }
          if (outcome.staple === null && attempt < attempts) await sleep(retryDelayMs, options.signal);
        }
      }
      return { address, family, attempts: out };
    }),
  );
  return { kind: 'probe', target, resolveError: resolved.error, addresses, issuer: options.issuer ?? null, extraCerts: options.extraCerts ?? [] };
}
