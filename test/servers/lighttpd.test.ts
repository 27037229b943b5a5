/**
 * lighttpd 1.4 (mod_openssl): `ssl.stapling-file` names a DER OCSP response that lighttpd staples; it fetches
 * nothing itself. One process per scenario.
 *
 * Measured with lighttpd 1.4.69 (Debian lighttpd 1.4.69-1 with lighttpd-mod-openssl, OpenSSL 3.0):
 * - A fresh response is stapled from the first handshake, on TLS 1.2 and 1.3: ok.
 * - An expired one is not stapled at all, and nothing about it is logged: STAPLE_MISSING (warn).
 * - Another certificate's response is stapled as it is: STAPLE_CERTID_MISMATCH (critical).
 * - Without `ssl.stapling-file` nothing is stapled (lighttpd never fetches): STAPLE_MISSING.
 * - `Server: lighttpd/1.4.69` names it. Whether and when it re-reads a replaced file was not measured.
 */
import { probe, type Report } from '@staple-probe/core';
import type { Responder, TestPki } from '@staple-probe/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes } from '../helpers.js';
import {
  available,
  explain,
  fixText,
  handshakesSeen,
  identityFiles,
  opensslTruth,
  scenarioOptions,
  serverPerStaple,
  type StartedServer,
  startServer,
  template,
  pkiWithResponder,
} from './harness.js';

const HAS = available('lighttpd');

const CONFIG = `
server.document-root = "{{dir}}"
server.port = {{port}}
server.bind = "127.0.0.1"
server.pid-file = "{{dir}}/lighttpd.pid"
server.errorlog = "{{dir}}/error.log"
server.modules += ("mod_openssl")
ssl.engine = "enable"
ssl.pemfile = "{{dir}}/site.crt"
ssl.privkey = "{{dir}}/site.key"
{{stapling}}
`;

let pki: TestPki;
let responder: Responder;
let opts: ReturnType<typeof scenarioOptions>;
const servers: Record<string, StartedServer> = {};

/** lighttpd serving the RSA leaf and its intermediate, stapling `staple` from `ssl.stapling-file` (none when null). */
function startLighttpd(staple: Uint8Array | null): Promise<StartedServer> {
  return startServer({
    kind: 'lighttpd',
    ports: 1,
    files: (dir, [port]) => ({
      ...identityFiles('site', pki.leafRsa, [pki.intermediate]),
      ...(staple ? { 'ocsp.der': staple } : {}),
      'lighttpd.conf': template(CONFIG, { dir, port: port as number, stapling: staple ? `ssl.stapling-file = "${dir}/ocsp.der"` : '' }),
    }),
    command: (dir) => ({ file: 'lighttpd', args: ['-D', '-f', `${dir}/lighttpd.conf`] }),
    logFile: 'error.log',
  });
}

beforeAll(async () => {
  if (!HAS) return;
  ({ pki, responder } = await pkiWithResponder());
  opts = scenarioOptions(pki.root);
  Object.assign(servers, await serverPerStaple(pki, startLighttpd));
}, 60_000);

afterAll(async () => {
  await Promise.all(Object.values(servers).map((s) => s.stop()));
  await responder?.close();
});

const at = (name: string) => `127.0.0.1:${servers[name]?.ports[0]}`;
const why = (name: string, report: Report) => explain(report, servers[name] as StartedServer);

describe.skipIf(!HAS)('lighttpd', () => {
  it('ssl.stapling-file fresh: ok, stapled from the first handshake on TLS 1.2 and 1.3; detected from its Server header', async () => {
    const report = await probe(at('good'), opts);
    expect(codes(report), why('good', report)).toEqual([]);
    expect(report.verdict).toBe('ok');
    expect(handshakesSeen(report)).toEqual({ versions: ['TLSv1.2', 'TLSv1.3'], stapled: ['1001'] });
    expect(report.targets[0]?.server).toMatchObject({ name: 'lighttpd', source: 'header' });
    expect(report.targets[0]?.server.header).toMatch(/^lighttpd\/1\.4\./);
  });

  it('ssl.stapling-file expired: lighttpd sends nothing -> STAPLE_MISSING, and the lighttpd fix names ssl.stapling-file', async () => {
    const report = await probe(at('expired'), opts);
    expect(codes(report), why('expired', report)).toEqual(['STAPLE_MISSING']);
    expect(report.verdict).toBe('warn');
    expect(handshakesSeen(report)).toEqual({ versions: ['TLSv1.2', 'TLSv1.3'], stapled: [null] });
    expect(fixText(report, 'STAPLE_MISSING', 'lighttpd')).toMatch(/ssl\.stapling-file/);
    const truth = await opensslTruth(servers.expired?.ports[0] as number, 'localhost', 'RSA', '1.3');
    expect(truth?.stapled).toBe(false);
    // Nor does it say why: nothing about OCSP or stapling in its error log.
    expect(servers.expired?.log()).not.toMatch(/ocsp|stapl/i);
  });

  it("ssl.stapling-file holding another certificate's response: lighttpd staples it -> STAPLE_CERTID_MISMATCH (critical)", async () => {
    const report = await probe(at('other'), opts);
    expect(codes(report), why('other', report)).toEqual(['STAPLE_CERTID_MISMATCH']);
    expect(report.verdict).toBe('critical');
    expect(handshakesSeen(report)).toEqual({ versions: ['TLSv1.2', 'TLSv1.3'], stapled: ['1002'] });
  });

  it('no ssl.stapling-file: STAPLE_MISSING (lighttpd fetches nothing itself)', async () => {
    const report = await probe(at('none'), opts);
    expect(codes(report), why('none', report)).toEqual(['STAPLE_MISSING']);
    expect(report.verdict).toBe('warn');
  });
});
