import type { CertificateReport, Report, SingleResponseView, TargetReport, Verdict } from '@staple-probe/core';
import { Gauge, Registry } from 'prom-client';
import { type Scope, scopedVerdict } from '../scope.js';

const VERDICT_VALUE: Record<Verdict, number> = { ok: 0, warn: 1, critical: 2, unknown: 3 };

/**
 * Seconds rounded to the microsecond: `performance.now()` differences carry float noise
 * (0.03828533400000015), and no clock here is finer than that.
 */
export function roundSeconds(seconds: number): number {
  return Math.round(seconds * 1e6) / 1e6;
}

type Attempt = TargetReport['addresses'][number]['attempts'][number];

/** One certificate's staple: the first SingleResponse for its serial in a staple of a handshake that served it. */
function stapleOf(report: Report, target: TargetReport, c: CertificateReport): { single: SingleResponseView; producedAt: string } | null {
  for (const a of target.addresses) {
    for (const attempt of a.attempts) {
      if (!attempt.staple || attempt.chain[0]?.sha256 !== c.leaf.sha256) continue;
      const basic = report.staples.find((s) => s.sha256 === attempt.staple)?.decoded?.basic;
      const single = basic?.responses.find((r) => r.certId.serial === c.leaf.serial);
      if (basic && single) return { single, producedAt: basic.producedAt };
    }
  }
  return null;
}

/**
 * The certificates to label by key type, the first of each key type only: two certificates of one key type
 * (say, different RSA certificates on two addresses, which COMPARE_ADDRESSES_DISAGREE reports) would share
 * every label, and a series has one value.
 */
function byKeyType(target: TargetReport | undefined): CertificateReport[] {
  const seen = new Set<string>();
  return (target?.certificates ?? []).filter((c) => (seen.has(c.keyType) ? false : (seen.add(c.keyType), true)));
}

/** Per address, TLS version and certificate: whether any handshake that served it carried a staple; and the first handshake's duration. */
function handshakeMetrics(target: TargetReport | undefined, gauge: (name: string, help: string, labels: string[]) => Gauge): void {
  const present = gauge(
    'staple_probe_staple_present',
    'Whether any handshake on this address and TLS version that served the certificate of this key type carried a staple.',
    ['address', 'tls_version', 'key_type'],
  );
  const handshake = gauge('staple_probe_handshake_duration_seconds', 'Duration of the first handshake on this address and TLS version.', [
    'address',
    'tls_version',
  ]);
  const certificates = byKeyType(target);
  for (const a of target?.addresses ?? []) {
    for (const v of new Set(a.attempts.map((x) => x.tlsVersion))) {
      const attempts = a.attempts.filter((x) => x.tlsVersion === v && x.ok);
      // The default offer's first: the handshake every client makes (the offers' come after it).
      const first = attempts.find((x) => x.offer === 'default') ?? attempts[0];
      if (first) handshake.set({ address: a.address, tls_version: v }, roundSeconds(first.durationMs / 1000));
      for (const c of certificates) {
        const served = attempts.filter((x: Attempt) => x.chain[0]?.sha256 === c.leaf.sha256);
        if (served.length) present.set({ address: a.address, tls_version: v, key_type: c.keyType }, served.some((x) => x.staple !== null) ? 1 : 0);
      }
    }
  }
}

/**
 * The metrics of one `/probe` scrape, in a registry of their own (the blackbox_exporter pattern: nothing
 * carries over between scrapes). Every series is documented in docs/monitoring.md. Values about one
 * certificate carry its `key_type` (RSA, ECDSA, …), one series per certificate the target served, so a
 * server with an RSA and an ECDSA certificate shows both and one alone keeps the same series.
 * `staple_probe_verdict` follows the module's `scope` (every finding, or the stapling verdict alone).
 */
