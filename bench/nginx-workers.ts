/**
 * What a probe sees of nginx with `worker_processes 4` right after a start (docs/servers.md): each worker
 * fetches OCSP on its own first stapling handshake, so which handshakes carry a staple varies from start to
 * start. For N fresh starts (default 20) it tallies three ways of connecting: the probe (verdict, findings,
 * what each counted attempt carried, how often nginx fetched); six clients one after another; six handshakes
 * at once (the probe's first round) and then six in turn. `+` a staple, `-` none, `!` a failed handshake.
 *
 *   pnpm tsx --tsconfig tsconfig.test.json bench/nginx-workers.ts [STARTS]
 */
import { type AttemptOutcome, probe } from '@staple-probe/core';
import { createPki, startResponder } from '@staple-probe/core/testing';
import { handshake } from '../packages/probe-core/src/shell/tls.js';
import { available, distinctFreePorts, scenarioOptions, serverLeaf, startFetchingNginx } from '../test/servers/harness.js';

if (!available('nginx')) throw new Error('nginx is not installed (apt-get install nginx)');
const starts = Number(process.argv[2] ?? 20);
const [responderPort] = (await distinctFreePorts(1)) as [number];
const url = `http://127.0.0.1:${responderPort}/ocsp`;
const pki = await createPki({ ocspUrl: url });
const leaf = await serverLeaf(pki.intermediate, '1107', url);
const responder = await startResponder({ issuer: pki.intermediate, port: responderPort, statuses: new Map([['1107', { status: 'good' }]]) });
const opts = scenarioOptions(pki.root);

const pause = () => new Promise((resolve) => setTimeout(resolve, opts.retryDelayMs));
const carried = (outcome: AttemptOutcome) => (outcome.ok ? (outcome.staple ? '+' : '-') : '!');
const one = (port: number, tlsVersion: '1.2' | '1.3') => handshake({ address: '127.0.0.1', port, servername: 'localhost', tlsVersion, timeoutMs: 5000 });
const inTurn = async (port: number) => {
  let seen = '';
  for (let k = 0; k < 6; k++) {
    if (k > 0) await pause();
    seen += carried(await one(port, k < 3 ? '1.2' : '1.3'));
  }
  return seen;
};
const ways: Record<string, (port: number) => Promise<string>> = {
  probe: async (port) => {
    const report = await probe(`127.0.0.1:${port}`, opts);
    const note = report.findings.find((f) => f.code === 'STAPLE_LAZY');
    const lazy = note?.code === 'STAPLE_LAZY' ? ` (${note.args.handshakesWithout} without)` : '';
    const attempts = report.targets[0]?.addresses[0]?.attempts ?? [];
    const codes = report.findings.map((f) => f.code).sort();
    return `${report.verdict} ${codes.join(',')}${lazy} | ${attempts.map((a) => `${a.tlsVersion}#${a.attempt}${a.ok ? (a.staple ? '+' : '-') : '!'}`).join(' ')}`;
  },
  'clients in turn': inTurn,
  'round, then clients in turn': async (port) => {
    const round = await Promise.all((['1.2', '1.2', '1.2', '1.3', '1.3', '1.3'] as const).map((v) => one(port, v)));
    return `${round.map(carried).join('')} then ${await pause().then(() => inTurn(port))}`;
  },
};
try {
  for (const [way, run] of Object.entries(ways)) {
    const tally = new Map<string, number>();
    for (let start = 0; start < starts; start++) {
      const { server, port } = await startFetchingNginx(leaf, pki, 4);
      const before = responder.requests();
      const seen = await run(port);
      await pause();
      const line = `${seen} | nginx fetched ${responder.requests() - before - (way === 'probe' ? 1 : 0)} times`;
      tally.set(line, (tally.get(line) ?? 0) + 1);
      await server.stop();
    }
    console.log(
      `${way}, ${starts} fresh starts:\n${[...tally]
        .sort((a, b) => b[1] - a[1])
        .map(([line, n]) => `  ${n} x ${line}`)
        .join('\n')}`,
    );
  }
} finally {
  await responder.close();
}
