/**
 * The exporter's log: one logfmt line per event on stderr, as blackbox_exporter writes them
 * (`ts=… level=info msg="probe done" target=… …`), so the same log pipelines parse both.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** A field's value; `undefined` and `null` leave the field out, a list is written comma-separated. */
export type LogValue = string | number | boolean | readonly string[] | null | undefined;
export type LogFields = Readonly<Record<string, LogValue>>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** The same logger, also appending every line, whatever its level, to `lines` (a probe's debug output keeps its own). */
  capture(lines: string[]): Logger;
}

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

// Control characters, DEL, and the two Unicode line separators, which would split a line in some readers.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f\u2028\u2029]/g;

const ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * One logfmt value: bare when it is a non-empty run of characters that need no quoting (no space, `=`,
 * `"`, backslash or control character), else double-quoted with `\"`, `\\` and control characters escaped.
 * Targets come from the scrape URL, so a value must never be able to start a field or a line of its own.
 */
export function logfmtValue(value: Exclude<LogValue, null | undefined>): string {
  const text = typeof value === 'string' ? value : Array.isArray(value) ? value.join(',') : String(value);
  if (text !== '' && !/[\s="\\]/.test(text) && !UNSAFE.test(text)) return text;
  UNSAFE.lastIndex = 0;
  const escaped = text.replace(/[\\"]/g, (c) => `\\${c}`).replace(UNSAFE, (c) => ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `"${escaped}"`;
}

/** `ts=… level=… msg=… key=value…`, without the newline. */
export function formatLogLine(at: Date, level: LogLevel, msg: string, fields: LogFields = {}): string {
  const parts = [`ts=${at.toISOString()}`, `level=${level}`, `msg=${logfmtValue(msg)}`];
  for (const [key, value] of Object.entries(fields)) if (value !== undefined && value !== null) parts.push(`${key}=${logfmtValue(value)}`);
  return parts.join(' ');
}

/** A logger that writes the lines at `level` and above through `write`, one line each, newline included. */
export function createLogger(level: LogLevel, write: (line: string) => void, clock: () => Date = () => new Date()): Logger {
  const make = (lines: string[] | null): Logger => {
    const emit = (at: LogLevel, msg: string, fields?: LogFields) => {
      const line = formatLogLine(clock(), at, msg, fields);
      lines?.push(line);
      if (RANK[at] >= RANK[level]) write(`${line}\n`);
    };
    return {
      debug: (msg, fields) => emit('debug', msg, fields),
      info: (msg, fields) => emit('info', msg, fields),
      warn: (msg, fields) => emit('warn', msg, fields),
      error: (msg, fields) => emit('error', msg, fields),
      capture: (more) => make(more),
    };
  };
  return make(null);
}

/** A logger that writes nothing (the exporter's default when embedded, as in tests); captured lines are still kept. */
export const SILENT: Logger = createLogger('error', () => {});
