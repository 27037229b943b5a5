import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { classifyError } from './tls.js';
import type { TlsFailure } from '../types.js';

export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

export type Resolver = (host: string) => Promise<readonly ResolvedAddress[]>;

/** A and AAAA through the system resolver (so /etc/hosts applies, as it does for the server's clients). */
export const systemResolver: Resolver = async (host) => {
  const found = await lookup(host, { all: true, verbatim: true });
  const seen = new Set<string>();
  return found.filter((a) => (seen.has(a.address) ? false : (seen.add(a.address), true))).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

/** Every address of a host; an IP literal is its own only address. Failures come back as data. */
export async function resolveTarget(
  host: string,
  resolver: Resolver = systemResolver,
): Promise<{ addresses: readonly ResolvedAddress[]; error: TlsFailure | null }> {
  const family = isIP(host);
  if (family !== 0) return { addresses: [{ address: host, family: family === 6 ? 6 : 4 }], error: null };
  try {
    const addresses = await resolver(host);
    if (addresses.length === 0) return { addresses, error: { kind: 'dns', message: `${host} has no A or AAAA record`, code: 'ENODATA' } };
    return { addresses, error: null };
  } catch (error) {
    const failure = classifyError(error);
    return { addresses: [], error: { ...failure, kind: 'dns', message: `${host}: ${failure.message}` } };
  }
}
