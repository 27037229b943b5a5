/**
 * Property tests over the decoder and the whole `inspect` path: mutations of every fixture and every
 * third-party vector never make an exception escape, always yield a report, and finish in bounded time.
 * CI runs a fixed seed and FUZZ_RUNS cases per property (default 300); `pnpm fuzz` runs 100,000.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { inspect } from '@staple-probe/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readRepoFile, repoFile } from '../helpers.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const SEED = Number(process.env.FUZZ_SEED ?? 20261125);
const NOW = new Date('2026-01-15T12:00:00Z');

function loadSeeds(): Uint8Array[] {
  const seeds = readdirSync(repoFile('fixtures/ocsp')).map((f) => readRepoFile(`fixtures/ocsp/${f}`));
  const vectors = new URL('../../../shared/vectors/', import.meta.url);
  for (const dir of ['openssl', 'pyca', 'golang']) {
    for (const f of readdirSync(new URL(`${dir}/`, vectors))) {
      const bytes = new Uint8Array(readFileSync(new URL(`${dir}/${f}`, vectors)));
      if (f.endsWith('.ors')) seeds.push(new Uint8Array(Buffer.from(Buffer.from(bytes).toString('latin1'), 'base64')));
      else if (f.endsWith('.der') && /resp|Response/.test(f)) seeds.push(bytes);
    }
  }
  return seeds;
}

const SEEDS = loadSeeds();
const der = (name: string) => {
  const text = Buffer.from(readRepoFile(`fixtures/pki/${name}.pem`)).toString('latin1');
  return new Uint8Array(Buffer.from(text.replace(/-----[^-]+-----|\s+/g, ''), 'base64'));
};
const ISSUER = der('intermediate');
const CERT = der('leaf-rsa');

/** DER length octets for `n` (X.690 §8.1.3). */
function lengthOctets(n: number): number[] {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

const mutation = fc.oneof(
  // Flip bits at random positions.
  fc.record({ kind: fc.constant('flip' as const), at: fc.array(fc.nat(), { minLength: 1, maxLength: 8 }), bit: fc.integer({ min: 0, max: 7 }) }),
  // Cut the input short.
  fc.record({ kind: fc.constant('truncate' as const), keep: fc.double({ min: 0, max: 1, noNaN: true }) }),
  // Overwrite a byte after a tag with a lying length, short or extended.
  fc.record({
    kind: fc.constant('length' as const),
    at: fc.nat(),
    value: fc.oneof(fc.integer({ min: 0, max: 0xff }), fc.constantFrom(0x80, 0x84, 0x88, 0xff)),
  }),
  // Insert random bytes.
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
  // Wrap in many SEQUENCEs (deep nesting).
  fc.record({ kind: fc.constant('nest' as const), depth: fc.integer({ min: 1, max: 2000 }) }),
  // Replace a region with a huge INTEGER or a random OID.
  fc.record({
    kind: fc.constant('splice' as const),
    at: fc.nat(),
    tag: fc.constantFrom(0x02, 0x06, 0x04, 0x18, 0x0a),
    body: fc.uint8Array({ minLength: 0, maxLength: 600 }),
  }),
  // Swap two tag bytes.
  fc.record({ kind: fc.constant('swap' as const), a: fc.nat(), b: fc.nat() }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(seed: Uint8Array, m: Mutation): Uint8Array {
  const bytes = Buffer.from(seed);
  const pos = (n: number) => (bytes.length ? n % bytes.length : 0);
  switch (m.kind) {
    case 'flip':
      for (const at of m.at) if (bytes.length) bytes[pos(at)] = (bytes[pos(at)] ?? 0) ^ (1 << m.bit);
      return new Uint8Array(bytes);
    case 'truncate':
      return new Uint8Array(bytes.subarray(0, Math.floor(bytes.length * m.keep)));
    case 'length':
      if (bytes.length > 1) bytes[Math.min(pos(m.at) + 1, bytes.length - 1)] = m.value;
      return new Uint8Array(bytes);
    case 'insert':
      return new Uint8Array(Buffer.concat([bytes.subarray(0, pos(m.at)), m.bytes, bytes.subarray(pos(m.at))]));
    case 'nest': {
      let out: Buffer = bytes;
      for (let i = 0; i < m.depth; i++) out = Buffer.concat([Buffer.from([0x30, ...lengthOctets(out.length)]), out]);
      return new Uint8Array(out);
    }
    case 'splice': {
      const field = Buffer.from([m.tag, ...lengthOctets(m.body.length), ...m.body]);
      return new Uint8Array(Buffer.concat([bytes.subarray(0, pos(m.at)), field, bytes.subarray(pos(m.at) + field.length)]));
    }
    case 'swap': {
      const a = pos(m.a);
      const b = pos(m.b);
      const t = bytes[a] ?? 0;
      bytes[a] = bytes[b] ?? 0;
      bytes[b] = t;
      return new Uint8Array(bytes);
    }
  }
}

describe('fuzzing inspect over mutated fixtures and vectors', () => {
  it(`has seeds (${SEEDS.length})`, () => expect(SEEDS.length).toBeGreaterThan(50));

  it(`${RUNS} mutations: a report always comes back, no exception escapes, each within 2 s`, async () => {
    let slowest = 0;
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: SEEDS.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 3 }), async (index, mutations) => {
        let bytes = SEEDS[index] as Uint8Array;
        for (const m of mutations) bytes = mutate(bytes, m);
        const started = performance.now();
        const report = await inspect(bytes, { now: NOW, issuer: ISSUER, cert: CERT, file: 'fuzz' });
        slowest = Math.max(slowest, performance.now() - started);
        expect(['ok', 'warn', 'critical', 'unknown']).toContain(report.verdict);
        // Every mutated input is judged: either findings explain it, or it is a fully valid response.
        if (report.findings.length === 0) expect(report.staples[0]?.decoded?.responseStatus).toBe('successful');
      }),
      { numRuns: RUNS, seed: SEED },
    );
    expect(slowest).toBeLessThan(2000);
  }, 600_000);

  it(`${RUNS} random byte strings: never an exception`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 2048 }), async (bytes) => {
        const report = await inspect(bytes, { now: NOW, issuer: ISSUER, cert: CERT });
        expect(report.findings.length).toBeGreaterThan(0);
      }),
      { numRuns: RUNS, seed: SEED },
    );
  }, 600_000);
});
