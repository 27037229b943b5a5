import type {
  AttemptEvidence,
  AttemptOutcome,
  CertRole,
  StapleReport,
  NoIssuerReason,
  IssuerFetchEvidence,
  Location,
  Offer,
  ProbeEvidence,
  TlsVersion,
} from '../types.js';
import { sha256Hex } from './bytes.js';
import { type Cert, parseCertificate } from './certificate.js';
import { compareStapleWithLive } from './compare.js';
import { certificatesFromIssuerBody, chooseIssuer, givenIssuers, type IssuerChoice } from './issuer.js';
import { type Context, type Judged, judgeResponse } from './judge.js';
import { judgeLive, type LiveJudged } from './live.js';
import type { Problem } from './problem.js';
import { type CrlView, judgeCrls } from './revocation.js';

/** Parses certificates once per run, remembering which would not parse. */
export class Certs {
  readonly #cache = new Map<string, Cert | null>();
  readonly problems: Problem[] = [];

  of(der: Uint8Array, role: CertRole): Cert | null {
    const key = sha256Hex(der);
    if (!this.#cache.has(key)) {
      try {
        this.#cache.set(key, parseCertificate(der));
      } catch (error) {
        this.#cache.set(key, null);
        this.problems.push({ code: 'CERT_UNPARSEABLE', args: { role, reason: error instanceof Error ? error.message : String(error) } });
      }
    }
    return this.#cache.get(key) ?? null;
  }

  all(ders: readonly Uint8Array[], role: CertRole): Cert[] {
    return ders.map((d) => this.of(d, role)).filter((c): c is Cert => c !== null);
  }
}

/** One served leaf, worked out once however many addresses and handshakes served it. */
export interface CertificateView {
  readonly leaf: Cert;
  readonly choice: IssuerChoice;
  /** The CA's live answer, judged; null when none was asked or the issuer is unknown. */
  readonly live: LiveJudged | null;
  /** The caIssuers downloads made for this leaf, in evidence order. */
  readonly issuerFetches: readonly IssuerFetchEvidence[];
  /** Its CRL downloads, each judged for it when it arrived. */
  readonly crls: readonly CrlView[];
  /** The place of findings about the certificate itself: its target (and the certificate, when it has company). */
  readonly where: Location;
}

/** One handshake: what it served and stapled, with its staple judged for the certificate it came with. */
export interface AttemptView {
  readonly tlsVersion: TlsVersion;
  readonly attempt: number;
  readonly offer: Offer;
  /** Its place among the address's handshakes by start. */
  readonly order: number;
  readonly outcome: AttemptOutcome;
  /** The served leaf, when the handshake completed and the leaf parses. */
  readonly certificate: CertificateView | null;
  /** The served chain, parsed (certificates that do not parse left out). */
  readonly chain: readonly Cert[];
  readonly staple: { readonly sha256: string; readonly judged: Judged } | null;
}

/** One certificate as one address served it: the handshakes that judge its staple's presence. */
export interface AddressCertificate {
  readonly certificate: CertificateView;
  /**
   * Its completed handshakes, by start: every one of the default offer's, and another offer's only where
   * the default offer of that version did not get this certificate (else that offer only confirmed it).
   */
  readonly attempts: readonly AttemptView[];
  readonly stapled: boolean;
  /** The address's place, with the certificate's when the target served more than one. */
  readonly where: Location;
}

/** One address of the target and its handshakes, in the order they were counted. */
export interface AddressView {
  readonly address: string;
  readonly family: 4 | 6;
  /** Every handshake: the default offer's per version in order, then the other offers'. */
  readonly attempts: readonly AttemptView[];
  /** The leaf of the default offer's first handshake that served one that parses. */
  readonly leaf: Cert | null;
  /** Stapled in at least one handshake that judges presence; null when no handshake completed. */
  readonly stapled: boolean | null;
  /** Each certificate the address served, in the order first served. */
  readonly certificates: readonly AddressCertificate[];
  /** `{ target, address }`: the place of findings about the address. */
  readonly where: Location;
}

