// `cosyfleet serve` as a real child process (what kill -9 can hit): its address once it logs
// that it listens, its log lines, and its exit (taken at spawn: an 'exit' that already happened
// cannot be waited for afterwards).
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

export interface ServeProcess {
  readonly child: ChildProcess;
  /** The base URL, once it listens; rejects if it exits first (with its log). */
  readonly address: Promise<string>;
  readonly exited: Promise<unknown>;
  readonly lines: string[];
}

export function serveProcess(env: Record<string, string>, args: readonly string[] = ['--espeak-workers', '1']): ServeProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve', '--port', '0', ...args], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const address = new Promise<string>((resolve, reject) => {
    let buffered = '';
    const collect = (data: Buffer) => {
      buffered += data.toString('utf8');
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        if (line.includes('cosyfleet is listening')) resolve((JSON.parse(line) as { address: string }).address);
      }
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.once('exit', (code) => reject(new Error(`serve exited (${code}) before listening:\n${lines.join('\n')}`)));
  });
  address.catch(() => {});
  return { child, address, exited, lines };
}
