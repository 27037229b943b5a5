/**
 * The README's examples are what the commands print: every `$ probe …` session in a ```text block is run
 * through the CLI's `main` and its output and exit code compared with the page, so the README cannot drift.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli/run.js';
import { readRepoFile } from '../helpers.js';

interface Session {
  readonly args: string[];
  readonly output: string;
  readonly exitCode: number;
}

/** `$ probe ARGS`, its output, then `$ echo $?` and the exit code, from each ```text block that has them. */
function sessions(markdown: string): Session[] {
  const out: Session[] = [];
  for (const [, body] of markdown.matchAll(/```text\n([\s\S]*?)```/g)) {
    const m = /^\$ probe (.+)\n([\s\S]*?)^\$ echo \$\?\n(\d+)\n$/m.exec(body ?? '');
    if (m) out.push({ args: (m[1] as string).split(/\s+/), output: m[2] as string, exitCode: Number(m[3]) });
  }
  return out;
}

describe('README examples', () => {
  const readme = Buffer.from(readRepoFile('README.md')).toString('utf8');
  const found = sessions(readme);

  it('the README has at least one runnable session', () => {
    expect(found.length).toBeGreaterThan(0);
  });

  for (const session of found) {
    it(`probe ${session.args.join(' ')} prints what the README shows`, async () => {
      const { code, stdout, stderr } = await runCli(session.args);
      expect(stderr).toBe('');
      expect(stdout).toBe(session.output);
      expect(code).toBe(session.exitCode);
    });
  }

  it('the README is at most 250 lines', () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(251);
  });
});
