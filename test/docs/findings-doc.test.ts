/**
 * docs/findings.md documents the findings catalogue: one `## CODE` section per code, in catalogue order,
 * each stating the code's severity as `Severity: **<severity>**` on its first line. The catalogue's `docs`
 * links point at those sections, so a code cannot be added, removed or re-graded without the page following.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FINDINGS, type FindingCode } from '@staple-probe/core';

const DOC_URL = new URL('../../docs/findings.md', import.meta.url);
const DOC = readFileSync(DOC_URL, 'utf8');
const CODES = Object.keys(FINDINGS) as FindingCode[];

/** A level-2 heading that is exactly a code: the page's only way of starting a code section. */
const CODE_HEADING = /^[A-Z][A-Z0-9_]*$/;
/** Anything code-like inside a heading, used to catch `## STAPLE_X (critical)` or `` ## `STAPLE_X` ``. */
const CODE_LIKE = /[A-Z][A-Z0-9]*_[A-Z0-9_]+/;
const SEVERITY_LINE = /^Severity: \*\*([a-z]+)\*\*$/;

interface Section {
  readonly heading: string;
  readonly lines: readonly string[];
}

/** Level-2 sections of a Markdown page, ignoring anything inside fenced code blocks. */
function sections(markdown: string): Section[] {
  const out: { heading: string; lines: string[] }[] = [];
  let current: { heading: string; lines: string[] } | null = null;
  let fenced = false;
  for (const line of markdown.split(/\r?\n/)) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    if (!fenced && /^#{1,2} /.test(line)) {
      current = line.startsWith('## ') ? { heading: line.slice(3).trim(), lines: [] } : null;
      if (current) out.push(current);
      continue;
    }
    current?.lines.push(line);
  }
  return out;
}

/** The anchor GitHub gives a heading: lowercased, punctuation other than `-` and `_` dropped, spaces to `-`. */
function githubAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

const ALL = sections(DOC);
const CODE_SECTIONS = ALL.filter((s) => CODE_HEADING.test(s.heading));
const isCatalogued = (code: string): code is FindingCode => Object.hasOwn(FINDINGS, code);

describe('docs/findings.md', () => {
  it('has exactly one section per catalogue code', () => {
    const counts = new Map<string, number>();
    for (const s of CODE_SECTIONS) counts.set(s.heading, (counts.get(s.heading) ?? 0) + 1);
    const wrong = CODES.filter((code) => counts.get(code) !== 1).map((code) => `${code}: ${counts.get(code) ?? 0} sections`);
    expect(wrong).toEqual([]);
  });

  it('has no section for a code outside the catalogue', () => {
    expect(CODE_SECTIONS.map((s) => s.heading).filter((h) => !isCatalogued(h))).toEqual([]);
  });

  it('names codes in headings only as the bare code, so the anchor is the lowercase code', () => {
    const malformed = ALL.map((s) => s.heading).filter((h) => CODE_LIKE.test(h) && !CODE_HEADING.test(h));
    expect(malformed).toEqual([]);
  });

  it('lists the codes in catalogue order', () => {
    expect(CODE_SECTIONS.map((s) => s.heading)).toEqual(CODES);
  });

  it.each(CODES)('%s: the docs link is docs/findings.md#<lowercase code> and resolves to its section', (code) => {
    expect(FINDINGS[code].docs).toBe(`docs/findings.md#${code.toLowerCase()}`);
    const anchors = ALL.map((s) => githubAnchor(s.heading));
    expect(anchors.filter((a) => `docs/findings.md#${a}` === FINDINGS[code].docs)).toHaveLength(1);
  });

  it.each(CODES)('%s: the section states the catalogue severity on its first line', (code) => {
    const section = CODE_SECTIONS.find((s) => s.heading === code);
    expect(section, `no section for ${code}`).toBeDefined();
    const lines = section?.lines ?? [];
    const first = lines.find((l) => l.trim() !== '') ?? '';
    expect(first).toMatch(SEVERITY_LINE);
    expect(SEVERITY_LINE.exec(first)?.[1]).toBe(FINDINGS[code].severity);
    expect(lines.filter((l) => /^Severity:/.test(l))).toHaveLength(1);
  });
});
