import { existsSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createPki } from '@staple-probe/core/testing';
import { distinctFreePorts, identityFiles, startServer, template } from './harness.js';

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
