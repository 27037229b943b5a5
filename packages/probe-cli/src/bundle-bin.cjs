#!/usr/bin/env node
'use strict';
// The `probe` command (copied to dist/bundle/bin.cjs): it runs the CLI bundle, probe.cjs, which holds the CLI
// and every dependency in one CommonJS file. On Node >= 22.1 Node's own compile cache keeps the compiled
// bundle per user, so later runs skip most of the compiling: in $STAPLE_PROBE_CACHE_DIR (empty: off), else
// $XDG_CACHE_HOME/staple-probe, else ~/.cache/staple-probe. Node keys it by its version, flags and the source;
// on Node 20 there is none and the bundle is compiled each time.
const { enableCompileCache } = require('node:module');
const { homedir } = require('node:os');
const { isAbsolute, join } = require('node:path');

function cacheDir(env) {
  if (env.STAPLE_PROBE_CACHE_DIR !== undefined) return isAbsolute(env.STAPLE_PROBE_CACHE_DIR) ? env.STAPLE_PROBE_CACHE_DIR : null;
  // XDG: a relative $XDG_CACHE_HOME is to be ignored.
  const base = env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'staple-probe');
}

const dir = typeof enableCompileCache === 'function' ? cacheDir(process.env) : null;
// A cache that cannot be made (an unwritable directory, say) only costs speed: Node reports it in the result.
if (dir) enableCompileCache(dir);
const { main, processIo } = require('./probe.cjs');
main(process.argv.slice(2), processIo()).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`probe: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 3;
  },
);
