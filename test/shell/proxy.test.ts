/**
 * Issue #23 item 5, the pure half: the proxy settings read from the environment (HTTP_PROXY, HTTPS_PROXY,
 * NO_PROXY, lowercase first) and the NO_PROXY rules; and, with small servers in this process that play a
 * broken proxy, that a proxy's refusal, garbage or silence fails the exchange with a message naming it
 * (the real proxy, tinyproxy, is in test/servers/proxy.test.ts).
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { bypassesProxy, parseProxyUrl, proxyFor, proxyFromEnv, renderMessage } from '@staple-probe/core';
import { afterAll, describe, expect, it } from 'vitest';
import { httpExchange } from '../../packages/probe-core/src/shell/http.js';
import { readRepoFile } from '../helpers.js';

const bypass = (noProxy: string, url: string) => bypassesProxy(noProxy, new URL(url));

describe('proxyFromEnv', () => {
  it('HTTP_PROXY for http:// URLs, HTTPS_PROXY for https:// URLs, NO_PROXY as the exceptions; nothing set: null', () => {
    expect(proxyFromEnv({ HTTP_PROXY: 'http://p:3128', HTTPS_PROXY: 'http://q:8080', NO_PROXY: '.corp' })).toEqual({
      http: 'http://p:3128',
      https: 'http://q:8080',
      noProxy: '.corp',
    });
    expect(proxyFromEnv({ HTTPS_PROXY: 'http://q:8080' })).toEqual({ http: null, https: 'http://q:8080', noProxy: '' });
    expect(proxyFromEnv({ NO_PROXY: '*', PATH: '/bin' })).toBeNull();
  });

  it('the lowercase variable wins when set, as in curl; set but empty, it means none', () => {
    expect(proxyFromEnv({ http_proxy: 'http://lower:1', HTTP_PROXY: 'http://upper:2', no_proxy: 'a', NO_PROXY: 'b' })).toEqual({
      http: 'http://lower:1',
      https: null,
      noProxy: 'a',
    });
    expect(proxyFromEnv({ https_proxy: '', HTTPS_PROXY: 'http://upper:2' })).toBeNull();
  });

  it('--proxy replaces both variables (NO_PROXY still applies); --proxy "" turns the proxy off', () => {
    expect(proxyFromEnv({ HTTP_PROXY: 'http://env:1', NO_PROXY: 'ocsp.test' }, 'http://flag:3128')).toEqual({
      http: 'http://flag:3128',
      https: 'http://flag:3128',
      noProxy: 'ocsp.test',
    });
    expect(proxyFromEnv({ HTTP_PROXY: 'http://env:1', HTTPS_PROXY: 'http://env:2' }, '')).toBeNull();
  });

  it('refuses other proxy schemes, naming the variable or the flag', () => {
    expect(() => proxyFromEnv({ HTTPS_PROXY: 'socks5://127.0.0.1:1080' })).toThrow(
      'HTTPS_PROXY socks5://127.0.0.1:1080: only http:// proxies are supported, not socks5://',
    );
    expect(() => proxyFromEnv({}, 'https://proxy:443')).toThrow('--proxy https://proxy:443: only http:// proxies are supported, not https://');
    expect(() => proxyFromEnv({ http_proxy: 'http://' })).toThrow(/^http_proxy http:\/\/: not a proxy URL/);
  });
});

describe('parseProxyUrl', () => {
  it('host, port (80 when absent), Basic credentials (percent-decoded); the display form never shows them', () => {
    expect(parseProxyUrl('http://alice:s%40cret@proxy.corp:3128/')).toEqual({
      host: 'proxy.corp',
      port: 3128,
      authorization: `Basic ${Buffer.from('alice:s@cret').toString('base64')}`,
      display: 'http://proxy.corp:3128',
    });
    expect(parseProxyUrl('proxy.corp')).toMatchObject({ host: 'proxy.corp', port: 80, authorization: null, display: 'http://proxy.corp' });
    expect(parseProxyUrl('http://[::1]:8080')).toMatchObject({ host: '::1', port: 8080, display: 'http://[::1]:8080' });
  });
});

describe('NO_PROXY', () => {
  it('a domain matches itself and its subdomains, with or without a leading dot or *.; not a longer name', () => {
    for (const entry of ['example.com', '.example.com', '*.example.com', 'EXAMPLE.COM.']) {
      expect(bypass(entry, 'http://example.com/a')).toBe(true);
      expect(bypass(entry, 'http://ocsp.Example.com./a')).toBe(true);
      expect(bypass(entry, 'http://notexample.com/a')).toBe(false);
      expect(bypass(entry, 'http://example.com.evil.test/a')).toBe(false);
    }
  });

  it('* exempts everything; entries separated by commas and spaces; empty entries ignored', () => {
    expect(bypass('*', 'https://anything.test/')).toBe(true);
    expect(bypass(' a.test , ,b.test  c.test', 'http://x.c.test/')).toBe(true);
    expect(bypass(',,', 'http://x.test/')).toBe(false);
    expect(bypass('', 'http://x.test/')).toBe(false);
  });

  it('an optional :port must match the URL port (80 and 443 by default)', () => {
    expect(bypass('ocsp.test:8080', 'http://ocsp.test:8080/')).toBe(true);
    expect(bypass('ocsp.test:8080', 'http://ocsp.test/')).toBe(false);
    expect(bypass('ocsp.test:443', 'https://ocsp.test/')).toBe(true);
    expect(bypass('ocsp.test:80', 'http://ocsp.test/')).toBe(true);
    expect(bypass('[::1]:80', 'http://[::1]/')).toBe(true);
    expect(bypass('[::1]:443', 'http://[::1]/')).toBe(false);
  });

  it('IP addresses and CIDR blocks match IP literals only (names are not resolved)', () => {
    expect(bypass('127.0.0.1', 'http://127.0.0.1:8080/ocsp')).toBe(true);
    expect(bypass('127.0.0.1', 'http://127.0.0.2/')).toBe(false);
    expect(bypass('127.0.0.1', 'http://localhost/')).toBe(false);
    expect(bypass('::1', 'http://[::1]:8080/')).toBe(true);
    expect(bypass('0:0::1', 'http://[::1]/')).toBe(true);
    expect(bypass('10.0.0.0/8', 'http://10.20.30.40/')).toBe(true);
    expect(bypass('10.0.0.0/8', 'http://11.0.0.1/')).toBe(false);
    expect(bypass('fd00::/8', 'http://[fd12::1]/')).toBe(true);
    expect(bypass('10.0.0.0/8', 'http://ten.test/')).toBe(false);
  });

  it('loopback is not exempt unless listed', () => {
    const config = { http: 'http://proxy.test:3128', https: 'http://proxy.test:3128', noProxy: '' };
    expect(proxyFor(config, new URL('http://127.0.0.1/'))?.display).toBe('http://proxy.test:3128');
    expect(proxyFor(config, new URL('http://localhost/'))?.display).toBe('http://proxy.test:3128');
    expect(proxyFor({ ...config, noProxy: 'localhost,127.0.0.1' }, new URL('http://localhost/'))).toBeNull();
    expect(proxyFor({ ...config, https: null }, new URL('https://ocsp.test/'))).toBeNull();
    expect(proxyFor(null, new URL('http://ocsp.test/'))).toBeNull();
  });
});

/** A TCP server that plays a broken proxy: `answer` gets each connection. */
async function fakeProxy(answer: (socket: Socket) => void): Promise<{ url: string; server: Server }> {
  const server = createServer(answer);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('a broken proxy fails the exchange, bounded, with a message naming it', () => {
  const servers: Server[] = [];
  afterAll(() => servers.forEach((s) => s.close()));
  const through = async (answer: (socket: Socket) => void, url: string, timeoutMs = 2000) => {
    const proxy = await fakeProxy(answer);
    servers.push(proxy.server);
    const config = { http: proxy.url, https: proxy.url, noProxy: '' };
    const ex = await httpExchange(url, { method: 'GET' }, { proxy: config, timeoutMs });
    return { ex, proxy: proxy.url };
  };

  it('407 to CONNECT, and 407 or a 5xx to an absolute-form request', async () => {
    const deny = (status: string) => (s: Socket) => s.once('data', () => s.end(`HTTP/1.1 ${status}\r\nContent-Length: 0\r\n\r\n`));
    const connect = await through(deny('407 Proxy Authentication Required'), 'https://ocsp.test/x');
    expect(!connect.ex.ok && connect.ex.error.message).toBe(`the proxy ${connect.proxy} answered 407 Proxy Authentication Required to CONNECT ocsp.test:443`);
    const get = await through(deny('502 Bad Gateway'), 'http://ocsp.test/x');
    expect(!get.ex.ok && get.ex.error.message).toBe(`the proxy ${get.proxy} answered 502 Bad Gateway`);
  });

  it('a tunnel that speaks before the client: bytes after the 200 to CONNECT', async () => {
    const { ex, proxy } = await through((s) => s.once('data', () => s.write('HTTP/1.1 200 Connection established\r\n\r\nhello')), 'https://ocsp.test/x');
    expect(!ex.ok && ex.error.message).toBe(`the proxy ${proxy} sent data before the TLS handshake to CONNECT ocsp.test:443`);
  });

  it('garbage instead of an HTTP answer', async () => {
    const garbage = (s: Socket) => s.once('data', () => s.end('SSH-2.0-OpenSSH_9.2\r\n'));
    for (const url of ['http://ocsp.test/x', 'https://ocsp.test/x']) {
      const { ex, proxy } = await through(garbage, url);
      expect(!ex.ok && ex.error.message).toMatch(new RegExp(`Parse Error.*\\(through the proxy ${proxy}\\)$`));
    }
  });

  it('silence: the total deadline covers the CONNECT and the answer', async () => {
    const sockets: Socket[] = [];
    for (const url of ['http://ocsp.test/x', 'https://ocsp.test/x']) {
      const started = performance.now();
      const { ex, proxy } = await through((s) => sockets.push(s), url, 300);
      expect(performance.now() - started).toBeLessThan(2000);
      expect(!ex.ok && ex.error).toEqual({ kind: 'timeout', message: `no complete answer within 300 ms (through the proxy ${proxy})` });
    }
    sockets.forEach((s) => s.destroy());
  });

  it('a proxy that refuses connections is named as unreachable', async () => {
    const { server, url } = await fakeProxy(() => {});
    await new Promise<void>((r) => server.close(() => r()));
    const ex = await httpExchange('http://ocsp.test/x', { method: 'GET' }, { proxy: { http: url, https: url, noProxy: '' } });
    expect(!ex.ok && ex.error.kind).toBe('refused');
    expect(!ex.ok && ex.error.message).toMatch(new RegExp(`^the proxy ${url} is unreachable: connect ECONNREFUSED`));
  });

  it('an unusable proxy setting given to the library fails the exchange, not the caller', async () => {
    const ex = await httpExchange('http://ocsp.test/x', { method: 'GET' }, { proxy: { http: 'socks5://p:1080', https: null, noProxy: '' } });
    expect(!ex.ok && ex.error.message).toBe('unusable proxy setting: socks5://p:1080: only http:// proxies are supported, not socks5://');
  });
});

describe('docs/proxy.md', () => {
  it('its failure messages are what the probe prints (the fake proxy renamed proxy.corp:3128, a 300 ms deadline shown as the default)', async () => {
    const doc = Buffer.from(readRepoFile('docs/proxy.md')).toString('utf8');
    const shown = (/## When the proxy fails[\s\S]*?```text\n([\s\S]*?)```/.exec(doc)?.[1] ?? '').trim().split('\n');
    const servers: Server[] = [];
    const printed = async (code: 'LIVE_UNREACHABLE' | 'LIVE_TIMEOUT' | 'CRL_UNREACHABLE', url: string, answer: ((s: Socket) => void) | null, as: string) => {
      const proxy = await fakeProxy(answer ?? (() => {}));
      servers.push(proxy.server);
      if (!answer) await new Promise<void>((r) => proxy.server.close(() => r()));
      const port = new URL(proxy.url).port;
      const ex = await httpExchange(url, { method: 'GET' }, { proxy: { http: proxy.url, https: proxy.url, noProxy: '' }, timeoutMs: 300 });
      const message = renderMessage({ code, args: { url, message: ex.ok ? '' : ex.error.message } });
      return message.replaceAll(proxy.url, as).replaceAll(`127.0.0.1:${port}`, '127.0.0.1:3128').replace('within 300 ms', 'within 10000 ms');
    };
    const deny = (status: string) => (s: Socket) => s.once('data', () => s.end(`HTTP/1.1 ${status}\r\nContent-Length: 0\r\n\r\n`));
    const silent: Socket[] = [];
    const lines = [
      await printed('LIVE_UNREACHABLE', 'http://ocsp.example/', null, 'http://127.0.0.1:3128'),
      await printed('LIVE_UNREACHABLE', 'http://ocsp.example/', deny('407 Proxy Authentication Required'), 'http://proxy.corp:3128'),
      await printed('CRL_UNREACHABLE', 'https://crl.example/ca.crl', deny('403 Forbidden'), 'http://proxy.corp:3128'),
      await printed('LIVE_TIMEOUT', 'http://ocsp.example/', (s) => silent.push(s), 'http://proxy.corp:3128'),
    ];
    silent.forEach((s) => s.destroy());
    servers.forEach((s) => s.listening && s.close());
    expect(shown).toEqual(lines);
  });
});
