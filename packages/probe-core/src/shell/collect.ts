import { setMaxListeners } from 'node:events';
import { sha256Hex } from '../core/bytes.js';
import { DEFAULTS } from '../defaults.js';
import { type Cert, parseCertificate } from '../core/certificate.js';
import { certificatesFromIssuerBody, chooseIssuer, type IssuerSource } from '../core/issuer.js';
import { buildOcspRequest } from '../core/request.js';
import { SignatureVerifier } from '../core/signature.js';
import type { ServerName } from '../findings.js';
import type {
  AddressEvidence,
  AttemptEvidence,
  AttemptOutcome,
  HttpExchange,
  IssuerFetchEvidence,
  LiveEvidence,
  ProbeEvidence,
  Target,
  TlsVersion,
} from '../types.js';
import { type HttpOptions, httpExchange } from './http.js';
import { type Resolver, resolveTarget } from './resolve.js';
import { handshake, trustContext } from './tls.js';

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
  /** DER issuer certificate given by the operator. */
  readonly issuer?: Uint8Array | null;
  /** DER certificates trusted as roots (besides Node's bundled Mozilla roots) and searched for the issuer (--ca-file). */
  readonly extraCerts?: readonly Uint8Array[];
  /** Send one `HEAD /` per address after its first handshake, to learn the server software. Default true. */
  readonly httpHead?: boolean;
  /** The server software, when the operator knows it (--server); skips nothing, overrides detection. */
  readonly server?: ServerName | null;
  /** Query the leaf's OCSP responder. Default true. */
  readonly live?: boolean;
  /** Send a nonce in the live query. Default false (RFC 5019 responders ignore it). */
  readonly nonce?: boolean;
  /** Bounds and the fetch used for the live query and AIA fetches. */
  readonly http?: HttpOptions;
  /** Shared across targets of a run: one live query per distinct (issuer key, serial), one fetch per AIA URL. */
  readonly cache?: CollectCache;
  readonly verifier?: SignatureVerifier;
  readonly signal?: AbortSignal;
}

/** What a run has already fetched. Make one with `createCollectCache()` and pass it to every `collect`. */
export interface CollectCache {
  readonly live: Map<string, Promise<{ readonly exchange: HttpExchange; readonly nonce: Uint8Array | null }>>;
  readonly issuers: Map<string, Promise<HttpExchange>>;
}

export function createCollectCache(): CollectCache {
  return { live: new Map(), issuers: new Map() };
}

const UNREACHABLE = new Set(['dns', 'refused', 'unreachable', 'timeout']);
const DEFAULT_VERSIONS: readonly TlsVersion[] = DEFAULTS.tlsVersions;
/** Handshakes of one version and address at a time once a staple has been seen (see `handshakes`). */
const AT_ONCE = 4;

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
 * The handshakes of one address: `attempts` full handshakes per TLS version, in the order below.
 *
 * The order matters to the judgement of a lazy server (the first handshakes carry no staple): the attempts
 * are read as one sequence, versions in the order given, and STAPLE_LAZY needs an unstapled handshake before
 * the first stapled one. So everything hangs on the first handshake that completes in that order:
 *
 * - The first round starts at once: the first version's first attempt and, alongside it, up to AT_ONCE
 *   handshakes of each version in all (the first version's next attempts, each other version's first ones).
 * - If the first version's first attempt carries a staple, nothing that follows can make the server look
 *   lazy, and the round stands as the sequence's next attempts. A later version whose first attempt failed
 *   keeps that one failure (a version the server refuses fails once, not `attempts` times); the others of
 *   its round are closed and not counted. Attempts beyond the round follow, at most AT_ONCE of a version at
 *   a time.
 * - If it carries none (a lazy server), the round's other handshakes are closed and not counted, and the
 *   probe goes one handshake after another, with the retry delay after each unstapled one.
 * - If it fails, the next version's first attempt of the round (already under way) decides in its place once
 *   it has ended (a staple: its round stands; none: the rest in turn; a failure: the next version), and so
 *   on: it was among the server's first requests for a staple, as it would have been in turn.
 *
 * With the default 2 versions × 3 attempts that is one round of handshakes where strictly in turn it is six:
 * over a real network, one connection's round trips instead of six of them. The evidence keeps the sequence
 * order; only the wall time shrinks.
 */
