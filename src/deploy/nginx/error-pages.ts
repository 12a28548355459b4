// The answers NGINX gives itself (no node reachable, a node silent too long, a body too large,
// too many requests from one address), in the service's error shapes, so a client parses them
// like any other error: `{error:{code,message,param}}`, and OpenAI's shape on the
// OpenAI-compatible route. Codes and messages come from the error catalog.
import { ERRORS, type ErrorCode } from '../../errors/catalog.js';

export type ErrorShape = 'native' | 'openai';

interface ProxyError {
  status: number;
  code: ErrorCode;
  message: string;
  /** Extra response headers. */
  headers?: Record<string, string>;
}

export const PROXY_ERRORS: readonly ProxyError[] = [
  { status: 413, code: 'body_too_large', message: 'The request body is larger than the proxy in front of the service accepts (client_max_body_size).' },
  { status: 429, code: 'too_many_connections', message: 'This client address has as many requests in progress as the proxy in front of the service allows; retry when one has finished.', headers: { 'Retry-After': '1' } },
  { status: 502, code: 'upstream_unavailable', message: ERRORS.upstream_unavailable.message },
  { status: 504, code: 'upstream_timeout', message: ERRORS.upstream_timeout.message },
];

export function errorBody(error: ProxyError, shape: ErrorShape): string {
  const body =
    shape === 'native'
      ? { error: { code: error.code, message: error.message, param: null } }
      : { error: { message: error.message, type: error.status >= 500 ? 'server_error' : 'invalid_request_error', param: null, code: error.code } };
  return JSON.stringify(body);
}

/** A string NGINX reads back verbatim: single-quoted, and no `$`, which it would take for a variable. */
export function nginxQuoted(text: string): string {
  if (text.includes('$')) throw new Error(`NGINX would read "$" as a variable in: ${text}`);
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export function namedLocation(status: number, shape: ErrorShape): string {
  return `@cosyfleet_${shape}_${status}`;
}

/** `error_page` lines that send NGINX's own errors to the named locations of one shape. */
export function errorPageDirectives(shape: ErrorShape, indent: string): string[] {
  return PROXY_ERRORS.map((e) => `${indent}error_page ${e.status} ${namedLocation(e.status, shape)};`);
}

/** The named locations that answer them. */
export function errorLocations(shape: ErrorShape, indent: string, extraHeaders: readonly string[]): string[] {
  return PROXY_ERRORS.flatMap((e) => [
    `${indent}location ${namedLocation(e.status, shape)} {`,
    `${indent}    default_type application/json;`,
    // add_header here replaces the server's, so the server's headers are repeated.
    ...[...extraHeaders, ...Object.entries(e.headers ?? {}).map(([name, value]) => `${name} ${nginxQuoted(value)}`)].map((h) => `${indent}    add_header ${h} always;`),
    `${indent}    return ${e.status} ${nginxQuoted(errorBody(e, shape))};`,
    `${indent}}`,
  ]);
}