/** Everything the rules judge about one probed target, worked out once. */
export interface ProbeViews {
  readonly certificates: readonly CertificateView[];
  /** The target served more than one certificate: findings about one name it. */
  readonly several: boolean;
  readonly addresses: readonly AddressView[];
  /** Each distinct staple, decoded, in the order first seen. */
  readonly staples: readonly StapleReport[];
  /** Certificates that did not parse (CERT_UNPARSEABLE), in the order met. */
  readonly unparseable: readonly Problem[];
}

function noIssuerReason(choice: IssuerChoice, given: boolean): NoIssuerReason {
  if (choice.rejected && !choice.issuer) return 'issuer-mismatch';
  return given ? 'issuer-unparseable' : 'issuer-not-found';
}

/** The certificate view of a served leaf, made on first sight: issuer discovery and the live answer. */
function certificateViews(evidence: ProbeEvidence, certs: Certs, ctx: Context, several: boolean) {
  const target: Location = { target: evidence.target.input };
  const given = certs.all(givenIssuers(evidence.issuer), 'issuer');
  const fromCaFile = certs.all(evidence.extraCerts ?? [], 'ca-file');
  const views = new Map<string, Promise<CertificateView>>();
  const make = async (key: string, leaf: Cert, servedDers: readonly Uint8Array[]): Promise<CertificateView> => {
    const served = certs.all(servedDers, 'chain');
    const issuerFetches = (evidence.issuerFetches ?? []).filter((f) => f.leaf === key);
    const fetched = issuerFetches.flatMap((f) =>
      f.exchange.ok && f.exchange.status === 200 ? certs.all(certificatesFromIssuerBody(f.exchange.body), 'aia') : [],
    );
    const choice = await chooseIssuer(
      leaf,
      [
        { source: 'given', certs: given },
        { source: 'served', certs: served },
        { source: 'ca-file', certs: fromCaFile },
        { source: 'aia', certs: fetched },
      ],
      ctx.verifier,
    );
    const liveEvidence = (evidence.live ?? []).find((l) => l.leaf === key);
    const live = liveEvidence && choice.issuer ? await judgeLive(liveEvidence, leaf, choice.issuer, ctx) : null;
    const crls = await judgeCrls(
      { leaf, choice },
      (evidence.crls ?? []).filter((c) => c.leaf === key),
      ctx,
    );
    return { leaf, choice, live, issuerFetches, crls, where: several ? { ...target, ...certificateWhere(leaf) } : target };
  };
  return {
    given: givenIssuers(evidence.issuer).length > 0,
    /** The view of the leaf `leafDer`, served with `servedDers`; null when it does not parse. */
    of(leafDer: Uint8Array, servedDers: readonly Uint8Array[]): Promise<CertificateView> | null {
      const key = sha256Hex(leafDer);
      const leaf = certs.of(leafDer, 'leaf');
      if (!leaf) return null;
      let view = views.get(key);
      if (!view) {
        view = make(key, leaf, servedDers);
        views.set(key, view);
      }
      return view;
    },
    all: (): Promise<CertificateView[]> => Promise.all(views.values()),
  };
}

/** Judges each staple once per certificate, the comparison with the live answer included. */
function stapleJudge(ctx: Context, given: boolean) {
  const judged = new Map<string, Promise<Judged>>();
  const staples: StapleReport[] = [];
  return {
    staples,
    async judge(bytes: Uint8Array, certificate: CertificateView | null): Promise<{ sha256: string; judged: Judged }> {
      const sha256 = sha256Hex(bytes);
      const key = `${sha256}:${certificate ? sha256Hex(certificate.leaf.der) : '-'}`;
      let result = judged.get(key);
      if (!result) {
        const reason = certificate ? noIssuerReason(certificate.choice, given) : 'issuer-not-found';
        const live = certificate?.live?.valid ?? null;
        result = judgeResponse(bytes, certificate?.leaf ?? null, certificate?.choice.issuer ?? null, reason, ctx).then((j) => ({
          ...j,
          problems: [...j.problems, ...(live ? compareStapleWithLive(j, live) : [])],
        }));
        judged.set(key, result);
        const decoded = (await result).decoded;
        if (!staples.some((s) => s.sha256 === sha256)) staples.push({ sha256, decoded, der: Buffer.from(bytes).toString('base64') });
      }
      return { sha256, judged: await result };
    },
  };
}

