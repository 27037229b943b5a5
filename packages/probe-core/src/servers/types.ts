import type { StarttlsProtocol } from '../types.js';

/**
 * What a fix is about. Several finding codes share one topic (an expired, an expiring and a stale staple all
 * need a refresh), so each server says it once.
 */
export type FixTopic =
  /** No staple at all, or a must-staple certificate served without one. */
  | 'enable'
  /** An expired, expiring or stale staple, or one that says good where the CA now says revoked. */
  | 'refresh'
  /** The first handshakes after a start carry no staple. */
  | 'lazy'
  /** The same, for a must-staple certificate. */
  | 'lazyMustStaple'
  /** An OCSP error response (tryLater, …) is stapled. */
  | 'errorStatus'
  /** The staple is another certificate's. */
  | 'certIdMismatch'
  /** The responder answers only after a redirect, which servers that fetch do not follow. */
  | 'redirected'
  /** The intermediate is not served. */
  | 'chainIncomplete'
  /** Every handshake failed at the TLS layer (reset or alert). */
  | 'connectFailed';

/** The protocol a target was probed over: HTTPS, or the STARTTLS protocol. */
export type ServiceProtocol = 'https' | StarttlsProtocol;

/** One server software: how to recognise it and how its configuration fixes each kind of problem. */
export interface ServerProfile {
  /** Its name as people write it (the table's label). */
  readonly label: string;
  /** Matches the HTTP `Server` header or the STARTTLS greeting that names it; null when its traffic does not. */
  readonly detect: RegExp | null;
  /** Whether it can staple at all as a TLS server. */
  readonly staples: boolean;
  /**
   * The protocols for which its fixes are shown when the server software is not known (the usual servers of
   * that protocol), so that an unknown HTTPS server gets nginx's and Apache's fixes and not Dovecot's.
   */
  readonly usualFor: readonly ServiceProtocol[];
  /** The fix in its configuration's words, per topic: the first sentence names what to change. */
  readonly fixes: Readonly<Partial<Record<FixTopic, string>>>;
}
