/**
 * The server software the probe knows: each in its own file, with how to recognise it and its fixes per
 * topic. A new server is a new file and one line here.
 */
import { apache } from './apache.js';
import { caddy } from './caddy.js';
import { dovecot } from './dovecot.js';
import { envoy } from './envoy.js';
import { exim } from './exim.js';
import { h2o } from './h2o.js';
import { haproxy } from './haproxy.js';
import { iis } from './iis.js';
import { lighttpd } from './lighttpd.js';
import { litespeed } from './litespeed.js';
import { nginx } from './nginx.js';
import { postfix } from './postfix.js';
import { proftpd } from './proftpd.js';
import { stunnel } from './stunnel.js';
import { traefik } from './traefik.js';
import type { FixTopic, ServerProfile } from './types.js';

export type { FixTopic, ServerProfile, ServiceProtocol } from './types.js';

/** Every known server, in the order their fixes are listed (the usual HTTPS servers first). */
export const SERVERS = {
  nginx,
  apache,
  haproxy,
  caddy,
  lighttpd,
  h2o,
  litespeed,
  envoy,
  traefik,
  iis,
  exim,
  postfix,
  dovecot,
  proftpd,
  stunnel,
} as const satisfies Record<string, ServerProfile>;

/** A server software the fixes know. */
export type ServerName = keyof typeof SERVERS;

/** The known servers' names, in `SERVERS` order. */
export const SERVER_NAMES = Object.keys(SERVERS) as ServerName[];

/** Each server's fix for `topic`, for those that have one. */
export function serverFixes(topic: FixTopic): Readonly<Partial<Record<ServerName, string>>> {
  const out: Partial<Record<ServerName, string>> = {};
  for (const name of SERVER_NAMES) {
    const profile: ServerProfile = SERVERS[name];
    const text = profile.fixes[topic];
    if (text !== undefined) out[name] = text;
  }
  return out;
}
