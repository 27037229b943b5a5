import { SERVER_NAMES, SERVERS, type ServerName, type ServerProfile } from '../servers/index.js';
import type { ProbeEvidence, TargetReport } from '../types.js';

/**
 * The server software a `Server` header ("nginx/1.22.1", "Apache/2.4.71 (Debian)") or a STARTTLS greeting
 * ("220 mx.example ESMTP Exim 4.96 …", "* OK … Dovecot ready.") names: the first profile whose `detect` matches.
 */
export function serverFromHeader(header: string | null): ServerName | null {
  if (!header) return null;
  return SERVER_NAMES.find((name) => (SERVERS[name] as ServerProfile).detect?.test(header) === true) ?? null;
}

/**
 * The server software of a probed target: `--server` when given, else what the first `Server` header
 * recorded (an address's, then a handshake's) names; over STARTTLS or on an implicit-TLS mail port, where no
 * HEAD is sent, the server's greeting (its banner, kept as `header`) instead.
 */
export function serverOf(evidence: ProbeEvidence): TargetReport['server'] {
  const outcomes = evidence.addresses.flatMap((a) => a.attempts).map((a) => a.outcome);
  const header =
    [...evidence.addresses.map((a) => a.serverHeader ?? null), ...outcomes.map((o) => (o.ok ? (o.serverHeader ?? null) : null))].find((h) => h !== null) ??
    null;
  // A failed upgrade still heard the greeting.
  const banner =
    header === null
      ? ([
          ...evidence.addresses.map((a) => a.banner ?? null),
          ...outcomes.map((o) => (o.ok ? (o.banner ?? null) : (o.error.starttls?.banner ?? o.banner ?? null))),
        ].find((b) => b !== null) ?? null)
      : null;
  const seen = header ?? banner;
  if (evidence.server) return { name: evidence.server, header: seen, source: 'flag' };
  const detected = serverFromHeader(seen);
  return { name: detected, header: seen, source: detected ? (banner !== null ? 'banner' : 'header') : null };
}
