// Runs NGINX on a config of ours without touching the host's NGINX: a throwaway prefix folder
// holds a main config that includes ours, the pid file, the error log and every temporary path.
// Used by `cosyfleet deploy nginx --check` (nginx -t), the tests and the benchmark.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const NGINX_BINARY = '/usr/sbin/nginx';

/** Writes `<prefix>/nginx.conf` around `siteConf` (a file for the http context); returns its path. */
export function writeMainConfig(prefix: string, siteConf: string): string {
  for (const dir of ['logs', 'tmp/body', 'tmp/proxy', 'tmp/fastcgi', 'tmp/uwsgi', 'tmp/scgi']) mkdirSync(join(prefix, dir), { recursive: true });
  const main = [
    // As root NGINX's workers would run as nobody, who cannot use the 0700 folders a test makes.
    ...(process.getuid?.() === 0 ? ['user root root;'] : []),
    `pid ${join(prefix, 'nginx.pid')};`,
    `error_log ${join(prefix, 'logs/error.log')} info;`,
    'worker_processes 1;',
    'events { worker_connections 1024; }',
    'http {',
    `    access_log ${join(prefix, 'logs/access.log')};`,
    `    client_body_temp_path ${join(prefix, 'tmp/body')};`,
    `    proxy_temp_path ${join(prefix, 'tmp/proxy')};`,
    `    fastcgi_temp_path ${join(prefix, 'tmp/fastcgi')};`,
    `    uwsgi_temp_path ${join(prefix, 'tmp/uwsgi')};`,
    `    scgi_temp_path ${join(prefix, 'tmp/scgi')};`,
    `    include ${siteConf};`,
    '}',
    '',
  ].join('\n');
  const path = join(prefix, 'nginx.conf');
  writeFileSync(path, main);
  return path;
}

/** `nginx -t` on a site config; resolves with NGINX's report, rejects with it when the config is bad. */
export async function testConfig(prefix: string, siteConf: string, binary = NGINX_BINARY): Promise<string> {
  const main = writeMainConfig(prefix, siteConf);
  try {
    const { stderr } = await run(binary, ['-t', '-p', prefix, '-c', main, '-e', join(prefix, 'logs/error.log')]);
    return stderr;
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`nginx -t failed: ${e.stderr ?? e.message}`);
  }
}

export interface RunningNginx {
  process: ChildProcess;
  stop(): Promise<void>;
  errorLog(): string;
}

/** Starts NGINX in the foreground on a site config; resolves once its pid file exists (it listens by then). */
export async function startNginx(prefix: string, siteConf: string, binary = NGINX_BINARY): Promise<RunningNginx> {
  const main = writeMainConfig(prefix, siteConf);
  const errorLog = () => {
    try {
      return readFileSync(join(prefix, 'logs/error.log'), 'utf8');
    } catch {
      return '';
    }
  };
  const child = spawn(binary, ['-p', prefix, '-c', main, '-e', join(prefix, 'logs/error.log'), '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pidFile = join(prefix, 'nginx.pid');
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited (${child.exitCode}): ${stderr}${errorLog()}`);
    try {
      if (readFileSync(pidFile, 'utf8').trim() !== '') break;
    } catch {
      // not yet written
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return {
    process: child,
    errorLog,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGQUIT');
      await exited;
    },
  };
}

/** A self-signed certificate for `localhost` and 127.0.0.1 (P-256), made by the openssl CLI; returns the PEM paths and the certificate. */
export async function selfSignedCert(dir: string): Promise<{ cert: string; key: string; pem: string }> {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  await run('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-keyout', key, '-out', cert,
  ]);
  return { cert, key, pem: readFileSync(cert, 'utf8') };
}
