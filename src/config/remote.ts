// Addresses of the remote servers the remote engines sit in front of: parsed once, checked at
// boot (a typo in COSYVOICE_URL should stop the process, not fail the first request), and shown
// in logs and health details without credentials.
import { isIPv4, isIPv6 } from 'node:net';

export interface HttpBase {
  readonly url: URL;
  /** The URL's path without a trailing slash ('' for the root); request paths are appended to it. */
  readonly path: string;
  /** What logs and health details may show (scheme, host, port, path). */
  readonly display: string;
}

export interface GrpcTarget {
  /** What @grpc/grpc-js is given: `host:port`, `dns:///host:port`, or an `ipv4:`/`ipv6:` address list. */
  readonly address: string;
  readonly tls: boolean;
  readonly display: string;
}

/** Parses an http(s) base URL; throws Error with the reason. */
export function parseHttpBase(value: string): HttpBase {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error('must be an http:// or https:// URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('must be an http:// or https:// URL');
  // Credentials in a URL end up in logs and error messages; API keys have their own secret setting.
  if (url.username || url.password) throw new Error('must not contain a user name or password');
  if (url.search || url.hash) throw new Error('must not have a query string or fragment');
  const path = url.pathname.replace(/\/+$/, '');
  return { url, path, display: `${url.protocol}//${url.host}${path}` };
}

const GRPC_FORMS = 'must be host:port, grpc://host:port, grpcs://host:port, dns:///host:port, or a list ipv4:a.b.c.d:port,… / ipv6:[addr]:port,…';

function checkPort(text: string): number {
  const port = Number(text);
  if (port < 1 || port > 65535) throw new Error('port must be between 1 and 65535');
  return port;
}

/**
 * Parses `host:port`, `grpc://host:port`, `grpcs://host:port` (TLS), `dns:///host:port`, or
 * grpc-js's static lists `ipv4:1.2.3.4:port,…` and `ipv6:[::1]:port,…`; throws Error with the
 * reason. A host name (with or without `dns:///`) is resolved by grpc-js's DNS resolver and every
 * address it returns is used (round_robin in TritonClient); the lists pin the addresses.
 */
export function parseGrpcTarget(value: string): GrpcTarget {
  const text = value.trim();
  const dns = /^dns:\/\/\/([^/\s:[\]]+):(\d{1,5})\/?$/.exec(text);
  if (dns) {
    const address = `dns:///${dns[1]}:${checkPort(dns[2] as string)}`;
    return { address, tls: false, display: address };
  }
  const list = /^(ipv4|ipv6):(.+)$/.exec(text);
  if (list) return { address: parseIpList(list[1] as 'ipv4' | 'ipv6', list[2] as string), tls: false, display: text };
  const m = /^(?:(grpcs?):\/\/)?([^/\s:]+|\[[0-9a-fA-F:.]+\]):(\d{1,5})\/?$/.exec(text);
  if (!m) throw new Error(GRPC_FORMS);
  const port = checkPort(m[3] as string);
  const tls = m[1] === 'grpcs';
  const address = `${m[2]}:${port}`;
  return { address, tls, display: `${tls ? 'grpcs' : 'grpc'}://${address}` };
}

/** A comma-separated list of literal addresses of one family, each with an explicit port (grpc-js would otherwise pick 443). */
function parseIpList(family: 'ipv4' | 'ipv6', body: string): string {
  const items = body.split(',');
  const out: string[] = [];
  for (const item of items) {
    const m = family === 'ipv4' ? /^([0-9.]+):(\d{1,5})$/.exec(item) : /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(item);
    const host = m?.[1] ?? '';
    if (!m || (family === 'ipv4' ? !isIPv4(host) : !isIPv6(host))) {
      throw new Error(`${JSON.stringify(item)} in the ${family}: list is not ${family === 'ipv4' ? 'a.b.c.d:port' : '[addr]:port'}`);
    }
    checkPort(m[2] as string);
    out.push(item);
  }
  return `${family}:${out.join(',')}`;
}

/** Each remote engine's address setting: its env var, flag, config key and parser. */
const ADDRESSES = [
  { engine: 'cosyvoice-fastapi', key: 'cosyvoiceUrl', env: 'COSYVOICE_URL', flag: '--cosyvoice-url', parse: parseHttpBase, example: 'http://gpu-box:50000' },
  { engine: 'triton', key: 'tritonUrl', env: 'TRITON_URL', flag: '--triton-url', parse: parseGrpcTarget, example: 'gpu-box:18001' },
  { engine: 'openai-speech', key: 'openaiSpeechUrl', env: 'OPENAI_SPEECH_URL', flag: '--openai-speech-url', parse: parseHttpBase, example: 'http://gpu-box:8091/v1' },
] as const;

/**
 * Problems with the remote engines' settings, in ConfigError's wording: the selected engine's
 * address is required, and any address that is set must parse.
 */
export function remoteEngineProblems(values: Readonly<Record<string, unknown>>): string[] {
  const problems: string[] = [];
  for (const a of ADDRESSES) {
    const value = values[a.key];
    if (typeof value === 'string' && value !== '') {
      try {
        a.parse(value);
      } catch (err) {
        problems.push(`${a.env}=${JSON.stringify(value)}: ${(err as Error).message}`);
      }
    } else if (values.engine === a.engine) {
      problems.push(`${a.env} (${a.flag}) is required with COSYFLEET_ENGINE=${a.engine}: the address of the server, e.g. ${a.example}`);
    }
  }
  return problems;
}
