/** `--save-staples`: the file names, the bytes written, and a write that fails (unit; the openssl round trip is test/openssl/save-staples.test.ts). */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assess, type Report } from '@staple-probe/core';
import { createPki, makeStaple } from '@staple-probe/core/testing';
import { UsageError } from '../../packages/probe-cli/src/options.js';
import { saveStaples, stapleFileName } from '../../packages/probe-cli/src/save-staples.js';
import { evidence } from '../helpers.js';

const NOW = new Date('2026-03-01T12:00:00Z');
let work = '';
let report: Report;
let good: Uint8Array;
let revoked: Uint8Array;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'staple-probe-save-unit-'));
  const pki = await createPki({ notBefore: new Date(NOW.getTime() - 30 * 86_400_000) });
  good = await makeStaple(pki, 'good', { now: NOW });
  revoked = await makeStaple(pki, 'revoked', { now: NOW });
  // One target whose handshakes stapled two different responses, one of them twice.
  const ev = evidence(
    [
      { v: '1.2', staple: good },
      { v: '1.2', staple: good },
      { v: '1.3', staple: revoked },
    ],
    { leaf: pki.leafRsa, chain: [pki.intermediate] },
  );
  report = await assess(ev, { now: NOW });
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('stapleFileName', () => {
  it('<host>_<port>-<16 hex digits of the SHA-256>.der; an IPv6 address loses its colons', () => {
    const sha = 'ab'.repeat(32);
    expect(stapleFileName('www.example.com', 443, sha)).toBe('www.example.com_443-abababababababab.der');
    expect(stapleFileName('2001:db8::1', 8443, sha)).toBe('2001_db8__1_8443-abababababababab.der');
  });
});

describe('saveStaples', () => {
  it('writes each distinct staple once, byte for byte', () => {
    const dir = join(work, 'ok');
    mkdirSync(dir);
    const written = saveStaples(dir, [report]);
    expect(written).toHaveLength(2);
    expect(readdirSync(dir).sort()).toEqual(written.map((p) => p.slice(dir.length + 1)).sort());
    const contents = written.map((p) => Buffer.from(readFileSync(p)));
    expect(contents.some((c) => c.equals(Buffer.from(good)))).toBe(true);
    expect(contents.some((c) => c.equals(Buffer.from(revoked)))).toBe(true);
  });

  it('a file that cannot be written is a UsageError naming it and why', () => {
    const dir = join(work, 'blocked');
    mkdirSync(dir);
    const target = report.targets[0]?.target;
    const name = stapleFileName(target?.host ?? '', target?.port ?? 0, report.staples[0]?.sha256 ?? '');
    mkdirSync(join(dir, name)); // a directory where the file should go
    expect(() => saveStaples(dir, [report])).toThrow(UsageError);
    expect(() => saveStaples(dir, [report])).toThrow(`--save-staples: cannot write ${join(dir, name)}: is a directory`);
  });
});