async function handshakes(
  target: Target,
  address: string,
  options: CollectOptions,
  extraCas: readonly Uint8Array[],
  onChain: (chain: readonly Uint8Array[]) => void,
): Promise<{ attempts: AttemptEvidence[]; serverHeader: string | null | undefined }> {
  if (!options.signal) return handshakesOf(target, address, options, extraCas, onChain, undefined);
  // The caller's signal, relayed by one listener to a signal of this address's own: each handshake under way
  // listens to it, up to AT_ONCE per version at once, and Node warns at more than 10 listeners on one signal
  // (two addresses of one host would pass that on the caller's). Not AbortSignal.any, which on Node 20 keeps
  // an entry in a long-lived caller signal for every signal made from it (~58 bytes each, measured).
  const caller = options.signal;
  const own = new AbortController();
  setMaxListeners(AT_ONCE * (options.tlsVersions ?? DEFAULT_VERSIONS).length + 4, own.signal);
  const relay = () => own.abort(caller.reason);
  if (caller.aborted) relay();
  else caller.addEventListener('abort', relay, { once: true });
  try {
    return await handshakesOf(target, address, options, extraCas, onChain, own.signal);
  } finally {
    caller.removeEventListener('abort', relay);
  }
}

/** `handshakes`, with the signal the handshakes listen to. */
async function handshakesOf(
  target: Target,
  address: string,
  options: CollectOptions,
  extraCas: readonly Uint8Array[],
  onChain: (chain: readonly Uint8Array[]) => void,
  signal: AbortSignal | undefined,
): Promise<{ attempts: AttemptEvidence[]; serverHeader: string | null | undefined }> {
  const versions = options.tlsVersions ?? DEFAULT_VERSIONS;
  const attempts = options.attempts ?? DEFAULTS.attempts;
  // The HEAD that learns the server software goes out once per address, on the first handshake to complete
  // (in the round usually a TLS 1.3 one, a round trip before TLS 1.2's end). A handshake of the round closed
  // uncounted keeps its HEAD going (only an unfinished handshake is cut off), and its answer stands for the
  // address: the server software does not depend on which handshake asked.
  let head: 'wanted' | 'taken' = options.httpHead === false ? 'taken' : 'wanted';
  const takeHead = () => {
    if (head !== 'wanted') return false;
    head = 'taken';
    return true;
  };
  let serverHeader: string | null | undefined;
  const noteHeader = (outcome: AttemptOutcome) => {
    if (outcome.ok && outcome.serverHeader !== undefined) serverHeader = outcome.serverHeader;
  };
  let unreachable = false;
  // The HEAD after a handshake finishes in the background while the other handshakes go on; its Server header
  // is put into that attempt's outcome before the evidence is returned.
  const heads: Promise<void>[] = [];

  interface Started {
    /** The handshake's outcome, before any HEAD. */
    readonly done: Promise<AttemptOutcome>;
    /** The outcome with the HEAD's Server header, once that is over too. */
    readonly complete: Promise<AttemptOutcome>;
  }
  const start = (tlsVersion: TlsVersion, cancel?: AbortSignal, onStaple?: () => void): Started => {
    let handshakeDone: (outcome: AttemptOutcome) => void = () => {};
    const done = new Promise<AttemptOutcome>((resolve) => {
      handshakeDone = resolve;
    });
    const complete = handshake({
      address,
      port: target.port,
      servername: target.servername,
      tlsVersion,
      timeoutMs: options.timeoutMs ?? DEFAULTS.timeoutMs,
      trust: trustContext(tlsVersion, extraCas),
      httpHead: takeHead,
      onHandshake: (outcome) => handshakeDone(outcome),
      ...(onStaple ? { onStaple } : {}),
      ...(signal ? { signal } : {}),
      ...(cancel ? { cancel } : {}),
    });
    return { done: Promise.race([done, complete]), complete };
  };
  /** Count a started handshake as attempt `attempt` of its version, into `out`. */
  const record = async (tlsVersion: TlsVersion, attempt: number, started: Started, out: AttemptEvidence[]): Promise<AttemptOutcome> => {
    const outcome = await started.done;
    if (outcome.ok) onChain(outcome.chain);
    const entry: { attempt: number; tlsVersion: TlsVersion; outcome: AttemptOutcome } = { attempt, tlsVersion, outcome };
    out.push(entry);
    heads.push(
      started.complete.then((complete) => {
        entry.outcome = complete;
        noteHeader(complete);
      }),
    );
    // A dead address fails the other version too.
    if (!outcome.ok && UNREACHABLE.has(outcome.error.kind)) unreachable = true;
    return outcome;
  };

  /**
   * Attempts `from`..`to` of one version, in turn, into `out`; stops at the first failure (retrying a failed
   * handshake tells nothing new). With `pause`, an unstapled attempt that is not the last is followed by the
   * retry delay (a lazy server's time to fetch).
   */
  const lane = async (tlsVersion: TlsVersion, from: number, to: number, out: AttemptEvidence[], pause = true, onStaple?: () => void): Promise<void> => {
    for (let attempt = from; attempt <= to; attempt++) {
      if (unreachable || signal?.aborted) return;
      const outcome = await record(tlsVersion, attempt, start(tlsVersion, undefined, onStaple), out);
      if (!outcome.ok) return;
      if (pause && outcome.staple === null && attempt < attempts) await sleep(options.retryDelayMs ?? DEFAULTS.retryDelayMs, signal);
    }
  };
  /** Attempts `from`..`attempts` of one version, at most AT_ONCE at a time. */
  const rest = async (tlsVersion: TlsVersion, from: number, out: AttemptEvidence[]) => {
    for (let first = from; first <= attempts; first += AT_ONCE) {
      const last = Math.min(attempts, first + AT_ONCE - 1);
      await Promise.all(Array.from({ length: last - first + 1 }, (_, k) => lane(tlsVersion, first + k, first + k, out, false)));
    }
  };

  const perVersion = versions.map(() => [] as AttemptEvidence[]);
  const [first] = versions;
  const [firstOut] = perVersion;
  if (first === undefined || firstOut === undefined || attempts < 1) return { attempts: [], serverHeader: undefined };
  // The staple is known before the handshake ends (TLS 1.2 sends it in the server's first flight, a round trip
  // before the Finished messages).
  let stapleSeen: () => void = () => {};
  const stapled = new Promise<boolean>((resolve) => {
    stapleSeen = () => resolve(true);
  });
  const opening = lane(first, 1, 1, firstOut, true, stapleSeen);
  // The rest of the first round, started alongside the opening handshake; each version's may be closed
  // uncounted.
  const roundEnd = Math.min(attempts, AT_ONCE);
  const round = versions.map((version, i) => {
    const from = i === 0 ? 2 : 1;
    const size = Math.max(0, roundEnd - from + 1);
    // No controller for an empty round (one version, one attempt: the bench's and a monitor's usual case).
    const stop = size > 0 ? new AbortController() : null;
    const started = Array.from({ length: size }, (_, k) => ({ attempt: from + k, started: start(version, stop?.signal) }));
    /**
     * Close these handshakes, uncounted: those still under way are cut off, those over stay so; wait until
     * each is over. A HEAD one of them sent goes on in the background, and its answer is kept.
     */
    const drop = async (list: readonly { started: Started }[]) => {
      if (list.length === 0) return;
      stop?.abort();
      for (const s of list) heads.push(s.started.complete.then(noteHeader));
      await Promise.all(list.map((s) => s.started.done));
    };
    return { version, started, drop };
  });

  /** Count a version's handshakes of the round after its first: all if that worked, none if it failed. */
  const countRound = async (i: number, firstOutcome: AttemptOutcome, others: readonly { attempt: number; started: Started }[]) => {
    const { version, drop } = round[i] as (typeof round)[number];
    const out = perVersion[i] as AttemptEvidence[];
    if (!firstOutcome.ok) return drop(others);
    await Promise.all(others.map((s) => record(version, s.attempt, s.started, out)));
    if (!unreachable && !signal?.aborted) await rest(version, roundEnd + 1, out);
  };
  /** A later version's handshakes of the round, its first attempt deciding for the others. */
  const countVersion = async (i: number) => {
    const { version, started } = round[i] as (typeof round)[number];
    const [firstOfVersion, ...others] = started;
    if (!firstOfVersion) return;
    await countRound(i, await record(version, firstOfVersion.attempt, firstOfVersion.started, perVersion[i] as AttemptEvidence[]), others);
  };

  const early = await Promise.race([stapled, opening.then(() => false)]);
  const openingOutcome = firstOut[0]?.outcome;
  if (early || (openingOutcome?.ok && openingOutcome.staple !== null)) {
    // The very first handshake carried a staple: the round stands, and nothing waits for a fetch.
    await Promise.all(
      round.map(async ({ version, started }, i) => {
        const out = perVersion[i] as AttemptEvidence[];
        if (i === 0) {
          // The first version's attempts all count, whatever became of the first after its staple.
          await Promise.all([opening, ...started.map((s) => record(version, s.attempt, s.started, out))]);
          if (!unreachable && !signal?.aborted) await rest(version, roundEnd + 1, out);
          return;
        }
        await countVersion(i);
      }),
    );
  } else {
    // No staple on the first handshake. When it worked (a lazy server), the round is not counted and the rest
    // goes in turn, so that the fetch shows. When it failed, the next version's first attempt of the round
    // decides in its place, and so on.
    await opening;
    await round[0]?.drop(round[0].started);
    let decider = openingOutcome?.ok ? 0 : -1;
    for (let i = 1; decider < 0 && i < versions.length; i++) {
      const { version, started, drop } = round[i] as (typeof round)[number];
      const [firstOfVersion, ...others] = started;
      if (unreachable || signal?.aborted || !firstOfVersion) {
        await drop(started);
        continue;
      }
      const outcome = await record(version, 1, firstOfVersion.started, perVersion[i] as AttemptEvidence[]);
      if (outcome.ok && outcome.staple !== null) {
        // A staple: this version's round and every later version's stand, as for the first version.
        await Promise.all([countRound(i, outcome, others), ...round.slice(i + 1).map((_, k) => countVersion(i + 1 + k))]);
        decider = versions.length;
        break;
      }
      await drop(others);
      if (outcome.ok) {
        decider = i;
        if (attempts > 1) await sleep(options.retryDelayMs ?? DEFAULTS.retryDelayMs, signal);
      }
    }
    if (decider >= 0 && decider < versions.length) {
      // In turn from the decider's second attempt; the later versions' round is not counted.
      await Promise.all(round.slice(decider + 1).map((later) => later.drop(later.started)));
      await lane(versions[decider] as TlsVersion, 2, attempts, perVersion[decider] as AttemptEvidence[]);
      for (let i = decider + 1; i < versions.length; i++) await lane(versions[i] as TlsVersion, 1, attempts, perVersion[i] as AttemptEvidence[]);
    }
  }
  // Each version's attempts in their order, whatever order they finished in.
  for (const out of perVersion) out.sort((a, b) => a.attempt - b.attempt);
  await Promise.all(heads);
  // Sequence order (versions as given, attempts in turn), whatever order the lanes finished in.
  return { attempts: perVersion.flat(), serverHeader };
}

