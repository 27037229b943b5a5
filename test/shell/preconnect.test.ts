/**
 * The live query's connection opened ahead (`preconnect`): used by the next query to that origin, never in the
 * way (refused, closed by the server, unused), and opened by `collect` only when a live query may follow.
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { collect, createCollectCache, parseTarget } from '@staple-probe/core';
import { createPki, freePort, makeStaple, type StaplingServer, startStaplingServer } from '@staple-probe/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { httpExchange, preconnect } from '../../packages/probe-core/src/shell/http.js';

const closers: (() => void)[] = [];
afterAll(() => {
  for (const close of closers) close();
});

/** An HTTP server that answers 200 and notes every TCP connection, its close, and every request. */
async function countingServer(onConnection?: (socket: Socket) => void): Promise<{ url: string; connections: number; closed: number; requests: number }> {
  const state = { url: '', connections: 0, closed: 0, requests: 0 };
  const server: Server = createHttpServer((_req, res) => {
    state.requests++;
    res.writeHead(200, { 'content-type': 'application/ocsp-response' }).end('ok');
  });
  server.on('connection', (socket: Socket) => {
    state.connections++;
    socket.once('close', () => state.closed++);
    onConnection?.(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  closers.push(() => {
    server.closeAllConnections();
    server.close();
  });
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ocsp`;
  return state;
}

/** Wait until `done()` holds, up to 2 s. */
async function until(done: () => boolean): Promise<void> {
  for (let waited = 0; !done() && waited < 2000; waited += 10) await new Promise((r) => setTimeout(r, 10));
}

describe('preconnect', () => {
  it('opens the connection before any query, and the next query to that origin goes over it', async () => {
    const server = await countingServer();
    preconnect(server.url);
    await until(() => server.connections === 1);
    expect(server).toMatchObject({ connections: 1, requests: 0 });
    const ex = await httpExchange(server.url, { method: 'GET' });
    expect(ex.ok && ex.status).toBe(200);
    expect(server).toMatchObject({ connections: 1, requests: 1 });
  });

  it('opens nothing while an idle keep-alive connection to that origin is there', async () => {
    const server = await countingServer();
    expect((await httpExchange(server.url, { method: 'GET' })).ok).toBe(true);
    preconnect(server.url);
    await new Promise((r) => setTimeout(r, 100));
    expect(server.connections).toBe(1);
    expect((await httpExchange(server.url, { method: 'GET' })).ok).toBe(true);
    expect(server).toMatchObject({ connections: 1, requests: 2 });
  });

  it('an unused one is closed after its time, and a query then opens its own', async () => {
    const server = await countingServer();
    preconnect(server.url, 100);
    await until(() => server.closed === 1);
    expect(server).toMatchObject({ connections: 1, closed: 1, requests: 0 });
    expect((await httpExchange(server.url, { method: 'GET' })).ok).toBe(true);
    expect(server).toMatchObject({ connections: 2, requests: 1 });
  });

  /** The first connection spoiled by the server: the one opened ahead is not used, and the query opens its own. */
  async function spoiledFirst(spoil: (socket: Socket) => void): Promise<void> {
    let first = true;
    const server = await countingServer((socket) => {
      if (first) spoil(socket);
      first = false;
    });
    preconnect(server.url);
    await until(() => server.closed === 1);
    const ex = await httpExchange(server.url, { method: 'GET' });
    expect(ex.ok && ex.status).toBe(200);
    expect(server).toMatchObject({ connections: 2, requests: 1 });
  }

  it('one the server closes before the query is not used: the query opens its own and succeeds', () => spoiledFirst((socket) => socket.end()));

  it('one on which the server speaks first (a 408 for an idle connection) is not used: its bytes are not taken for the answer', () =>
    spoiledFirst((socket) => socket.write('HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\n\r\n')));

  it('a refused port: nothing thrown, and the query reports the refusal as ever', async () => {
    const port = await freePort();
    expect(() => preconnect(`http://127.0.0.1:${port}/ocsp`)).not.toThrow();
    await new Promise((r) => setTimeout(r, 50));
    const ex = await httpExchange(`http://127.0.0.1:${port}/ocsp`, { method: 'GET' });
    expect(ex.ok).toBe(false);
    expect(!ex.ok && ex.error.kind).toBe('refused');
  });

  it('ignores what is not an http: URL', () => {
    for (const url of ['https://127.0.0.1:1/ocsp', 'ldap://127.0.0.1/x', 'not a url']) expect(() => preconnect(url)).not.toThrow();
  });
});

describe('collect opens the live query connection ahead', () => {
  // The leaf's OCSP URL points at a counting server; no issuer is served or given, so no query follows.
  async function setup(): Promise<{ server: StaplingServer; responder: Awaited<ReturnType<typeof countingServer>>; extraCerts: Uint8Array[] }> {
    const responder = await countingServer();
    const pki = await createPki({ ocspUrl: responder.url });
    const server = await startStaplingServer({ cert: pki.leafRsa, chain: [], staple: await makeStaple(pki, 'good', { now: new Date() }) });
    closers.push(() => void server.close());
    return { server, responder, extraCerts: [pki.root.der] };
  }
  const quiet = { attempts: 1, tlsVersions: ['1.3'] as const, httpHead: false, timeoutMs: 2000 };

  it('when the first chain arrives, live query on: one connection, no request (there was no issuer to ask about)', async () => {
    const { server, responder, extraCerts } = await setup();
    const evidence = await collect(parseTarget(server.target, { servername: 'localhost' }), { ...quiet, extraCerts });
    expect(evidence.live).toEqual([]);
    await until(() => responder.connections === 1);
    expect(responder).toMatchObject({ connections: 1, requests: 0 });
  });

  it('not with the live query off, nor once the run has a live answer (a monitor after its first scrape)', async () => {
    const { server, responder, extraCerts } = await setup();
    await collect(parseTarget(server.target, { servername: 'localhost' }), { ...quiet, extraCerts, live: false });
    const cache = createCollectCache();
    cache.live.set('earlier', Promise.resolve({ exchange: { url: 'x', method: 'GET', ok: false, error: { kind: 'network', message: 'x' }, redirects: 0, durationMs: 0 }, nonce: null }));
    await collect(parseTarget(server.target, { servername: 'localhost' }), { ...quiet, extraCerts, cache });
    await new Promise((r) => setTimeout(r, 100));
    expect(responder.connections).toBe(0);
  });
});
