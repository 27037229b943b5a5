/**
 * The defaults of every option of `collect`, `assess` and the bounded HTTP client, in one place. The CLI's
 * option table and help text read them from here, so a default is written once.
 */
export const DEFAULTS = {
  /** TLS versions probed, each separately. */
  tlsVersions: ['1.2', '1.3'],
  /** Which offers: `all` (Node's hello, only RSA, only ECDSA: every certificate) or `default` (Node's hello). */
  keyTypes: 'all',
  /** Full handshakes per address and version (nginx staples only after its first fetch). */
  attempts: 3,
  /** Deadline per handshake, connect included, in ms. */
  timeoutMs: 10_000,
  /** Pause after a handshake without a staple, giving a lazy server time to fetch, in ms. */
  retryDelayMs: 250,
  /** Total deadline of one HTTP exchange (live query, AIA download), body included, in ms. */
  httpTimeoutMs: 10_000,
  /** Largest HTTP body accepted for a live answer or an AIA download, in bytes. */
  httpMaxBytes: 64 * 1024,
  /** Total deadline of one CRL download, body included, in ms: CRLs of tens of MiB are normal. */
  crlTimeoutMs: 30_000,
  /** Largest CRL accepted, in bytes (some CAs publish CRLs of 10-100 MB). */
  crlMaxBytes: 128 * 1024 * 1024,
  /**
   * The HTTP proxy of the downloads: none. The library reads no environment; the CLI passes
   * `proxyFromEnv(process.env, --proxy)` (HTTP_PROXY, HTTPS_PROXY, NO_PROXY).
   */
  proxy: null,
  /** Redirects followed by the HTTP client. */
  httpMaxRedirects: 3,
  /** Clock skew tolerated on thisUpdate, nextUpdate and producedAt, in seconds. */
  skewSeconds: 300,
  /** Warn when less validity than this remains before nextUpdate, in seconds. */
  warnRemainingSeconds: 2 * 86400,
  /** Critical when less than this remains, in seconds (0: only once expired). */
  critRemainingSeconds: 0,
} as const;
