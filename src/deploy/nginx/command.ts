// `cosyfleet deploy nginx`: writes the NGINX config for a host in front of one or more nodes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs, type Flags, type Io } from '../../planner/command.js';
import { testConfig } from './harness.js';
import { defaultNginxOptions, type NginxOptions } from './options.js';
import { renderNginxConfig } from './render.js';

const defaults = defaultNginxOptions();

export const DEPLOY_NGINX_USAGE = `Usage: cosyfleet deploy nginx [options]

Writes an NGINX config (for the http context, e.g. /etc/nginx/conf.d/cosyfleet.conf) that puts
TLS and HTTP/2 in front of cosyfleet, streams audio and SSE unbuffered, keeps the service's body
limits and timeouts, passes the client address on and answers its own errors as JSON.

  --upstream HOST:PORT          a cosyfleet node; repeat for several (default ${defaults.upstreams.join(' ')})
  --server-name NAME            public host name(s), space-separated (default ${defaults.serverName})
  --cert FILE --key FILE        PEM certificate chain and key (default Let's Encrypt's paths for the name)
  --listen ADDRESS              listen on this address only (default every IPv4 and IPv6 address)
  --https-port N                default ${defaults.httpsPort}
  --http-port N                 plain HTTP that redirects to HTTPS; 0 = none (default ${defaults.httpPort})
  --max-body-mb N               client_max_body_size; default ${defaults.maxBodyBytes / 1_048_576}: the service's largest upload limit and 1 MiB
  --read-timeout-s N            longest silence from a node; default ${defaults.readTimeoutS}: the queue deadline plus the longest synthesis
  --max-connections-per-address N  concurrent requests per client address; 0 = none (default ${defaults.maxConnectionsPerAddress})
  --keepalive N                 idle connections to the nodes kept per NGINX worker (default ${defaults.keepaliveConnections})
  --access-log FILE             default ${defaults.accessLog}
  --out FILE                    write the config to FILE (default: standard output)
  --check                       run \`nginx -t\` on it with this host's NGINX (the certificate files must exist)

The defaults suit a node with its default settings. Set on every node: TRUST_PROXY (this host's
address as the node sees it), MAX_CONNECTIONS_PER_ADDRESS=0 and ALLOWED_HOSTS (the server name).
`;

const KNOWN = {
  '--upstream': 'multi', '--server-name': 'value', '--cert': 'value', '--key': 'value', '--listen': 'value', '--https-port': 'value', '--http-port': 'value',
  '--max-body-mb': 'value', '--read-timeout-s': 'value', '--max-connections-per-address': 'value', '--keepalive': 'value', '--access-log': 'value', '--out': 'value',
  '--check': 'bool', '--help': 'bool',
} as const;

const HOST = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)$/;
/** Characters NGINX would read as syntax (or a variable) in an unquoted token. */
const NGINX_SYNTAX = /[\s;{}$'"#\\]/;

function whole(flags: Flags, name: string, fallback: number, min: number, max: number, problems: string[]): number {
  const text = flags.get(name)?.[0];
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) problems.push(`${name} must be a whole number from ${min} to ${max}, got ${text}`);
  return n;
}

