/** The bench's servers (bench/server.ts) in a child process of their own, for bench/run.ts and bench/warm.ts. */
import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

export interface ServerInfo {
  readonly target: string;
  readonly port: number;
  readonly names: string[];
  readonly nginxPort: number | null;
  readonly rootPem: string;
  readonly intermediatePem: string;
  readonly leafPem: string;
  readonly responderUrl: string;
}

/** Start bench/server.ts and wait for the one JSON line it prints. */
export async function startServer(): Promise<{ child: ChildProcess; info: ServerInfo }> {
  const child = fork(join(root, 'bench/server.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const line = await new Promise<string>((resolve) => {
    let buf = '';
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('\n')) resolve(buf.split('\n')[0] as string);
    });
  });
  return { child, info: JSON.parse(line) as ServerInfo };
}

/** How many requests the OCSP responder has answered so far. */
export function responderRequests(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.once('message', (m: { requests: number }) => resolve(m.requests));
    child.send('requests');
  });
}
