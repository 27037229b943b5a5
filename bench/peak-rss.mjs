import { readFileSync } from 'node:fs';

/**
 * This process's peak RSS in KiB. Linux's VmHWM is the high-water mark of the process's own memory since its
 * exec. `process.resourceUsage().maxRSS` (getrusage's ru_maxrss) is not: a spawned child inherits its
 * parent's, so a small child of a 250 MiB bench reported 250 MiB (measured: a 300 MiB parent, a child of
 * `node -e` said maxRSS 311 MiB, VmHWM 40 MiB, on Node 20 and 24). Elsewhere, maxRSS.
 */
export function peakRssKiB() {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match) return Number(match[1]);
  } catch {
    // no procfs
  }
  return process.resourceUsage().maxRSS;
}
