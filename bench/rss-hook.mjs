// Loaded with --import: print this process's peak RSS (KiB) to stderr when it exits, for the startup bench.
process.on('exit', () => {
  process.stderr.write(`\n@@maxrss ${process.resourceUsage().maxRSS}\n`);
});
