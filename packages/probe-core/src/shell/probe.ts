import { type AssessOptions, assess } from '../core/assess.js';
import { SignatureVerifier } from '../core/signature.js';
import { parseTarget } from '../core/target.js';
import type { ServerName } from '../findings.js';
import type { Report } from '../types.js';
import { type CollectOptions, collect } from './collect.js';

/** Options of `probe`: how to gather (see CollectOptions) and how to judge. */
export interface ProbeOptions extends CollectOptions, Omit<AssessOptions, 'now'> {
  /** SNI name; default the host name (none for an IP literal). `null` sends none. */
  readonly servername?: string | null;
  /** Judge at this instant instead of the current time. */
  readonly now?: Date;
}

/**
 * Probe one `host[:port]` target: handshakes on every address and TLS version, then judgement.
 * Throws TargetError for a target that cannot be parsed; every network failure is a finding instead.
 */
export async function probe(target: string, options: ProbeOptions = {}): Promise<Report> {
  const parsed = parseTarget(target, options.servername !== undefined ? { servername: options.servername } : {});
  // One verifier for gathering and judging: the leaf's signature checked while picking the issuer for the live
  // query is not checked again when the report picks it.
  const verifier = options.verifier ?? new SignatureVerifier();
  const evidence = await collect(parsed, { ...options, verifier });
  return assess(evidence, { ...options, verifier, now: options.now ?? new Date() });
}

/** Options of `inspect`. */
export interface InspectOptions extends Omit<AssessOptions, 'now'> {
  /**
   * DER of the issuer certificate, or several (a chain file, such as certbot's `fullchain.pem`): enables the
   * signature and authorization checks. Of several, the one that verifies `cert`'s signature is used; without
   * `cert`, the one whose name and key hashes match the response's CertID, else the first CA certificate.
   */
  readonly issuer?: Uint8Array | readonly Uint8Array[] | null;
  /** DER of the certificate the response is for: enables the serial check. */
  readonly cert?: Uint8Array | null;
  /** Name shown as where the response came from. */
  readonly file?: string;
  /** Server software the hints should be worded for. */
  readonly server?: ServerName | null;
  /** The bytes are a CRL (issue #22), judged for `cert`, or for the certificate of `serial` issued by `issuer`. */
  readonly format?: 'ocsp' | 'crl';
  /** With a CRL and no `cert`: the serial (hex) to look up. */
  readonly serial?: string | null;
  readonly now?: Date;
}

/** Judge an OCSP response held in memory (an `ssl_stapling_file`, say) before it is deployed; or a CRL (`format: 'crl'`). */
export function inspect(response: Uint8Array, options: InspectOptions = {}): Promise<Report> {
  return assess(
    {
      kind: 'inspect',
      file: options.file ?? '(memory)',
      response,
      issuer: options.issuer ?? null,
      cert: options.cert ?? null,
      server: options.server ?? null,
      ...(options.format ? { format: options.format } : {}),
      ...(options.serial ? { serial: options.serial } : {}),
    },
    { ...options, now: options.now ?? new Date() },
  );
}
