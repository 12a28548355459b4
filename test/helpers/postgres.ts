// A throwaway PostgreSQL cluster on loopback for tests: initdb into a temporary directory, the
// server on a free port (fsync off: nothing here must survive a crash), fresh databases on
// demand, and stop() that shuts it down and removes everything. PostgreSQL refuses to run as
// root, so as root the binaries run as the `postgres` user (Debian's package creates it).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../../src/util/free-port.js';

export interface TestPostgres {
  /** A database created for the caller (postgres://…/cosyfleet). */
  readonly url: string;
  /** Creates another empty database and returns its URL. */
  createDatabase(): Promise<string>;
  stop(): Promise<void>;
}

/** initdb's directory: the highest version under /usr/lib/postgresql, else whatever PATH finds. */
export function postgresBinDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => /^\d+(\.\d+)?$/.test(v) && existsSync(join(root, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0] !== undefined) return join(root, versions[0], 'bin');
  }
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  const found = which.status === 0 ? which.stdout.trim() : '';
  return found ? join(found, '..') : null;
}

const asRoot = process.getuid?.() === 0;

/** The command line that runs `binary` as a user PostgreSQL accepts. */
function command(binary: string, args: string[]): [string, string[]] {
  return asRoot ? ['runuser', ['-u', 'postgres', '--', binary, ...args]] : [binary, args];
}

function ownedByPostgres(dir: string): void {
  if (!asRoot) return;
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  chownSync(dir, id('-u'), id('-g'));
}

let databases = 0;

export async function startPostgres(): Promise<TestPostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL is not installed (no initdb): scripts/test.sh installs Debian\'s postgresql package');
  const root = mkdtempSync(join(tmpdir(), 'cosyfleet-pg-'));
  const dataDir = join(root, 'data');
  const socketDir = join(root, 'socket');
  let server: ChildProcess | undefined;
  let log = '';
  try {
    for (const dir of [dataDir, socketDir]) mkdirSync(dir, { mode: 0o700 });
    for (const dir of [root, dataDir, socketDir]) ownedByPostgres(dir);
    const [initCmd, initArgs] = command(join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-locale', '--no-sync']);
    const init = spawnSync(initCmd, initArgs, { encoding: 'utf8' });
    if (init.status !== 0) throw new Error(`initdb failed (${String(init.status)}): ${init.stderr}`);
    const port = await freePort();
    const [pgCmd, pgArgs] = command(join(bin, 'postgres'), [
      '-D', dataDir, '-k', socketDir, '-h', '127.0.0.1', '-p', String(port),
      '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200',
    ]);
    const child = spawn(pgCmd, pgArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
    server = child;
    child.stdout?.on('data', (b: Buffer) => (log += b.toString()));
    child.stderr?.on('data', (b: Buffer) => (log += b.toString()));
    const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`postgres exited (${String(code)}) before accepting connections:\n${log}`))));
    exited.catch(() => undefined);
    const base = `postgres://postgres@127.0.0.1:${port}`;
    await Promise.race([untilAccepting(`${base}/postgres`), exited]);

    const createDatabase = async (): Promise<string> => {
      const name = `cosyfleet_${++databases}`;
      const admin = new pg.Client({ connectionString: `${base}/postgres` });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      return `${base}/${name}`;
    };
    const url = await createDatabase();
    const stop = async (): Promise<void> => {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        // The postmaster itself (runuser's child when we are root): SIGINT is its fast shutdown.
        process.kill(postmasterPid(dataDir) ?? (child.pid as number), 'SIGINT');
        await gone;
      }
      rmSync(root, { recursive: true, force: true });
    };
    return { url, createDatabase, stop };
  } catch (err) {
    if (server && server.exitCode === null) {
      const pid = postmasterPid(dataDir) ?? server.pid;
      if (pid !== undefined) process.kill(pid, 'SIGKILL');
    }
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
}

function postmasterPid(dataDir: string): number | null {
  try {
    const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Tries to connect until the server accepts (it refuses while it starts up). */
async function untilAccepting(url: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      return;
    } catch (err) {
      await client.end().catch(() => undefined);
      // Generous: a loaded 2-core machine may take a while; this only bounds a hang.
      if (attempt >= 600) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