/** The options from the command line, or the problems with it. */
export function nginxOptionsFromArgs(flags: Flags): { options: NginxOptions; problems: string[] } {
  const problems: string[] = [];
  const upstreams = flags.get('--upstream') ?? defaults.upstreams;
  for (const u of upstreams) {
    const colon = u.lastIndexOf(':');
    const host = u.slice(0, colon);
    const port = Number(u.slice(colon + 1));
    if (colon < 1 || !HOST.test(host) || !/^\d+$/.test(u.slice(colon + 1)) || port < 1 || port > 65_535) {
      problems.push(`--upstream must be HOST:PORT (an IPv6 address in brackets), got ${u}`);
    }
  }
  const serverName = flags.get('--server-name')?.[0] ?? defaults.serverName;
  if (!serverName.split(' ').every((n) => /^(\*\.)?[A-Za-z0-9_]([A-Za-z0-9.-]*[A-Za-z0-9])?$|^_$/.test(n))) problems.push(`--server-name must be host names separated by spaces, got ${serverName}`);
  const named = serverName.split(' ')[0] ?? serverName;
  const cert = flags.get('--cert')?.[0] ?? `/etc/letsencrypt/live/${named}/fullchain.pem`;
  const key = flags.get('--key')?.[0] ?? `/etc/letsencrypt/live/${named}/privkey.pem`;
  const accessLog = flags.get('--access-log')?.[0] ?? defaults.accessLog;
  for (const [name, value] of [['--cert', cert], ['--key', key], ['--access-log', accessLog]] as const) {
    if (value === '' || NGINX_SYNTAX.test(value)) problems.push(`${name} must be a path without spaces, quotes or ; { } $ # \\, got ${value}`);
  }
  const listenAddress = flags.get('--listen')?.[0] ?? null;
  if (listenAddress !== null && !HOST.test(listenAddress) && !/^[0-9A-Fa-f:.]+$/.test(listenAddress)) problems.push(`--listen must be an address, got ${listenAddress}`);
  const options: NginxOptions = {
    ...defaults,
    upstreams,
    serverName,
    cert: resolveIfRelative(cert),
    key: resolveIfRelative(key),
    accessLog: resolveIfRelative(accessLog),
    listenAddress,
    httpsPort: whole(flags, '--https-port', defaults.httpsPort, 1, 65_535, problems),
    httpPort: whole(flags, '--http-port', defaults.httpPort, 0, 65_535, problems),
    maxBodyBytes: whole(flags, '--max-body-mb', defaults.maxBodyBytes / 1_048_576, 1, 10_240, problems) * 1_048_576,
    readTimeoutS: whole(flags, '--read-timeout-s', defaults.readTimeoutS, 1, 86_400, problems),
    maxConnectionsPerAddress: whole(flags, '--max-connections-per-address', defaults.maxConnectionsPerAddress, 0, 1_000_000, problems),
    keepaliveConnections: whole(flags, '--keepalive', defaults.keepaliveConnections, 1, 10_000, problems),
  };
  if (options.httpPort === options.httpsPort) problems.push('--http-port and --https-port must differ');
  return { options, problems };
}

// NGINX resolves relative paths against its own prefix, not the folder the command ran in.
function resolveIfRelative(path: string): string {
  return path.startsWith('/') ? path : resolve(path);
}

export async function runDeployNginx(argv: readonly string[], io: Io): Promise<number> {
  const parsed = parseArgs(argv, KNOWN);
  if (parsed.flags.has('--help')) {
    io.stdout.write(DEPLOY_NGINX_USAGE);
    return 0;
  }
  const { options, problems } = nginxOptionsFromArgs(parsed.flags);
  problems.unshift(...parsed.problems, ...parsed.positional.map((p) => `unexpected argument ${p}`));
  if (problems.length > 0) {
    io.stderr.write(`${problems.map((p) => `cosyfleet deploy nginx: ${p}`).join('\n')}\n\n${DEPLOY_NGINX_USAGE}`);
    return 2;
  }
  const text = renderNginxConfig(options);
  if (parsed.flags.has('--check')) {
    const prefix = mkdtempSync(join(tmpdir(), 'cosyfleet-nginx-check-'));
    try {
      const site = join(prefix, 'cosyfleet.conf');
      writeFileSync(site, text);
      io.stderr.write(await testConfig(prefix, site));
    } catch (err) {
      io.stderr.write(`${(err as Error).message}\n`);
      return 1;
    } finally {
      rmSync(prefix, { recursive: true, force: true });
    }
  }
  const out = parsed.flags.get('--out')?.[0];
  if (out) {
    writeFileSync(out, text);
    io.stderr.write(`wrote ${out}\nOn every node set TRUST_PROXY to this host's address as the node sees it, MAX_CONNECTIONS_PER_ADDRESS=0 and ALLOWED_HOSTS=${options.serverName.split(' ').join(',')}.\n`);
  } else io.stdout.write(text);
  return 0;
}
