import { isIP } from 'node:net';
import type { Target } from '../types.js';

/** A target the user wrote that cannot be probed. The message is fit to show as is. */
export class TargetError extends Error {
  override readonly name = 'TargetError';
}

/** 4 or 6 for an IP literal (an IPv6 one may carry a zone, `fe80::1%eth0`), 0 otherwise: node:net's `isIP`. */
export function ipVersion(text: string): 0 | 4 | 6 {
  return isIP(text) as 0 | 4 | 6;
}

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?)*\.?$/i;

/**
 * Parse `host`, `host:port`, `[v6]:port`, a bare IPv6 address or an https:// URL. Port 443 by default.
 * SNI defaults to the host name, and to none for an IP literal, unless `servername` is given.
 */
export function parseTarget(input: string, options: { servername?: string | null; defaultPort?: number } = {}): Target {
  let text = input.trim();
  if (text === '') throw new TargetError('empty target');
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text);
  if (scheme) {
    if (scheme[1]?.toLowerCase() !== 'https') throw new TargetError(`${input}: only https:// URLs or host[:port] are accepted`);
    text = text.slice(scheme[0].length).replace(/[/?#].*$/, '');
  }
  let host: string;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
  if (bracketed) {
    host = bracketed[1] ?? '';
    portText = bracketed[2];
    if (ipVersion(host) !== 6) throw new TargetError(`${input}: [${host}] is not an IPv6 address`);
  } else if (ipVersion(text) === 6) {
    host = text;
  } else {
    const colon = text.lastIndexOf(':');
    if (colon >= 0) {
      host = text.slice(0, colon);
      portText = text.slice(colon + 1);
    } else host = text;
    if (ipVersion(host) === 0 && !HOSTNAME.test(host)) throw new TargetError(`${input}: "${host}" is not a valid host name or IP address`);
  }
  let port = options.defaultPort ?? 443;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
      throw new TargetError(`${input}: port must be a number from 1 to 65535`);
    }
    port = Number(portText);
  }
  const servername = options.servername !== undefined ? options.servername : ipVersion(host) === 0 ? host.replace(/\.$/, '') : null;
  return { input, host, port, servername };
}
