// Loaded with --import: print this process's peak RSS (KiB) to stderr when it exits, for the startup bench.
import { peakRssKiB } from './peak-rss.mjs';

process.on('exit', () => {
  process.stderr.write(`\n@@maxrss ${peakRssKiB()}\n`);
});
