/** What bench/run.ts and bench/warm.ts share: the median with its range, and one raw handshake. */
import * as tls from 'node:tls';

export interface Stat {
  median: number;
  min: number;
  max: number;
}

export const stat = (xs: number[]): Stat => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
  return { median, min: s[0] as number, max: s[s.length - 1] as number };
};

/**
 * One raw TLS 1.3 handshake with status_request to 127.0.0.1:`port`, then close: the reference loops' unit.
 * With `readChain`, `getPeerCertificate(true)` after it; with `secureContext`, that trust (a context trusting
 * the server's root makes OpenSSL validate the chain, and Node then reads it for its name check). With
 * `skipNodeChainRead`, that read of Node's is skipped (the instance's getPeerCertificate stubbed, as the library's
 * handshake does, and no name check): what validating costs without the chain read.
 */
export function rawHandshake(
  port: number,
  servername: string | undefined,
  { readChain = false, secureContext, skipNodeChainRead = false }: { readChain?: boolean; secureContext?: tls.SecureContext; skipNodeChainRead?: boolean } = {},
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const s = tls.connect({
      host: '127.0.0.1',
      port,
      servername,
      minVersion: 'TLSv1.3',
      maxVersion: 'TLSv1.3',
      rejectUnauthorized: false,
      requestOCSP: true,
      ...(secureContext ? { secureContext } : {}),
      ...(skipNodeChainRead ? { checkServerIdentity: () => undefined } : {}),
    } as tls.ConnectionOptions);
    if (skipNodeChainRead) s.getPeerCertificate = (() => ({})) as unknown as tls.TLSSocket['getPeerCertificate'];
    s.on('OCSPResponse', () => {});
    s.once('secureConnect', () => {
      if (readChain) s.getPeerCertificate(true);
      s.destroy();
      resolve();
    });
    s.once('error', reject);
  });
}
