/** Shared by the CLI tests: the CLI's `main` run in this process, and the exporter's module defaults. */
import { readFileSync } from 'node:fs';
import { DEFAULTS } from '@staple-probe/core';
import { type Io, main } from '../../packages/probe-cli/src/cli.js';
import type { Module } from '../../packages/probe-cli/src/serve/exporter.js';

/** `probe ARGS` through `main`, with output captured; a 100-column non-terminal and real files unless `over` says else. */
export async function runCli(args: string[], over: Partial<Io> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    env: {},
    stdoutIsTty: false,
    stderrIsTty: false,
    columns: 100,
    readFile: (p) => new Uint8Array(readFileSync(p)),
    ...over,
  });
  return { code, stdout, stderr };
}

/** The module `probe serve` uses without flags (core's DEFAULTS), with `over` on top. */
export function moduleOf(over: Partial<Module> = {}): Module {
  return {
    tlsVersions: [...DEFAULTS.tlsVersions],
    keyTypes: DEFAULTS.keyTypes,
    attempts: DEFAULTS.attempts,
    timeoutMs: DEFAULTS.timeoutMs,
    retryDelayMs: DEFAULTS.retryDelayMs,
    live: true,
    crl: true,
    httpHead: true,
    warnRemainingSeconds: DEFAULTS.warnRemainingSeconds,
    critRemainingSeconds: DEFAULTS.critRemainingSeconds,
    scope: 'all',
    starttls: 'auto',
    ...over,
  };
}
