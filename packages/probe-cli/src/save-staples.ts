import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Report } from '@staple-probe/core';
import { UsageError } from './options.js';

function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EEXIST' || code === 'ENOTDIR') return 'not a directory';
  if (code === 'EISDIR') return 'is a directory';
  if (code === 'ENOSPC') return 'no space left on the device';
  if (code === 'EROFS') return 'read-only file system';
  return (error as Error).message;
}

/** Make `dir` (and its parents) before probing, so that a path that cannot be a directory fails at once. */
export function prepareStapleDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new UsageError(`--save-staples ${dir}: cannot create the directory: ${reasonOf(error)}`);
  }
}

/**
 * The file name of a staple served by `host:port`: `<host>_<port>-<first 16 hex digits of its SHA-256>.der`,
 * with every character outside `A-Za-z0-9.-` of the host (an IPv6 address's colons) as `_`. Distinct staples
 * of one target get distinct names; the same staple from the same target, the same name.
 */
export function stapleFileName(host: string, port: number, sha256: string): string {
  return `${host.replace(/[^A-Za-z0-9.-]/g, '_')}_${port}-${sha256.slice(0, 16)}.der`;
}

/**
 * Write each distinct staple of each report into `dir` as DER (what `probe inspect` and `openssl ocsp -respin`
 * read), named after the target that served it. Returns the paths written.
 */
export function saveStaples(dir: string, reports: readonly Report[]): string[] {
  const written: string[] = [];
  for (const report of reports) {
    for (const staple of report.staples) {
      const served = report.targets.find((t) => t.addresses.some((a) => a.attempts.some((at) => at.staple === staple.sha256))) ?? report.targets[0];
      if (!served) continue;
      const path = join(dir, stapleFileName(served.target.host, served.target.port, staple.sha256));
      try {
        writeFileSync(path, Buffer.from(staple.der, 'base64'));
      } catch (error) {
        throw new UsageError(`--save-staples: cannot write ${path}: ${reasonOf(error)}`);
      }
      written.push(path);
    }
  }
  return written;
}
