#!/usr/bin/env node
'use strict';
// The `probe` command. It runs the CLI bundle (probe.cjs) with V8's code cache (probe.cjs.cache), which
// the build makes by running the CLI on sample work (scripts/code-cache.mjs): V8 then skips parsing and
// compiling the functions that work used, about a quarter of a cold probe's time. V8 rejects a cache made
// by another V8 version or for other source, and the bundle is then compiled as usual.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const Module = require('node:module');
const vm = require('node:vm');

function load() {
  const file = join(__dirname, 'probe.cjs');
  // The build checks that the bundle is pure ASCII (scripts/bundle.mjs), so latin1 reads it exactly, and
  // faster than utf8 (no validation or two-byte string: ~2 ms of a 1.6 MB file).
  const source = readFileSync(file, 'latin1');
  let cachedData;
  try {
    cachedData = readFileSync(`${file}.cache`);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(Module.wrap(source), { filename: file, cachedData });
  const bundle = new Module(file, module);
  bundle.filename = file;
  // Every dependency is inside the bundle: it requires only Node's built-in modules.
  script.runInThisContext()(bundle.exports, require, bundle, file, __dirname);
  return { exports: bundle.exports, script };
}

if (require.main === module) {
  const { exports } = load();
  exports.main(process.argv.slice(2), exports.processIo()).then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      process.stderr.write(`probe: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 3;
    },
  );
} else {
  module.exports = { load };
}
