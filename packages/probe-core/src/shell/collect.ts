import { setMaxListeners } from 'node:events';
import { sha256Hex } from '../core/bytes.js';
import { DEFAULTS } from '../defaults.js';
import { type Cert, parseCertificate } from '../core/certificate.js';
import { certificatesFromIssuerBody, chooseIssuer, givenIssuers, type IssuerSource } from '../core/issuer.js';
import { AT_ONCE, type HandshakeEnd, HandshakeSchedule, type ScheduleAction, type ScheduleEvent, versionsToConfirm } from '../core/schedule.js';
import { runOfferLane } from '../core/offer-lane.js';
import { buildOcspRequest } from '../core/request.js';
import { SignatureVerifier } from '../core/signature.js';
import type { ServerName } from '../findings.js';
import type {
  AddressEvidence,
  AttemptEvidence,
  AttemptOutcome,
  CrlFetchEvidence,
  HttpExchange,
  IssuerFetchEvidence,
  KeyTypes,
  LiveEvidence,
  Offer,
  ProbeEvidence,
  StarttlsProtocol,
  Target,
  TlsVersion,
} from '../types.js';
import { type HttpOptions, httpExchange } from './http.js';
import type { ProxyConfig } from './proxy.js';
import { type Resolver, resolveTarget } from './resolve.js';
import { GREETS_FIRST, IMPLICIT_TLS_PORTS, STARTTLS_PORTS } from './starttls.js';
import { handshake, type HandshakeOptions, trustContext } from './tls.js';

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
  /**
   * DER issuer certificate given by the operator, or several (a full chain, leaf first, as certbot's
   * `fullchain.pem`): the one that verifies the leaf's signature is used.
   */
  readonly issuer?: Uint8Array | readonly Uint8Array[] | null;
  /** DER certificates trusted as roots (besides Node's bundled Mozilla roots) and searched for the issuer (--ca-file). */
  readonly extraCerts?: readonly Uint8Array[];
  /**
   * `all`: besides Node's default hello, offer only RSA and only ECDSA on every version, so that each
   * certificate the server holds is found and judged. `default`: Node's hello alone. Default `all`.
   */
  readonly keyTypes?: KeyTypes;
  /** Send one `HEAD /` per address after its first handshake, to learn the server software. Default true. */
  readonly httpHead?: boolean;
  /**
   * The plain-text upgrade to speak before every handshake (issue #24): a protocol; `auto` (the default), the
   * protocol of a well-known port (25 and 587 smtp, 143 imap, …; `STARTTLS_PORTS`), else none; `none`, TLS
   * from the first byte. Over STARTTLS no `HEAD /` is sent: the server's greeting is kept instead.
   */
  readonly starttls?: StarttlsProtocol | 'auto' | 'none';
  /** The server software, when the operator knows it (--server); skips nothing, overrides detection. */
  readonly server?: ServerName | null;
  /** Fetch each certificate's CRL (http and https distribution points). Default true. */
  readonly crl?: boolean;
  /** Bounds of the CRL downloads: deadline default 30000 ms, size default 128 MiB; `fetch` and `signal` as `http`'s. */
  readonly crlHttp?: HttpOptions;
  /** Query the leaf's OCSP responder. Default true. */
  readonly live?: boolean;
  /** Send a nonce in the live query. Default false (RFC 5019 responders ignore it). */
  readonly nonce?: boolean;
  /** Bounds and the fetch used for the live query and AIA fetches. */
  readonly http?: HttpOptions;
  /**
   * The HTTP proxy of the live query, AIA and CRL downloads (`proxyFromEnv(process.env)` reads HTTP_PROXY,
   * HTTPS_PROXY and NO_PROXY). Default none: the library reads no environment. Overrides `http.proxy`.
   */
  readonly proxy?: ProxyConfig | null;
  /** Shared across targets of a run: one live query per distinct (issuer key, serial), one fetch per AIA URL. */
  readonly cache?: CollectCache;
  readonly verifier?: SignatureVerifier;
  readonly signal?: AbortSignal;
}

/** What a run has already fetched. Make one with `createCollectCache()` and pass it to every `collect`. */
export interface CollectCache {
  readonly live: Map<string, Promise<{ readonly exchange: HttpExchange; readonly nonce: Uint8Array | null }>>;
  readonly issuers: Map<string, Promise<HttpExchange>>;
  /** CRL downloads by URL; without it each collect downloads its own. */
  readonly crls?: Map<string, Promise<HttpExchange>>;
}

