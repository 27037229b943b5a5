import { existsSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createPki } from '@staple-probe/core/testing';
import { distinctFreePorts, holdsPort, identityFiles, startServer, template } from './harness.js';

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

describe('template', () => {
  it('fills every placeholder and refuses one without a value', () => {
    expect(template('listen {{port}}; cert {{dir}}/a.pem; again {{port}}', { port: 8443, dir: '/tmp/x' })).toBe('listen 8443; cert /tmp/x/a.pem; again 8443');
    expect(() => template('listen {{port}}; {{missing}}', { port: 1 })).toThrow(/no value for \{\{missing\}\}/);
  });
});

describe('startServer', () => {
  it('writes the files, starts the command on its ports, waits for them and stops exactly that process', async () => {
    const script =
      "const net = require('node:net'); const fs = require('node:fs'); for (const p of process.argv.slice(1)) net.createServer((s) => s.end(fs.readFileSync('greeting.txt'))).listen(+p, '127.0.0.1');";
    const server = await startServer({
      kind: 'node',
      ports: 2,
      files: (dir, ports) => ({ 'greeting.txt': `hello from ${ports.join(',')} in ${dir}` }),
      command: (_dir, ports) => ({ file: process.execPath, args: ['-e', script, ...ports.map(String)] }),
    });
    try {
      expect(server.ports).toHaveLength(2);
      for (const port of server.ports) {
        const got = await new Promise<string>((resolve, reject) => {
          let out = '';
          connect({ port, host: '127.0.0.1' })
            .on('data', (d: Buffer) => {
              out += d.toString();
            })
            .on('end', () => resolve(out))
            .on('error', reject);
        });
        expect(got).toBe(`hello from ${server.ports.join(',')} in ${server.dir}`);
      }
      expect(() => process.kill(server.pid, 0)).not.toThrow();
    } finally {
      await server.stop();
    }
    expect(() => process.kill(server.pid, 0)).toThrow();
    expect(existsSync(server.dir)).toBe(false);
  });

  it('says why when the command exits before its ports open', async () => {
    await expect(
      startServer({ kind: 'node', ports: 1, command: () => ({ file: process.execPath, args: ['-e', "console.error('bad config line 3'); process.exit(1)"] }) }),
    ).rejects.toThrow(/did not start: server exited with 1[\s\S]*bad config line 3/);
  });
});

describe('identityFiles', () => {
  it("gives a certificate's files: the leaf and its chain, the key, and all of them in one PEM", async () => {
    const pki = await createPki();
    expect(identityFiles('site', pki.leafRsa, [pki.intermediate])).toEqual({
      'site.crt': pki.leafRsa.pem + pki.intermediate.pem,
      'site.key': pki.leafRsa.keyPem,
      'site.pem': pki.leafRsa.pem + pki.intermediate.pem + pki.leafRsa.keyPem,
    });
  });
});

describe('startServer and a port taken before the server binds it', () => {
  // The script listens on its port; when that fails it stays up without listening, as nginx does while it retries
  // its bind(): the port still accepts connections, someone else's.
  const script =
    "const net = require('node:net'); const s = net.createServer((c) => c.on('error', () => {}).end('mine')); s.on('error', () => setInterval(() => {}, 1000)); s.listen(+process.argv[1], '127.0.0.1');";

  it('holdsPort tells the started process from another holder of the port', async () => {
    const start = () => startServer({ kind: 'node', ports: 1, command: (_dir, ports) => ({ file: process.execPath, args: ['-e', script, String(ports[0])] }) });
    const [a, b] = [await start(), await start()];
    try {
      expect(holdsPort(a.pid, a.ports[0] as number)).toBe(true);
      expect(holdsPort(a.pid, b.ports[0] as number)).toBe(false);
      // This process is their parent: their sockets count as its own.
      expect(holdsPort(process.pid, b.ports[0] as number)).toBe(true);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
    expect(holdsPort(process.pid, a.ports[0] as number)).toBe(false);
  });

  it('starts the server again on fresh ports when another process holds one', async () => {
    const taken: number[] = [];
    const squatters: ReturnType<typeof createServer>[] = [];
    const server = await startServer({
      kind: 'node',
      ports: 1,
      files: (_dir, ports) => {
        // The first attempt's port is taken by this test process, as a client's local port or another suite's server could take it.
        if (taken.length === 0) {
          const squatter = createServer((c) => c.on('error', () => {}).end('not yours'));
          squatter.listen(ports[0], '127.0.0.1');
          squatters.push(squatter);
        }
        taken.push(ports[0] as number);
        return {};
      },
      command: (_dir, ports) => ({ file: process.execPath, args: ['-e', script, String(ports[0])] }),
    });
    try {
      expect(taken).toHaveLength(2);
      expect(server.ports[0]).toBe(taken[1]);
      expect(server.ports[0]).not.toBe(taken[0]);
      expect(holdsPort(server.pid, server.ports[0] as number)).toBe(true);
    } finally {
      await server.stop();
      for (const s of squatters) s.close();
    }
  });
});