export function probeRegistry(report: Report | null, durationSeconds: number, scope: Scope = 'all'): Registry {
  const registry = new Registry();
  const gauge = (name: string, help: string, labelNames: string[] = []) => new Gauge({ name, help, labelNames, registers: [registry] });

  const success = gauge('probe_success', 'Whether the probe could judge the target (1) or not (0: unreachable, bad target, internal error).');
  const duration = gauge('staple_probe_duration_seconds', 'Wall time of the probe, handshakes and live query included.');
  duration.set(roundSeconds(durationSeconds));
  if (!report) {
    success.set(0);
    return registry;
  }
  success.set(report.verdict === 'unknown' ? 0 : 1);
  gauge(
    'staple_probe_verdict',
    "Verdict the module's scope follows (all findings, or the stapling verdict alone): 0 ok, 1 warn, 2 critical, 3 unknown (the CLI's exit codes).",
  ).set(VERDICT_VALUE[scopedVerdict(report, scope)]);
  gauge(
    'staple_probe_stapling_verdict',
    'Verdict over the stapling findings alone (STAPLE_, SIGNER_, LIVE_, COMPARE_): 0 ok, 1 warn, 2 critical, 3 unknown.',
  ).set(VERDICT_VALUE[report.staplingVerdict]);
  const finding = gauge('staple_probe_finding', 'One series per finding code present, with its severity (see docs/findings.md).', ['code', 'severity']);
  for (const f of report.findings) finding.set({ code: f.code, severity: f.severity }, 1);

  const target = report.targets[0];
  handshakeMetrics(target, gauge);
  const certificates = byKeyType(target);
  const verdict = gauge(
    'staple_probe_certificate_verdict',
    'Verdict over the findings about the certificate of this key type: 0 ok, 1 warn, 2 critical, 3 unknown.',
    ['key_type'],
  );
  for (const c of certificates) verdict.set({ key_type: c.keyType }, VERDICT_VALUE[c.verdict]);

  const status = gauge('staple_probe_cert_status', 'Certificate status (good, revoked, unknown) from the staple and from the live answer.', [
    'source',
    'status',
    'key_type',
  ]);
  // Registered only when there is a value: an unset gauge would read 0, which an alert cannot tell from "expired".
  const at = Date.parse(report.at);
  const stapled = certificates.flatMap((c) => {
    const staple = target ? stapleOf(report, target, c) : null;
    return staple ? [{ labels: { key_type: c.keyType }, ...staple }] : [];
  });
  if (stapled.length) {
    const thisUpdate = gauge('staple_probe_staple_this_update_timestamp_seconds', 'thisUpdate of the staple for the certificate, as a Unix timestamp.', [
      'key_type',
    ]);
    const producedAt = gauge('staple_probe_staple_produced_at_timestamp_seconds', 'producedAt of that staple, as a Unix timestamp.', ['key_type']);
    for (const { labels, single, producedAt: produced } of stapled) {
      status.set({ source: 'staple', status: single.certStatus, ...labels }, 1);
      thisUpdate.set(labels, Date.parse(single.thisUpdate) / 1000);
      producedAt.set(labels, Date.parse(produced) / 1000);
    }
  }
  const expiring = stapled.flatMap(({ labels, single }) => (single.nextUpdate === null ? [] : [{ labels, next: Date.parse(single.nextUpdate) }]));
  if (expiring.length) {
    const nextUpdate = gauge('staple_probe_staple_next_update_timestamp_seconds', 'nextUpdate of that staple, as a Unix timestamp (absent when it has none).', [
      'key_type',
    ]);
    const untilNext = gauge(
      'staple_probe_staple_seconds_until_next_update',
      "Seconds from the probe until that staple's nextUpdate (negative once expired; absent without a staple).",
      ['key_type'],
    );
    for (const { labels, next } of expiring) {
      nextUpdate.set(labels, next / 1000);
      untilNext.set(labels, (next - at) / 1000);
    }
  }
  for (const c of certificates) {
    const live = target?.live.find((l) => l.valid && l.leafSerial === c.leaf.serial);
    if (live?.certStatus) status.set({ source: 'live', status: live.certStatus, key_type: c.keyType }, 1);
  }
  crlMetrics(certificates, gauge);
  return registry;
}

/**
 * Per CRL of each certificate (issue #22), labelled `url` and `key_type`: revoked (1 listed in an authentic
 * CRL, 0 not listed in an authentic, current one; absent when the CRL could not be trusted or downloaded),
 * its nextUpdate, its size and the download's duration. Registered only when some certificate has a CRL.
 */
function crlMetrics(certificates: readonly CertificateReport[], gauge: (name: string, help: string, labels: string[]) => Gauge): void {
  const crls = certificates.flatMap((c) => c.crls.map((crl) => ({ crl, labels: { url: crl.url, key_type: c.keyType } })));
  if (crls.length === 0) return;
  const labels = ['url', 'key_type'];
  const revoked = gauge(
    'staple_probe_crl_revoked',
    'Whether the CRL lists the certificate (1) or, authentic and current, does not (0); absent when it cannot be trusted.',
    labels,
  );
  const next = gauge('staple_probe_crl_next_update_timestamp_seconds', "The CRL's nextUpdate, as a Unix timestamp.", labels);
  const size = gauge('staple_probe_crl_size_bytes', 'Size of the CRL downloaded, in bytes.', labels);
  const fetch = gauge('staple_probe_crl_fetch_duration_seconds', 'Duration of the CRL download, body included.', labels);
  for (const { crl, labels: l } of crls) {
    if (crl.status === 'revoked' || crl.status === 'not-listed') revoked.set(l, crl.status === 'revoked' ? 1 : 0);
    if (crl.nextUpdate !== null) next.set(l, Date.parse(crl.nextUpdate) / 1000);
    if (crl.bytes !== null) size.set(l, crl.bytes);
    fetch.set(l, roundSeconds(crl.durationMs / 1000));
  }
}