export function createCollectCache(): CollectCache {
  return { live: new Map(), issuers: new Map(), crls: new Map() };
}

/** The CRL distribution points the probe fetches: http and https (an `ldap:` one is reported, not fetched). */
export const fetchableCrlUrls = (urls: readonly string[]): string[] => [...new Set(urls.filter((u) => /^https?:\/\//i.test(u)))];

/** One download per distinct CRL URL of the run, bounded for CRLs (DEFAULTS.crlTimeoutMs, crlMaxBytes). */
function fetchCrls(leafKey: string, leaf: Cert, options: CollectOptions, cache: CollectCache): Promise<CrlFetchEvidence[]> {
  if (options.crl === false) return Promise.resolve([]);
  const http: HttpOptions = {
    timeoutMs: DEFAULTS.crlTimeoutMs,
    maxBytes: DEFAULTS.crlMaxBytes,
    ...(options.http?.fetch ? { fetch: options.http.fetch } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.proxy !== undefined ? { proxy: options.proxy } : options.http?.proxy !== undefined ? { proxy: options.http.proxy } : {}),
    ...options.crlHttp,
  };
  return Promise.all(
    fetchableCrlUrls(leaf.crlUrls).map(async (url) => ({
      leaf: leafKey,
      url,
      exchange: await once(cache.crls ?? new Map(), url, () => httpExchange(url, { method: 'GET', accept: 'application/pkix-crl' }, http)),
    })),
  );
}

const DEFAULT_VERSIONS: readonly TlsVersion[] = DEFAULTS.tlsVersions;

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

function tryParse(der: Uint8Array): Cert | null {
  try {
    return parseCertificate(der);
  } catch {
    return null;
  }
}

function once<T>(cache: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  let hit = cache.get(key);
  if (!hit) {
    hit = make();
    cache.set(key, hit);
  }
  return hit;
}

/**
 * GET when the URL-encoded base64 request is at most 255 bytes, else POST. RFC 5019 §5 requires GET when the
 * whole URL is at most 255 bytes (so that caches can serve it), which this rule always honours.
 */
function liveQuery(url: string, request: Uint8Array, http: HttpOptions | undefined): Promise<HttpExchange> {
  const encoded = encodeURIComponent(Buffer.from(request).toString('base64'));
  const accept = 'application/ocsp-response';
  if (encoded.length <= 255) return httpExchange(`${url.replace(/\/+$/, '')}/${encoded}`, { method: 'GET', accept }, http);
  return httpExchange(url, { method: 'POST', body: request, contentType: 'application/ocsp-request', accept }, http);
}

/**
 * The handshakes of one address: `attempts` full handshakes per TLS version, in the order `HandshakeSchedule`
 * gives (core/schedule.ts states the rules: a first round opens together and stands only when the very first
 * handshake carries a staple, so that a lazy server's fetch still shows). The evidence keeps the sequence
 * order (versions as given, attempts in turn); only the wall time shrinks.
 */
async function handshakes(
  target: Target,
  address: string,
  options: CollectOptions,
  extraCas: readonly Uint8Array[],
  onChain: (chain: readonly Uint8Array[]) => void,
): Promise<{ attempts: AttemptEvidence[]; serverHeader: string | null | undefined; banner: string | undefined }> {
  if (!options.signal) return handshakesOf(target, address, options, extraCas, onChain, undefined);
  // The caller's signal, relayed by one listener to a signal of this address's own: each handshake under way
  // listens to it, up to AT_ONCE per version at once, and Node warns at more than 10 listeners on one signal
  // (two addresses of one host would pass that on the caller's). Not AbortSignal.any, which on Node 20 keeps
  // an entry in a long-lived caller signal for every signal made from it (~58 bytes each, measured).
  const caller = options.signal;
  const own = new AbortController();
  setMaxListeners((AT_ONCE + OFFERS.length) * (options.tlsVersions ?? DEFAULT_VERSIONS).length + 4, own.signal);
  const relay = () => own.abort(caller.reason);
  if (caller.aborted) relay();
  else caller.addEventListener('abort', relay, { once: true });
  try {
    return await handshakesOf(target, address, options, extraCas, onChain, own.signal);
  } finally {
    caller.removeEventListener('abort', relay);
  }
}

interface Shake {
  /** The handshake's outcome, before any HEAD; null until it has ended. */
  outcome: AttemptOutcome | null;
  /** The outcome with the HEAD's Server header, once that is over too. */
  readonly complete: Promise<AttemptOutcome>;
  /** Cuts it off while under way, for one the schedule may close uncounted. */
  readonly cancel: AbortController | null;
  readonly order: number;
}

/** The offers besides the default one, each of one key type. */
const OFFERS: readonly Offer[] = ['rsa', 'ecdsa'];

const handshakeEnd = (outcome: AttemptOutcome): HandshakeEnd =>
  outcome.ok ? { ok: true, stapled: outcome.staple !== null } : { ok: false, kind: outcome.error.kind };

type Connect = (version: TlsVersion, offer: Offer, extra: Partial<HandshakeOptions>) => Promise<AttemptOutcome>;

/** A handshake with the address, on the run's trust context for its version and offer. */
/** The upgrade the handshakes with `target` speak first, if any. */
export function starttlsOf(target: Pick<Target, 'port'>, options: Pick<CollectOptions, 'starttls'>): StarttlsProtocol | null {
  const choice = options.starttls ?? 'auto';
  if (choice === 'none') return null;
  return choice === 'auto' ? (STARTTLS_PORTS[target.port] ?? null) : choice;
}

/**
 * The protocol of a well-known implicit-TLS port (465 smtp, 993 imap, …) when the target is probed without
 * STARTTLS, else null (HTTPS, or any other port).
 */
export function implicitTlsOf(target: Pick<Target, 'port'>, options: Pick<CollectOptions, 'starttls'>): StarttlsProtocol | null {
  return starttlsOf(target, options) === null ? (IMPLICIT_TLS_PORTS[target.port] ?? null) : null;
}

function connectTo(target: Target, address: string, options: CollectOptions, extraCas: readonly Uint8Array[], signal: AbortSignal | undefined): Connect {
  return (version, offer, extra) =>
    handshake({
      address,
      port: target.port,
      servername: target.servername,
      tlsVersion: version,
      offer,
      timeoutMs: options.timeoutMs ?? DEFAULTS.timeoutMs,
      trust: trustContext(version, extraCas, offer),
      starttls: starttlsOf(target, options),
      ...(signal ? { signal } : {}),
      ...extra,
    });
}

/** One offer's lane (core/offer-lane.ts), its handshakes recorded as they end. */
function runLane(lane: {
  version: TlsVersion;
  offer: Offer;
  options: CollectOptions;
  signal: AbortSignal | undefined;
  connect: Connect;
  onChain: (chain: readonly Uint8Array[]) => void;
  defaultLeaf: Promise<string | null>;
  nextOrder: () => number;
  record: (attempt: AttemptEvidence) => void;
}): Promise<void> {
  const { version, offer, options, signal } = lane;
  return runOfferLane({
    attempts: options.attempts ?? DEFAULTS.attempts,
    start: async (attempt) => {
      const order = lane.nextOrder();
      const outcome = await lane.connect(version, offer, { httpHead: false });
      lane.record({ attempt, tlsVersion: version, offer, order, outcome });
      if (outcome.ok) lane.onChain(outcome.chain);
      const leaf = outcome.ok && outcome.chain[0] ? sha256Hex(outcome.chain[0]) : null;
      return { end: handshakeEnd(outcome), leaf };
    },
    defaultLeaf: () => lane.defaultLeaf,
    pause: () => sleep(options.retryDelayMs ?? DEFAULTS.retryDelayMs, signal),
    stopped: () => signal?.aborted === true,
  });
}

/** A promise with its resolve, for a value settled later (the first time only). */
function settleable<T>(): { leaf: Promise<T>; settle: (value: T) => void } {
  let settle: (value: T) => void = () => {};
  const leaf = new Promise<T>((resolve) => {
    settle = resolve;
  });
  return { leaf, settle };
}

/** True the first time it is asked (when `wanted`), false after. */
function onlyOnce(wanted: boolean): () => boolean {
  let left = wanted;
  return () => {
    const take = left;
    left = false;
    return take;
  };
}

/** `versionsToConfirm`'s versions (core/schedule.ts) after the retry delay, one more handshake each, at once. */
async function confirmVersions(
  counted: readonly { tlsVersion: TlsVersion; order: number; outcome: AttemptOutcome }[],
  versions: readonly TlsVersion[],
  options: CollectOptions,
  signal: AbortSignal | undefined,
  confirm: (version: TlsVersion) => Promise<void>,
): Promise<void> {
  const attempts = options.attempts ?? DEFAULTS.attempts;
  const handshakes = counted.map((c) => ({ tlsVersion: c.tlsVersion, order: c.order, ok: c.outcome.ok, stapled: c.outcome.ok && c.outcome.staple !== null }));
  const again = versionsToConfirm(handshakes, attempts).filter((v) => versions.includes(v));
  if (again.length === 0 || signal?.aborted) return;
  await sleep(options.retryDelayMs ?? DEFAULTS.retryDelayMs, signal);
  if (signal?.aborted) return;
  await Promise.all(again.map(confirm));
}

/** `handshakes`, with the signal the handshakes listen to: carries out the schedule's actions and reports back. */
/**
 * Which handshake learns the server software, and how. The HEAD goes out once per address, on the first
 * handshake to complete (in the round usually a TLS 1.3 one, a round trip before TLS 1.2's end). A handshake
 * of the round closed uncounted keeps its HEAD going (only an unfinished handshake is cut off), and its answer
 * stands for the address: the server software does not depend on which handshake asked. On an implicit-TLS
 * port of another protocol no HEAD goes out: where its server greets first, the greeting after the handshake
 * names the software instead (taken once per address, as the HEAD).
 */
function identification(target: Target, options: CollectOptions): { takeHead: () => boolean; identify: 'head' | 'greeting' } {
  const implicit = implicitTlsOf(target, options);
  return {
    takeHead: onlyOnce(options.httpHead !== false && (implicit === null || GREETS_FIRST.has(implicit))),
    identify: implicit === null ? 'head' : 'greeting',
  };
}

async function handshakesOf(
  target: Target,
  address: string,
  options: CollectOptions,
  extraCas: readonly Uint8Array[],
  onChain: (chain: readonly Uint8Array[]) => void,
  signal: AbortSignal | undefined,
): Promise<{ attempts: AttemptEvidence[]; serverHeader: string | null | undefined; banner: string | undefined }> {
  const versions = options.tlsVersions ?? DEFAULT_VERSIONS;
  const schedule = new HandshakeSchedule({ versions, attempts: options.attempts ?? DEFAULTS.attempts, atOnce: AT_ONCE });
  const { takeHead, identify } = identification(target, options);
  const shakes = new Map<number, Shake>();
  type Counted = { attempt: number; tlsVersion: TlsVersion; order: number; outcome: AttemptOutcome };
  const counted = new Map<number, Counted>();
  const perVersion = versions.map(() => [] as Counted[]);
  // Every handshake's place by the time it started, offers' included: the order presence is judged in.
  let order = 0;
  // Per version, the leaf the default offer got first (counted or not): an offer that gets the same one ends.
  const defaultLeaves = versions.map(settleable<string | null>);
  let finished: () => void = () => {};
  const over = new Promise<void>((resolve) => {
    finished = resolve;
  });
  let abortTold = false;
  // The schedule reads an abort where it decides, as a signal's `aborted` is read: told before the next event.
  const tellAbort = () => {
    if (!signal?.aborted || abortTold) return;
    abortTold = true;
    schedule.on({ type: 'aborted' });
  };
  const tell = (event: ScheduleEvent) => {
    tellAbort();
    run(schedule.on(event));
  };
  const connect = connectTo(target, address, options, extraCas, signal);
  const start = ({ id, index, version, watchStaple, closable }: Extract<ScheduleAction, { type: 'start' }>) => {
    const cancel = closable ? new AbortController() : null;
    let handshakeDone: (outcome: AttemptOutcome) => void = () => {};
    const done = new Promise<AttemptOutcome>((resolve) => {
      handshakeDone = resolve;
    });
    const complete = connect(version, 'default', {
      httpHead: takeHead,
      identify,
      onHandshake: (outcome) => handshakeDone(outcome),
      // Out of the socket's event: the schedule's actions run on their own turn.
      ...(watchStaple ? { onStaple: () => queueMicrotask(() => tell({ type: 'stapled', id })) } : {}),
      ...(cancel ? { cancel: cancel.signal } : {}),
    });
    const shake: Shake = { outcome: null, complete, cancel, order: order++ };
    shakes.set(id, shake);
    void Promise.race([done, complete]).then((outcome) => {
      shake.outcome = outcome;
      const leaf = outcome.ok ? outcome.chain[0] : undefined;
      if (leaf) defaultLeaves[index]?.settle(sha256Hex(leaf));
      tell({ type: 'ended', id, end: handshakeEnd(outcome) });
    });
  };
  const count = ({ id, index, version, attempt }: Extract<ScheduleAction, { type: 'count' }>) => {
    const shake = shakes.get(id);
    const outcome = shake?.outcome;
    if (!shake || !outcome) throw new Error(`handshake ${id} counted before it ended`);
    if (outcome.ok) onChain(outcome.chain);
    const entry = { attempt, tlsVersion: version, order: shake.order, outcome };
    counted.set(id, entry);
    perVersion[index]?.push(entry);
  };
  const run = (actions: readonly ScheduleAction[]) => {
    for (const action of actions) {
      if (action.type === 'start') start(action);
      else if (action.type === 'count') count(action);
      else if (action.type === 'close') for (const id of action.ids) shakes.get(id)?.cancel?.abort();
      else if (action.type === 'pause') void sleep(options.retryDelayMs ?? DEFAULTS.retryDelayMs, signal).then(() => tell({ type: 'resumed' }));
      else {
        for (const d of defaultLeaves) d.settle(null);
        finished();
      }
    }
  };
  const offered: AttemptEvidence[][] = [];
  const offerLane = (version: TlsVersion, offer: Offer): Promise<void> => {
    const attempts: AttemptEvidence[] = [];
    offered.push(attempts);
    const defaultLeaf = defaultLeaves[versions.indexOf(version)]?.leaf ?? Promise.resolve(null);
    return runLane({ version, offer, options, signal, connect, onChain, defaultLeaf, nextOrder: () => order++, record: (a) => attempts.push(a) });
  };

  tellAbort();
  run(schedule.start());
  const offers = (options.keyTypes ?? DEFAULTS.keyTypes) === 'all' ? versions.flatMap((v) => OFFERS.map((o) => offerLane(v, o))) : [];
  await Promise.all([over, ...offers]);
  await confirmVersions(perVersion.flat(), versions, options, signal, async (version) => {
    const at = order++;
    const outcome = await connect(version, 'default', { httpHead: false });
    if (outcome.ok) onChain(outcome.chain);
    perVersion[versions.indexOf(version)]?.push({ attempt: (options.attempts ?? DEFAULTS.attempts) + 1, tlsVersion: version, order: at, outcome });
  });
  // The HEAD after a handshake finishes in the background while the others go on; its Server header is put
  // into that attempt's outcome (when it counts) and kept for the address.
  let serverHeader: string | null | undefined;
  let banner: string | undefined;
  await Promise.all(
    [...shakes].map(async ([id, shake]) => {
      const complete = await shake.complete;
      const entry = counted.get(id);
      if (entry) entry.outcome = complete;
      if (complete.ok && complete.serverHeader !== undefined) serverHeader = complete.serverHeader;
      // The greeting of an implicit-TLS port, or one said instead of an answer to the HEAD (not a STARTTLS
      // greeting, which every attempt over STARTTLS carries and no HEAD follows).
      if (complete.ok && (identify === 'greeting' || complete.serverHeader === null) && typeof complete.banner === 'string') banner = complete.banner;
    }),
  );
  // Each version's attempts in their order, whatever order they finished in; then each offer's.
  for (const out of perVersion) out.sort((a, b) => a.attempt - b.attempt);
  return { attempts: [...perVersion.flat(), ...offered.flat()], serverHeader, banner };
}

/**
 * Gather the evidence for one target: resolve, handshake on every address and version, then for each
 * distinct certificate find its issuer (fetching AIA caIssuers only when no local source has it) and ask
 * its OCSP responder once. Never throws for I/O: failures are recorded as data.
 */
export async function collect(target: Target, options: CollectOptions = {}): Promise<ProbeEvidence> {
  const extraCerts = options.extraCerts ?? [];
  const http: HttpOptions | undefined = options.proxy !== undefined ? { ...options.http, proxy: options.proxy } : options.http;
  const cache = options.cache ?? createCollectCache();
  const verifier = options.verifier ?? new SignatureVerifier();
  const given = givenIssuers(options.issuer)
    .map(tryParse)
    .filter((c): c is Cert => c !== null);
  // The --ca-file certificates are parsed when an issuer search first gets to them: most servers send the
  // issuer, and before the first handshake a cold process's first parse costs ~25 ms.
  let caFileCerts: Cert[] | null = null;
  const fromCaFile = () => (caFileCerts ??= extraCerts.map(tryParse).filter((c): c is Cert => c !== null));

  // Issuer discovery and the live query of a certificate start as soon as a handshake has served it, while
  // the other handshakes go on: a cold probe waits for the responder and the server at once, not in turn.
  const leaves = new Map<string, Promise<{ live: LiveEvidence | null; issuerFetches: IssuerFetchEvidence[] }>>();
  const crlFetches = new Map<string, Promise<CrlFetchEvidence[]>>();
  const onChain = (chain: readonly Uint8Array[]) => {
    const leafDer = chain[0];
    if (!leafDer) return;
    const leafKey = sha256Hex(leafDer);
    if (leaves.has(leafKey)) return;
    const leaf = tryParse(leafDer);
    if (!leaf) return;
    const served = chain
      .slice(1)
      .map(tryParse)
      .filter((c): c is Cert => c !== null);
    leaves.set(leafKey, leafWork(leafKey, leaf, served));
    // The CRL does not need the issuer to be fetched (only to be judged): it starts with the live query's work.
    crlFetches.set(leafKey, fetchCrls(leafKey, leaf, options, cache));
  };
  const leafWork = async (leafKey: string, leaf: Cert, served: Cert[]) => {
    const issuerFetches: IssuerFetchEvidence[] = [];
    const sources: { source: IssuerSource; certs: Cert[] }[] = [
      { source: 'given', certs: given },
      { source: 'served', certs: served },
      {
        source: 'ca-file',
        get certs() {
          return fromCaFile();
        },
      },
    ];
    let choice = await chooseIssuer(leaf, sources, verifier);
    if (!choice.issuer) {
      for (const url of leaf.caIssuers) {
        const exchange = await once(cache.issuers, url, () => httpExchange(url, { method: 'GET' }, http));
        issuerFetches.push({ leaf: leafKey, url, exchange });
        const certs =
          exchange.ok && exchange.status === 200
            ? certificatesFromIssuerBody(exchange.body)
                .map(tryParse)
                .filter((c): c is Cert => c !== null)
            : [];
        choice = await chooseIssuer(leaf, [{ source: 'aia', certs }], verifier);
        if (choice.issuer) break;
      }
    }
    const ocspUrl = leaf.ocspUrls[0];
    if (options.live === false || !ocspUrl || !choice.issuer) return { live: null, issuerFetches };
    const issuer = choice.issuer;
    const key = `${sha256Hex(issuer.spki)}:${leaf.serial}${options.nonce ? ':nonce' : ''}`;
    const { exchange, nonce } = await once(cache.live, key, async () => {
      const nonce = options.nonce ? crypto.getRandomValues(new Uint8Array(16)) : null;
      return { exchange: await liveQuery(ocspUrl, buildOcspRequest(leaf, issuer, nonce ?? undefined), http), nonce };
    });
    return { live: { leaf: leafKey, ocspUrl, nonce, exchange }, issuerFetches };
  };

  const resolving = options.address ? resolveTarget(options.address) : resolveTarget(target.host, options.resolver);
  // While the name resolves (getaddrinfo runs on libuv's thread pool), build the trust contexts the handshakes
  // will use: the first parses Node's root store, 30-50 ms of CPU that a cold probe would otherwise spend after
  // the lookup instead of during it.
  const offers: readonly Offer[] = (options.keyTypes ?? DEFAULTS.keyTypes) === 'all' ? ['default', ...OFFERS] : ['default'];
  for (const version of options.tlsVersions ?? DEFAULT_VERSIONS) for (const offer of offers) trustContext(version, extraCerts, offer);
  const resolved = await resolving;
  const addresses: AddressEvidence[] = await Promise.all(
    resolved.addresses.map(async ({ address, family }) => {
      const { attempts, serverHeader, banner } = await handshakes(target, address, options, extraCerts, onChain);
      return { address, family, attempts, ...(serverHeader !== undefined ? { serverHeader } : {}), ...(banner !== undefined ? { banner } : {}) };
    }),
  );
  // In the order the certificates were first served, whatever order their queries finished in.
  const perLeaf = await Promise.all(leaves.values());
  const live = perLeaf.flatMap((l) => (l.live ? [l.live] : []));
  const issuerFetches = perLeaf.flatMap((l) => l.issuerFetches);
  const crls = (await Promise.all(crlFetches.values())).flat();

  const starttls = starttlsOf(target, options);
  const implicitTls = implicitTlsOf(target, options);
  return {
    kind: 'probe',
    target,
    resolveError: resolved.error,
    addresses,
    issuer: options.issuer ?? null,
    extraCerts,
    live,
    liveDisabled: options.live === false,
    issuerFetches,
    ...(crls.length > 0 ? { crls } : {}),
    ...(options.crl === false ? { crlDisabled: true } : {}),
    server: options.server ?? null,
    ...(starttls ? { starttls } : {}),
    ...(implicitTls ? { implicitTls } : {}),
  };
}
