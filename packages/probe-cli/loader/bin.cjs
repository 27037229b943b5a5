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
const { closeSync, constants, fstatSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeSync } = require('node:fs');
const { isAbsolute, join } = require('node:path');
const Module = require('node:module');
const vm = require('node:vm');

// Not on Windows, where a path is never followed through a symbolic link by these opens anyway.
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;

/** The directory of the machine's own caches, or null when it is turned off (or no absolute path is known). */
function ownCacheDir() {
  const env = process.env;
  if (env.STAPLE_PROBE_CACHE_DIR !== undefined) return isAbsolute(env.STAPLE_PROBE_CACHE_DIR) ? env.STAPLE_PROBE_CACHE_DIR : null;
  // XDG: a relative $XDG_CACHE_HOME is to be ignored. An empty or relative home would mean the working directory.
  const home = require('node:os').homedir();
  const base = [env.XDG_CACHE_HOME, process.platform === 'win32' ? env.LOCALAPPDATA : undefined, home ? join(home, '.cache') : undefined].find(
    (candidate) => candidate && isAbsolute(candidate),
  );
  return base ? join(base, 'staple-probe') : null;
}

/**
 * Is this stat of this user's and writable by no one else? A code cache is code: one that another user could
 * plant or replace would run as this one. (No owners to compare on Windows.)
 */
function ours(st) {
  return typeof process.getuid !== 'function' || (st.uid === process.getuid() && (st.mode & 0o022) === 0);
}

/** The directory itself (not a symbolic link to one), this user's and writable by no one else. */
function trustedDir(dir) {
  const st = lstatSync(dir);
  return st.isDirectory() && ours(st);
}

/** A cache file from a trusted directory: a regular file of this user's, one link, not through a symlink. */
function readOwnCache(dir, file) {
  if (!trustedDir(dir)) return undefined;
  const fd = openSync(join(dir, file), constants.O_RDONLY | NOFOLLOW);
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || !ours(st) || st.nlink !== 1) return undefined;
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Write `data` as dir/file through a new temporary file of a random name (created exclusively, never through a
 * symbolic link) and a rename, so that a reader never sees half of it. Only into a trusted directory.
 */
function writeOwnCache(dir, file, data) {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!trustedDir(dir)) throw new Error('the cache directory is not this user\'s alone');
  const temp = join(dir, `.${file}.${require('node:crypto').randomBytes(8).toString('hex')}.tmp`);
  try {
    const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NOFOLLOW, 0o600);
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
 * After a save: remove what that cache supersedes, the caches of other bundles for this V8 and flags (an
 * upgraded CLI), and temporary files over an hour old (a run killed while saving). Best effort.
 */
function prune(dir, keep, sameSetup) {
  const hourAgo = Date.now() - 3_600_000;
  for (const name of readdirSync(dir)) {
    if (name === keep) continue;
    const path = join(dir, name);
    try {
      if (name.startsWith('.probe-') && name.endsWith('.tmp')) {
        if (lstatSync(path).mtimeMs < hourAgo) unlinkSync(path);
      } else if (name.startsWith('probe-') && name.endsWith('.cache') && sameSetup(name)) unlinkSync(path);
    } catch {
      // Gone already, or another run's.
    }
  }
}

/** Node's command-line flags, without code given by -e or -p (when bin.cjs is required by such code). */
function nodeFlags() {
  const flags = [];
  const args = process.execArgv;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '-e' || arg === '-p' || arg === '--eval' || arg === '--print' || arg === '-pe') i++;
    else if (!arg.startsWith('--eval=') && !arg.startsWith('--print=')) flags.push(arg);
  }
  return flags;
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
        const { createHash } = require('node:crypto');
        const digest = createHash('sha256').update(source, 'latin1').digest('hex').slice(0, 32);
        // V8 also refuses a cache made under other flags (--max-old-space-size, say): one per set of them.
        const flags = createHash('sha256').update(JSON.stringify([nodeFlags(), process.env.NODE_OPTIONS ?? ''])).digest('hex').slice(0, 8);
        const setup = `-${flags}-${process.versions.v8}-${process.arch}.`;
        const base = `probe-${digest}${setup.slice(0, -1)}`;
        own = { dir, setup, names: { probe: `${base}.cache`, inspect: `${base}.inspect.cache` } };
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
      writeOwnCache(own.dir, own.names[kind], script.createCachedData());
    } catch {
      return false;
    }
    // A refused cache would be read first again next time; an inspect cache is superseded by a probe's; other
    // bundles' caches for this V8 and flags are an older CLI's.
    const { dir, names, setup } = own;
    try {
      prune(dir, names[kind], (name) => name.includes(setup));
    } catch {
      // Unreadable directory: nothing removed.
    }
    return true;
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
      // `serve` neither: stopped before any scrape, it would leave a cache of little more than its start.
      if (code !== 3 && argv.length > 0 && argv[0] !== 'serve' && !argv.some((a) => LIGHT.has(a))) save(argv[0] === 'inspect' ? 'inspect' : 'probe');
    },
    (error) => {
      process.stderr.write(`probe: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 3;
    },
  );
} else {
  module.exports = { load };
}