/**
 * Gather the evidence for one target: resolve, handshake on every address and version, then for each
 * distinct certificate find its issuer (fetching AIA caIssuers only when no local source has it) and ask
 * its OCSP responder once. Never throws for I/O: failures are recorded as data.
 */
export async function collect(target: Target, options: CollectOptions = {}): Promise<ProbeEvidence> {
  const extraCerts = options.extraCerts ?? [];
  const cache = options.cache ?? createCollectCache();
  const verifier = options.verifier ?? new SignatureVerifier();
  const given = options.issuer ? tryParse(options.issuer) : null;
  // The --ca-file certificates are parsed when an issuer search first gets to them: most servers send the
  // issuer, and before the first handshake a cold process's first parse costs ~25 ms.
  let caFileCerts: Cert[] | null = null;
  const fromCaFile = () => (caFileCerts ??= extraCerts.map(tryParse).filter((c): c is Cert => c !== null));

  // Issuer discovery and the live query of a certificate start as soon as a handshake has served it, while
  // the other handshakes go on: a cold probe waits for the responder and the server at once, not in turn.
  const leaves = new Map<string, Promise<{ live: LiveEvidence | null; issuerFetches: IssuerFetchEvidence[] }>>();
  const onChain = (chain: readonly Uint8Array[]) => {
    const leafDer = chain[0];
    if (!leafDer) return;
    const leafKey = sha256Hex(leafDer);
    if (leaves.has(leafKey)) return;
    const leaf = tryParse(leafDer);
    if (!leaf) return;
    const served = chain.slice(1).map(tryParse).filter((c): c is Cert => c !== null);
    leaves.set(leafKey, leafWork(leafKey, leaf, served));
  };
  const leafWork = async (leafKey: string, leaf: Cert, served: Cert[]) => {
    const issuerFetches: IssuerFetchEvidence[] = [];
    const sources: { source: IssuerSource; certs: Cert[] }[] = [
      { source: 'given', certs: given ? [given] : [] },
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
        const exchange = await once(cache.issuers, url, () => httpExchange(url, { method: 'GET' }, options.http));
        issuerFetches.push({ leaf: leafKey, url, exchange });
        const certs = exchange.ok && exchange.status === 200 ? certificatesFromIssuerBody(exchange.body).map(tryParse).filter((c): c is Cert => c !== null) : [];
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
      return { exchange: await liveQuery(ocspUrl, buildOcspRequest(leaf, issuer, nonce ?? undefined), options.http), nonce };
    });
    return { live: { leaf: leafKey, ocspUrl, nonce, exchange }, issuerFetches };
  };

  const resolving = options.address ? resolveTarget(options.address) : resolveTarget(target.host, options.resolver);
  // While the name resolves (getaddrinfo runs on libuv's thread pool), build the trust contexts the handshakes
  // will use: the first parses Node's root store, 30-50 ms of CPU that a cold probe would otherwise spend after
  // the lookup instead of during it.
  for (const version of options.tlsVersions ?? DEFAULT_VERSIONS) trustContext(version, extraCerts);
  const resolved = await resolving;
  const addresses: AddressEvidence[] = await Promise.all(
    resolved.addresses.map(async ({ address, family }) => {
      const { attempts, serverHeader } = await handshakes(target, address, options, extraCerts, onChain);
      return { address, family, attempts, ...(serverHeader !== undefined ? { serverHeader } : {}) };
    }),
  );
  // In the order the certificates were first served, whatever order their queries finished in.
  const perLeaf = await Promise.all(leaves.values());
  const live = perLeaf.flatMap((l) => (l.live ? [l.live] : []));
  const issuerFetches = perLeaf.flatMap((l) => l.issuerFetches);

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
    server: options.server ?? null,
  };
}
