#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { main } from './cli.js';

const code = await main(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  stdoutIsTty: process.stdout.isTTY === true,
  stderrIsTty: process.stderr.isTTY === true,
  columns: process.stdout.columns,
  readFile: (path) => new Uint8Array(readFileSync(path === '-' ? 0 : path)),
});
process.exitCode = code;
