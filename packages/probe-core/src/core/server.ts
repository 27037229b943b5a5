import type { ServerName } from '../findings.js';
import type { ProbeEvidence, TargetReport } from '../types.js';

/** nginx, Apache, HAProxy or Caddy from a `Server` header ("nginx/1.22.1", "Apache/2.4.71 (Debian)"). */
export function serverFromHeader(header: string | null): ServerName | null {
  if (!header) return null;
  if (/nginx|openresty|tengine/i.test(header)) return 'nginx';
  if (/apache/i.test(header)) return 'apache';
  if (/haproxy/i.test(header)) return 'haproxy';
  if (/caddy/i.test(header)) return 'caddy';
  return null;
}

/**
 * The server software of a probed target: `--server` when given, else what the first `Server` header
 * recorded (an address's, then a handshake's) names.
 */
export function serverOf(evidence: ProbeEvidence): TargetReport['server'] {
  const header =
    [
      ...evidence.addresses.map((a) => a.serverHeader ?? null),
      ...evidence.addresses.flatMap((a) => a.attempts).map((a) => (a.outcome.ok ? (a.outcome.serverHeader ?? null) : null)),
    ].find((h) => h !== null) ?? null;
  if (evidence.server) return { name: evidence.server, header, source: 'flag' };
  const detected = serverFromHeader(header);
  return { name: detected, header, source: detected ? 'header' : null };
}
