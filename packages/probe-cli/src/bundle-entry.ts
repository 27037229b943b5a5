// Entry of the CommonJS bundle (dist/bundle/probe.cjs) that dist/bundle/bin.cjs runs from V8's code cache.
export { main } from './cli.js';
export { processIo } from './process-io.js';
