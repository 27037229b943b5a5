#!/usr/bin/env node
'use strict';
// The `probe` command. It runs the CLI bundle (probe.cjs) with a V8 code cache, so that V8 skips parsing and
// compiling the functions a probe uses (about a quarter of a cold probe's time on Node 20, a third on Node 24).
//
// A cache holds only for the V8 version that made it, so there are two:
//  - the shipped one, probe.cjs.<V8 version>.cache, which the build makes by running the CLI on sample work
//    (scripts/code-cache.mjs) with the Node that built the package;
//  - on any other Node, the machine's own, made by the first command that did some work there (made again by
//    the first probe if `inspect` made it) and kept in the user's cache directory ($STAPLE_PROBE_CACHE_DIR, else
//    $XDG_CACHE_HOME/staple-probe, else ~/.cache/staple-probe; an empty STAPLE_PROBE_CACHE_DIR turns it off).
//    Its name holds the SHA-256 of the bundle (V8 itself checks only the source's length) and the V8 version.
// V8 rejects a cache made by another V8 or with other flags; the bundle is then compiled as usual. No cache
// problem (a missing, unreadable or unwritable directory, a garbage file) ever changes what a command does.
const { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } = require('node:fs');
const { join } = require('node:path');
const Module = require('node:module');
const vm = require('node:vm');

/** The directory of the machine's own caches, or null when it is turned off. */
function ownCacheDir() {
  const env = process.env;
  if (env.STAPLE_PROBE_CACHE_DIR !== undefined) return env.STAPLE_PROBE_CACHE_DIR === '' ? null : env.STAPLE_PROBE_CACHE_DIR;
  const base = env.XDG_CACHE_HOME || (process.platform === 'win32' && env.LOCALAPPDATA) || join(require('node:os').homedir(), '.cache');
  return join(base, 'staple-probe');
}

/**
 * Read a cache from a directory only if it is this user's and nobody else can write to it: a code cache is
 * code, and one planted by another user would run as this one.
 */
function readOwnCache(dir, file) {
  if (typeof process.getuid === 'function') {
    const st = statSync(dir);
    if (st.uid !== process.getuid() || (st.mode & 0o022) !== 0) return undefined;
  }
  return readFileSync(join(dir, file));
}

/** Write `data` as dir/file through a temporary file and a rename, so that a reader never sees half of it. */
function writeOwnCache(dir, file, data) {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const temp = join(dir, `.${file}.${process.pid}.tmp`);
  try {
    const fd = openSync(temp, 'w', 0o600);
    try {
      writeSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, join(dir, file));
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // Never written, or already gone.
    }
    throw error;
  }
}

/**
 * Compile and run the bundle. Returns its exports, the vm.Script, and which cache it used: `cache` is
 * 'shipped', 'own' or null (none found), `rejected` whether V8 refused it, and for an own cache `madeBy`, the
 * kind of command that saved it ('probe' or 'inspect'). `save(kind)` writes the machine's own cache when the
 * shipped one does not fit this Node and the own one is missing, was refused, or was saved by `inspect` while
 * this run probed (a probe compiles more of the CLI: a cache from `inspect` left a cold probe on Node 24 at
 * 101 ms, against 88 ms from a probe's). Call it once the work is done: the cache then holds every function
 * the work compiled.
 */
function load() {
  const file = join(__dirname, 'probe.cjs');
  // The build checks that the bundle is pure ASCII (scripts/bundle.mjs), so latin1 reads it exactly, and
  // faster than utf8 (no validation or two-byte string: ~2 ms of a 1.6 MB file).
  const source = readFileSync(file, 'latin1');
  let cache = null;
  let madeBy = null;
  let cachedData;
  let own = null;
  try {
    cachedData = readFileSync(`${file}.${process.versions.v8}.cache`);
    cache = 'shipped';
  } catch {
    cachedData = undefined;
  }
  if (!cachedData) {
    try {
      const dir = ownCacheDir();
      if (dir) {
        const digest = require('node:crypto').createHash('sha256').update(source, 'latin1').digest('hex').slice(0, 32);
        const base = `probe-${digest}-${process.versions.v8}-${process.arch}`;
        own = { dir, names: { probe: `${base}.cache`, inspect: `${base}.inspect.cache` } };
        for (const kind of ['probe', 'inspect']) {
          try {
            cachedData = readOwnCache(dir, own.names[kind]);
          } catch {
            cachedData = undefined;
          }
          if (cachedData) {
            cache = 'own';
            madeBy = kind;
            break;
          }
        }
      }
    } catch {
      cachedData = undefined;
    }
  }
  const script = new vm.Script(Module.wrap(source), { filename: file, cachedData });
  const bundle = new Module(file, module);
  bundle.filename = file;
  // Every dependency is inside the bundle: it requires only Node's built-in modules.
  script.runInThisContext()(bundle.exports, require, bundle, file, __dirname);
  const rejected = cachedData ? script.cachedDataRejected === true : false;
  const save = (kind) => {
    if (!own) return false;
    if (cache === 'own' && !rejected && !(madeBy === 'inspect' && kind === 'probe')) return false;
    try {
      // A refused cache would be read first again next time; an inspect cache is superseded by a probe's.
      if (cache === 'own' && (rejected || madeBy !== kind)) unlinkSync(join(own.dir, own.names[madeBy]));
    } catch {
      // Already gone, or not ours to remove: the new one is written anyway.
    }
    try {
      writeOwnCache(own.dir, own.names[kind], script.createCachedData());
      return true;
    } catch {
      return false;
    }
  };
  return { exports: bundle.exports, script, cache, madeBy, rejected, save };
}

/** Commands whose run compiles too little of the CLI to be worth a cache. */
const LIGHT = new Set(['--help', '-h', '--version', '-V', 'help']);

if (require.main === module) {
  const { exports, save } = load();
  const argv = process.argv.slice(2);
  exports.main(argv, exports.processIo()).then(
    (code) => {
      process.exitCode = code;
      // Not after exit 3 (a usage error, or an unknown verdict: little of the CLI may have run) or a light command;
      // save() itself does nothing when the shipped cache fits this Node or the own one was accepted.
      if (code !== 3 && argv.length > 0 && !argv.some((a) => LIGHT.has(a))) save(argv[0] === 'inspect' ? 'inspect' : 'probe');
    },
    (error) => {
      process.stderr.write(`probe: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 3;
    },
  );
} else {
  module.exports = { load };
}
