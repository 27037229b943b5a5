import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { distinctFreePorts } from './harness.js';

describe('distinctFreePorts', () => {
  // One freePort() after another repeated a port in 7 of 500 sets of 14 here, enough to give two nginx server
  // blocks one port now and then.
  it('hands out ports that differ from each other and are free to bind', async () => {
    for (let round = 0; round < 20; round++) {
      const ports = await distinctFreePorts(16);
      expect(new Set(ports).size).toBe(16);
      const servers = ports.map(() => createServer());
      await Promise.all(servers.map((s, i) => new Promise<void>((resolve, reject) => s.once('error', reject).listen(ports[i], '127.0.0.1', () => resolve()))));
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    }
  });
});
