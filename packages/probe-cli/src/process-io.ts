import { readFileSync } from 'node:fs';
import type { Io } from './cli.js';

/** The CLI's view of this process: its streams, environment and files. */
export function processIo(): Io {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    stdoutIsTty: process.stdout.isTTY === true,
    stderrIsTty: process.stderr.isTTY === true,
    columns: process.stdout.columns,
    readFile: (path) => new Uint8Array(readFileSync(path === '-' ? 0 : path)),
  };
}
