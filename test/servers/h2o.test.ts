/**
 * h2o 2.2 fetches OCSP responses itself: at start and every `ocsp-update-interval`, it runs `ocsp-update-cmd`
 * (by default the bundled `fetch-ocsp-response`, which calls `openssl ocsp` against the certificate's OCSP URL)
 * and staples what it gets. One `h2o -c` per scenario.
 *
 * Measured with h2o 2.2.5 (Debian h2o 2.2.5+dfsg2-7):
 * - Responder up: it logs `[OCSP Stapling] successfully updated the response for certificate file:…` soon
 *   after it starts and staples the response on TLS 1.2 and 1.3 (ok); `Server: h2o/2.2.5` names it.
 * - Responder down: `fetch-ocsp-response` fails (`OpenSSL exitted abnormally: openssl ocsp …`), h2o logs
 *   `[OCSP Stapling] reusing old response due to a temporary error …` and, having none, staples nothing
 *   (STAPLE_MISSING).
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

const HAS = available('h2o');

const CONFIG = `
pid-file: {{dir}}/h2o.pid
error-log: {{dir}}/error.log
user: root
listen:
  host: 127.0.0.1
  port: {{port}}
  ssl:
    certificate-file: {{dir}}/site.crt
    key-file: {{dir}}/site.key
hosts:
  "localhost":
    paths:
      /:
        file.dir: {{dir}}/www
`;

let up: { pki: TestPki; responder: Responder };
let down: TestPki;
const servers: Record<string, StartedServer> = {};

/** h2o serving `pki`'s RSA leaf and intermediate on a fresh port, its fetcher at its defaults. */
function startH2o(pki: TestPki): Promise<StartedServer> {
  return startServer({
    kind: 'h2o',
    ports: 1,
    files: (dir, [port]) => ({ ...identityFiles('site', pki.leafRsa, [pki.intermediate]), 'h2o.conf': template(CONFIG, { dir, port: port as number }) }),
    command: (dir) => ({ file: 'h2o', args: ['-c', `${dir}/h2o.conf`] }),
    logFile: 'error.log',
  });
}

beforeAll(async () => {
  if (!HAS) return;
  up = await pkiWithResponder();
  down = await pkiWithoutResponder();
  servers.up = await startH2o(up.pki);
  servers.down = await startH2o(down);
}, 60_000);

afterAll(async () => {
  await Promise.all(Object.values(servers).map((s) => s.stop()));
  await up?.responder.close();
});

const at = (name: string) => `127.0.0.1:${servers[name]?.ports[0]}`;
const why = (name: string, report: Report) => explain(report, servers[name] as StartedServer);

/** Wait, up to 20 s, until `done()`: h2o fetches in the background after it starts listening. */
async function until(done: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await done()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
}

describe.skipIf(!HAS)('h2o', () => {
  it('its own fetcher, the responder up: the response is stapled on TLS 1.2 and 1.3 -> ok; detected from its Server header', async () => {
    // The fetch runs beside the first requests: a probe started at once may see a first handshake without it.
    let report = await probe(at('up'), scenarioOptions(up.pki.root));
    await until(async () => {
      if (codes(report).length === 0) return true;
      report = await probe(at('up'), scenarioOptions(up.pki.root));
      return false;
    });
    expect(codes(report), why('up', report)).toEqual([]);
    expect(report.verdict).toBe('ok');
    expect(handshakesSeen(report)).toEqual({ versions: ['TLSv1.2', 'TLSv1.3'], stapled: ['1001'] });
    expect(report.targets[0]?.server).toEqual({ name: 'h2o', header: 'h2o/2.2.5', source: 'header' });
    expect(servers.up?.log()).toMatch(/\[OCSP Stapling\] successfully updated the response for certificate file:\S*site\.crt/);
  });

  it("the responder down: nothing stapled -> STAPLE_MISSING; h2o logs the failed openssl ocsp, and h2o's fix names ocsp-update-cmd", async () => {
    await until(() => /\[OCSP Stapling\] reusing old response due to a temporary error/.test(servers.down?.log() ?? ''));
    const log = servers.down?.log() ?? '';
    expect(log).toMatch(
      /\[OCSP Stapling\] reusing old response due to a temporary error occurred while fetching OCSP response for certificate file:\S*site\.crt/,
    );
    expect(log).toMatch(/OpenSSL exitted abnormally: openssl ocsp /);
    const report = await probe(at('down'), scenarioOptions(down.root));
    expect(codes(report), why('down', report)).toEqual(['LIVE_UNREACHABLE', 'STAPLE_MISSING']);
    expect(handshakesSeen(report)).toEqual({ versions: ['TLSv1.2', 'TLSv1.3'], stapled: [null] });
    expect(fixText(report, 'STAPLE_MISSING', 'h2o')).toMatch(/ocsp-update-cmd/);
  });
});
