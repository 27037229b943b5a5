/** A command-line mistake: printed as one line with a pointer to --help, exit code 3. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** "90s", "30m", "36h", "2d" or a bare number of seconds, to seconds. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)([smhd]?)$/.exec(text.trim());
  if (!m) throw new UsageError(`${flag} ${text}: expected a duration such as 90s, 30m, 36h or 2d`);
  return Number(m[1]) * (UNITS[m[2] || 's'] ?? 1);
}

export function parseIntIn(text: string, flag: string, min: number, max: number): number {
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`${flag} ${text}: expected a whole number`);
  const n = Number(text);
  if (n < min || n > max) throw new UsageError(`${flag} ${text}: expected ${min} to ${max}`);
  return n;
}
