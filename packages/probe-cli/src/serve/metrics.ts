import type { Report, Verdict } from '@staple-probe/core';
import { Gauge, Registry } from 'prom-client';

const VERDICT_VALUE: Record<Verdict, number> = { ok: 0, warn: 1, critical: 2, unknown: 3 };

/**
 * The metrics of one `/probe` scrape, in a registry of their own (the blackbox_exporter pattern: nothing
 * carries over between scrapes). Every series is documented in docs/monitoring.md.
 */
export function probeRegistry(report: Report | null, durationSeconds: number): Registry {
  const registry = new Registry();
  const gauge = (name: string, help: string, labelNames: string[] = []) => new Gauge({ name, help, labelNames, registers: [registry] });

  const success = gauge('probe_success', 'Whether the probe could judge the target (1) or not (0: unreachable, bad target, internal error).');
  const duration = gauge('staple_probe_duration_seconds', 'Wall time of the probe, handshakes and live query included.');
  duration.set(durationSeconds);
  if (!report) {
    success.set(0);
    return registry;
  }
  success.set(report.verdict === 'unknown' ? 0 : 1);
  gauge('staple_probe_verdict', 'Overall verdict: 0 ok, 1 warn, 2 critical, 3 unknown (the exit codes of the CLI).').set(VERDICT_VALUE[report.verdict]);
  gauge(
    'staple_probe_stapling_verdict',
    'Verdict over the stapling findings alone (STAPLE_, SIGNER_, LIVE_, COMPARE_): 0 ok, 1 warn, 2 critical, 3 unknown.',
  ).set(VERDICT_VALUE[report.staplingVerdict]);
  const finding = gauge('staple_probe_finding', 'One series per finding code present, with its severity (see docs/findings.md).', ['code', 'severity']);
  for (const f of report.findings) finding.set({ code: f.code, severity: f.severity }, 1);

  const present = gauge('staple_probe_staple_present', 'Whether any handshake on this address and TLS version carried a staple.', ['address', 'tls_version']);
  const handshake = gauge('staple_probe_handshake_duration_seconds', 'Duration of the first handshake on this address and TLS version.', [
    'address',
    'tls_version',
  ]);
  const target = report.targets[0];
  for (const a of target?.addresses ?? []) {
    for (const v of new Set(a.attempts.map((x) => x.tlsVersion))) {
      const attempts = a.attempts.filter((x) => x.tlsVersion === v);
      if (!attempts.some((x) => x.ok)) continue;
      present.set({ address: a.address, tls_version: v }, attempts.some((x) => x.staple !== null) ? 1 : 0);
      const first = attempts.find((x) => x.ok);
      if (first) handshake.set({ address: a.address, tls_version: v }, first.durationMs / 1000);
    }
  }

  const status = gauge('staple_probe_cert_status', 'Certificate status (good, revoked, unknown) from the staple and from the live answer.', [
    'source',
    'status',
  ]);
  // Registered only when there is a value: an unset gauge would read 0, which an alert cannot tell from "expired".
  const at = Date.parse(report.at);
  const serial = target?.leaf?.serial;
  let single: NonNullable<NonNullable<Report['staples'][number]['decoded']>['basic']>['responses'][number] | undefined;
  let producedAtIso: string | undefined;
  for (const s of report.staples) {
    const found = s.decoded?.basic?.responses.find((r) => r.certId.serial === serial) ?? undefined;
    if (found && s.decoded?.basic) {
      single = found;
      producedAtIso = s.decoded.basic.producedAt;
      break;
    }
  }
  if (single && producedAtIso) {
    status.set({ source: 'staple', status: single.certStatus }, 1);
    gauge('staple_probe_staple_this_update_timestamp_seconds', 'thisUpdate of the staple for the served certificate, as a Unix timestamp.').set(
      Date.parse(single.thisUpdate) / 1000,
    );
    gauge('staple_probe_staple_produced_at_timestamp_seconds', 'producedAt of that staple, as a Unix timestamp.').set(Date.parse(producedAtIso) / 1000);
    if (single.nextUpdate) {
      gauge('staple_probe_staple_next_update_timestamp_seconds', 'nextUpdate of that staple, as a Unix timestamp (absent when it has none).').set(
        Date.parse(single.nextUpdate) / 1000,
      );
      gauge(
        'staple_probe_staple_seconds_until_next_update',
        "Seconds from the probe until that staple's nextUpdate (negative once expired; absent without a staple).",
      ).set((Date.parse(single.nextUpdate) - at) / 1000);
    }
  }
  const live = target?.live.find((l) => l.valid);
  if (live?.certStatus) status.set({ source: 'live', status: live.certStatus }, 1);
  return registry;
}
