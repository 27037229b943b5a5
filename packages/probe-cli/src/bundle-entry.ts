// Entry of the CommonJS bundle (dist/bundle/probe.cjs) that dist/bundle/bin.cjs (src/bundle-bin.cjs) runs.
export { main } from './cli.js';
export { processIo } from './process-io.js';
