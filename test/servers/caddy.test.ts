/**
 * Caddy 2 with a manually loaded certificate (`tls cert.pem key.pem`, no ACME): Caddy staples OCSP for such
 * certificates too, fetching the response itself. One `caddy run` per scenario, its storage and home in the
 * temp dir, the admin endpoint off.
 *
 * Measured with Caddy 2.6.2 (Debian caddy 2.6.2-5):
 * - It fetches the response while it loads its configuration, before it listens: the first handshake is
 *   stapled, on TLS 1.2 and 1.3 (ok), and `Server: Caddy` names it.
 * - With the responder down it starts anyway, without a staple (STAPLE_MISSING), and logs why at start:
 *   `"logger":"tls","msg":"stapling OCSP","error":"no OCSP stapling for [localhost …]: making OCSP request: …"`.
 */
import { probe, type Report } from '@staple-probe/core';
import { type Responder, type TestPki } from '@staple-probe/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes } from '../helpers.js';
import {
  available,
  explain,
  fixText,
  handshakesSeen,
  identityFiles,
  scenarioOptions,
  type StartedServer,
  startServer,
  template,
  pkiWithResponder,
  pkiWithoutResponder,
} from './harness.js';

const HAS = available('caddy');

const CADDYFILE = `
{
	admin off
	auto_https off
	storage file_system {{dir}}/data
}
https://localhost:{{port}} {
	bind 127.0.0.1
	tls {{dir}}/site.crt {{dir}}/site.key
	respond "ok"
}
`;

let up: { pki: TestPki; responder: Responder };
let down: TestPki;
const servers: Record<string, StartedServer> = {};

/** Caddy serving `pki`'s RSA leaf and intermediate from files; its home, config and data dirs in its temp dir. */
function startCaddy(pki: TestPki): Promise<StartedServer> {
  return startServer({
    kind: 'caddy',
    ports: 1,
    files: (dir, [port]) => ({ ...identityFiles('site', pki.leafRsa, [pki.intermediate]), Caddyfile: template(CADDYFILE, { dir, port: port as number }) }),
    // `env` execs caddy in its place, so the pid the harness stops is Caddy's; Caddy logs to stderr.
    command: (dir) => ({
      file: 'env',
      args: [
        `HOME=${dir}`,
        `XDG_DATA_HOME=${dir}/xdg-data`,
        `XDG_CONFIG_HOME=${dir}/xdg-config`,
        'caddy',
        'run',
        '--config',
        `${dir}/Caddyfile`,
        '--adapter',
        'caddyfile',
      ],
    }),
  });
}

beforeAll(async () => {
  if (!HAS) return;
  up = await pkiWithResponder();
  down = await pkiWithoutResponder();
  servers.up = await startCaddy(up.pki);
  servers.down = await startCaddy(down);
}, 60_000);

afterAll(async () => {
  await Promise.all(Object.values(servers).map((s) => s.stop()));
  await up?.responder.close();
});

const at = (name: string) => `127.0.0.1:${servers[name]?.ports[0]}`;
const why = (name: string, report: Report) => explain(report, servers[name] as StartedServer);

describe.skipIf(!HAS)('Caddy', () => {
  it('a manually loaded certificate, its responder up: Caddy fetches and staples it -> ok; detected from its Server header', async () => {
    // Caddy fetches while it loads its configuration, before it listens: the first handshake is stapled.
    const report = await probe(at('up'), scenarioOptions(up.pki.root));
    expect(codes(report), why('up', report)).toEqual([]);
    expect(report.verdict).toBe('ok');
    expect(handshakesSeen(report)).toEqual({ versions: ['TLSv1.2', 'TLSv1.3'], stapled: ['1001'] });
    expect(report.targets[0]?.server).toEqual({ name: 'caddy', header: 'Caddy', source: 'header' });
    // Once, at start: the probe's handshakes did not make it ask again (the probe's own live query is the other).
    expect(up.responder.requests()).toBe(2);
  });

  it("its responder down: no staple -> STAPLE_MISSING, and Caddy's fix points at its log", async () => {
    const report = await probe(at('down'), scenarioOptions(down.root));
    expect(codes(report), why('down', report)).toContain('STAPLE_MISSING');
    expect(handshakesSeen(report).stapled).toEqual([null]);
    expect(fixText(report, 'STAPLE_MISSING', 'caddy')).toMatch(/log/); // Caddy's fix alone, pointing at its log
    expect(codes(report)).toEqual(['LIVE_UNREACHABLE', 'STAPLE_MISSING']);
    // Caddy says why in its log, at start: `"logger":"tls","msg":"stapling OCSP","error":"no OCSP stapling for
    // [localhost …]: making OCSP request: Post …: connection refused"`.
    expect(servers.down?.log()).toMatch(/"msg":"stapling OCSP","error":"no OCSP stapling for \[[^\]]*\]: making OCSP request: Post [^\n]*connection refused/);
  });
});
