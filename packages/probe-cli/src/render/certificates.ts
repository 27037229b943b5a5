/**
 * The certificates of a target that served several (an RSA and an ECDSA one, say), each with the worst finding
 * about it: what the table's headline, its certificates rows and the Nagios summary say per certificate.
 */
import { type CertificateReport, FINDINGS, type Finding, type FindingCode, type Report, type Severity, type TargetReport } from '@staple-probe/core';

/** "RSA certificate 1001": how `renderMessage` names a certificate in a finding about one of several. */
export function certificateName(c: CertificateReport): string {
  return `${c.keyType} certificate ${c.leaf.serial}`;
}

/**
 * Whether a finding is about certificate `c`: one of its places names it, or none names any certificate (then
 * it concerns them all). That the certificates disagree is about them together, so about none alone. The
 * same reading as core's `CertificateReport.verdict`, so a certificate's worst finding matches its verdict.
 */
export function concerns(finding: Finding, c: CertificateReport): boolean {
  if (finding.code === 'COMPARE_CERTIFICATES_DISAGREE') return false;
  const named = finding.where.filter((w) => w.serial !== undefined);
  return named.length === 0 || named.some((w) => w.serial === c.leaf.serial && w.keyType === c.keyType);
}

const RANK: Record<Severity, number> = { info: 0, warn: 1, unknown: 2, critical: 3 };

/** The worst finding other than a note, the first of its severity; null when there is none. */
export function worstOf(findings: readonly Finding[]): Finding | null {
  let worst: Finding | null = null;
  for (const f of findings) if (f.severity !== 'info' && (!worst || RANK[f.severity] > RANK[worst.severity])) worst = f;
  return worst;
}

/** A finding's title as a clause: "Staple is for another certificate" -> "staple is for another certificate"; "CA's …" and "TLS …" stay. */
export function titleClause(code: FindingCode): string {
  const title = FINDINGS[code].title;
  return /^[A-Z][a-z]/.test(title) ? `${title[0]?.toLowerCase()}${title.slice(1)}` : title;
}

/** One certificate of the target, named, with the findings about it and the worst of them. */
export interface CertificateState {
  readonly certificate: CertificateReport;
  readonly name: string;
  readonly findings: readonly Finding[];
  readonly worst: Finding | null;
}

/**
 * Each certificate of `target` when it served more than one; null for one certificate or none. Without
 * `target`, the one target of the report: null for a report of several targets too, whose headline and
 * Nagios line are about targets, not certificates.
 */
export function certificateStates(report: Report, target?: TargetReport): CertificateState[] | null {
  const about = target ?? (report.targets.length === 1 ? report.targets[0] : undefined);
  if (!about || about.certificates.length < 2) return null;
  // A merged report's findings name their target; one target's report has only its own.
  const own = report.targets.length > 1 ? report.findings.filter((f) => f.where.some((w) => w.target === about.target.input)) : report.findings;
  return about.certificates.map((certificate) => {
    const findings = own.filter((f) => concerns(f, certificate));
    return { certificate, name: certificateName(certificate), findings, worst: worstOf(findings) };
  });
}

/** Time to an instant, coarsely: "36m", "5.0h", "6.5d". */
function until(iso: string, nowIso: string): string {
  const s = Math.max(0, (Date.parse(iso) - Date.parse(nowIso)) / 1000);
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${(s / 3600).toFixed(1)}h`;
  return `${(s / 86400).toFixed(1)}d`;
}

/**
 * "revocation by CRL: ok, not listed, next update in 5.0d" when the one target's first certificate has a CRL
 * that says so (every other CRL state comes with a finding that the headline names instead); null otherwise.
 */
export function crlOkClause(report: Report): string | null {
  const certificate = report.targets.length === 1 ? report.targets[0]?.certificates[0] : undefined;
  const crls = certificate?.crls ?? [];
  if (crls.length === 0 || !crls.every((c) => c.status === 'not-listed')) return null;
  const next = crls
    .map((c) => c.nextUpdate)
    .filter((n): n is string => n !== null)
    .sort()[0];
  return `revocation by CRL: ok, not listed${next ? `, next update in ${until(next, report.at)}` : ''}`;
}
