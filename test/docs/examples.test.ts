/**
 * Every marked example in README.md and docs/ is what the command prints: the examples are generated here
 * by the same code as `pnpm docs:examples` (scripts/docs-examples.ts) and compared with the pages, up to
 * the parts each example declares volatile (handshake times; the exporter's instants, durations and ports).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOC_FILES, EXAMPLES, generateExamples, markedBlocks, masked, rewrite } from '../../scripts/docs-examples.js';
import { repoFile } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'staple-probe-docs-examples-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const pages = DOC_FILES.map((file) => ({ file, text: readFileSync(repoFile(file), 'utf8') }));
const blocks = pages.flatMap(({ file, text }) => markedBlocks(text, file).map((block) => ({ file, ...block })));

let generated: Map<string, string>;
beforeAll(async () => {
  generated = await generateExamples(dir);
}, 60_000);

describe('docs examples (pnpm docs:examples)', () => {
  it('the pages mark their examples, and every example is shown somewhere', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(10);
    expect(new Set(blocks.map((b) => b.name))).toEqual(new Set(Object.keys(EXAMPLES)));
  });

  for (const block of blocks) {
    it(`${block.file}:${block.line} ${block.name} is what the command prints`, () => {
      const output = generated.get(block.name);
      expect(output, `no example named ${block.name}`).toBeDefined();
      expect(masked(block.name, block.body), `${block.file}:${block.line} differs from a real run: run pnpm docs:examples`).toBe(
        masked(block.name, output ?? ''),
      );
    });
  }
});

describe('the rewriting', () => {
  const page = (body: string) => `# Title\n\n<!-- example: nagios-lines -->\n\`\`\`text\n${body}\`\`\`\n\nAfter.\n`;
  const out = 'OCSP STAPLING OK - x | time=0.050s;;;0;\n';
  const fresh = new Map([['nagios-lines', out]]);

  it('replaces a stale block and leaves the rest of the page', () => {
    expect(rewrite(page('old\nlines\n'), 'x.md', fresh)).toBe(page(out));
  });

  it('keeps a block that differs only in its volatile parts', () => {
    const kept = page('OCSP STAPLING OK - x | time=0.002s;;;0;\n');
    expect(rewrite(kept, 'x.md', fresh)).toBe(kept);
  });

  it('reads a Markdown table after a marker as the block, up to the first line that is not a row', () => {
    const text = '<!-- example: nagios-lines -->\n| a |\n| --- |\n| 1 |\n\nAfter.\n';
    expect(markedBlocks(text, 'x.md')).toEqual([{ name: 'nagios-lines', line: 1, start: 1, end: 4, body: '| a |\n| --- |\n| 1 |\n' }]);
    expect(rewrite(text, 'x.md', new Map([['nagios-lines', '| b |\n| --- |\n| 2 |\n| 3 |\n']]))).toBe(
      '<!-- example: nagios-lines -->\n| b |\n| --- |\n| 2 |\n| 3 |\n\nAfter.\n',
    );
  });

  it('refuses a marker without a ```text fence after it, or naming no example', () => {
    expect(() => markedBlocks('<!-- example: a -->\n\nno fence\n', 'x.md')).toThrow(
      'x.md:1: the example marker must be followed by a ```text fence or a Markdown table',
    );
    expect(() => rewrite('<!-- example: nope -->\n```text\nx\n```\n', 'x.md', fresh)).toThrow('x.md:1: no example named nope');
  });
});