/** The place of a certificate in findings about it. */
export const certificateWhere = (leaf: Cert): Location => ({ keyType: leaf.keyType, serial: leaf.serial });

/** Whether the handshakes served more than one distinct leaf. */
function servedSeveral(evidence: ProbeEvidence): boolean {
  const leaves = new Set<string>();
  for (const a of evidence.addresses)
    for (const { outcome } of a.attempts) {
      const leaf = outcome.ok ? outcome.chain[0] : undefined;
      if (leaf) leaves.add(sha256Hex(leaf));
    }
  return leaves.size > 1;
}

/** Per certificate an address served, the handshakes that judge its staple's presence (see AddressCertificate). */
export function addressCertificates(attempts: readonly AttemptView[], at: Location, several: boolean): AddressCertificate[] {
  const byDefault = new Set(attempts.filter((a) => a.offer === 'default' && a.certificate).map((a) => `${a.tlsVersion}:${a.certificate?.leaf.sha256}`));
  const groups = new Map<string, { certificate: CertificateView; list: AttemptView[] }>();
  for (const a of [...attempts].sort((x, y) => x.order - y.order)) {
    const c = a.certificate;
    if (!c || !a.outcome.ok) continue;
    if (a.offer !== 'default' && byDefault.has(`${a.tlsVersion}:${c.leaf.sha256}`)) continue;
    const group = groups.get(c.leaf.sha256);
    if (group) group.list.push(a);
    else groups.set(c.leaf.sha256, { certificate: c, list: [a] });
  }
  return [...groups.values()].map(({ certificate, list }) => ({
    certificate,
    attempts: list,
    stapled: list.some((a) => a.staple !== null),
    where: several ? { ...at, ...certificateWhere(certificate.leaf) } : at,
  }));
}

/**
 * The views the rules judge, built once from the evidence: per certificate (issuer, live answer), per
 * address (its handshakes in order, each with its staple judged). Certificates are parsed, issuers chosen
 * and staples judged here, in the order the handshakes were made.
 */
export async function buildProbeViews(evidence: ProbeEvidence, ctx: Context): Promise<ProbeViews> {
  const certs = new Certs();
  const several = servedSeveral(evidence);
  const certificates = certificateViews(evidence, certs, ctx, several);
  const staples = stapleJudge(ctx, certificates.given);

  const attemptView = async (attempt: AttemptEvidence, index: number): Promise<AttemptView> => {
    const { tlsVersion, outcome } = attempt;
    const base = { tlsVersion, attempt: attempt.attempt, offer: attempt.offer ?? 'default', order: attempt.order ?? index, outcome };
    if (!outcome.ok) return { ...base, certificate: null, chain: [], staple: null };
    const leafDer = outcome.chain[0];
    const certificate = leafDer ? await certificates.of(leafDer, outcome.chain.slice(1)) : null;
    const staple = outcome.staple ? await staples.judge(outcome.staple, certificate) : null;
    return { ...base, certificate, chain: certs.all(outcome.chain, 'chain'), staple };
  };

  const addresses: AddressView[] = [];
  for (const address of evidence.addresses) {
    const attempts: AttemptView[] = [];
    for (const [index, attempt] of address.attempts.entries()) attempts.push(await attemptView(attempt, index));
    const where: Location = { target: evidence.target.input, address: address.address };
    const served = addressCertificates(attempts, where, several);
    const judging = attempts.filter((a) => a.outcome.ok && (a.offer === 'default' || served.some((c) => c.attempts.includes(a))));
    addresses.push({
      address: address.address,
      family: address.family,
      attempts,
      leaf: (attempts.find((a) => a.offer === 'default' && a.certificate) ?? attempts.find((a) => a.certificate))?.certificate?.leaf ?? null,
      stapled: judging.length > 0 ? judging.some((a) => a.staple !== null) : null,
      certificates: served,
      where,
    });
  }
  return { certificates: await certificates.all(), several, addresses, staples: staples.staples, unparseable: certs.problems };
}
