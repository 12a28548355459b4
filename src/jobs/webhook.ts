// Job webhooks: the URL check that keeps the server from calling its own network (SSRF), the
// Standard Webhooks signature (https://www.standardwebhooks.com), one delivery attempt, and the
// delay before the next. The caller (the job runner) owns the attempt count and the schedule.
//
// The address is checked when the job is created and again before every attempt, because the
// name's DNS answer may have changed since (DNS rebinding). The attempt then connects to the very
// addresses it checked: http.request gets a `lookup` that returns them instead of asking DNS a
// second time, while Host and TLS SNI stay the URL's hostname, so certificates still verify.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { AppError } from '../errors/app-error.js';
import { VERSION } from '../version.js';

/** Resolves a hostname to its addresses (IPv4 and IPv6 text), as DNS answers them. */
export type WebhookResolver = (host: string) => Promise<string[]>;

export interface WebhookCheckOptions {
  /** WEBHOOK_ALLOW_PRIVATE: skip the address check (tests, private networks); scheme and userinfo are still checked. */
  readonly allowPrivate: boolean;
  /** Default: the system resolver (getaddrinfo: /etc/hosts, then DNS), every address, in its order. */
  readonly resolve?: WebhookResolver;
}

export interface WebhookDeliveryOptions extends WebhookCheckOptions {
  /** Covers connecting, sending, the answer's status and reading (at most maxResponseBytes of) its body. */
  readonly timeoutMs: number;
  /** How much of the receiver's answer is read (and discarded) before the connection is closed. */
  readonly maxResponseBytes?: number;
}

export interface WebhookTarget {
  readonly url: string;
  /** `whsec_` + base64 of the key (newWebhookSecret). */
  readonly secret: string;
}

export interface WebhookEvent {
  /** Sent as webhook-id: the same for every attempt, so the receiver can drop duplicates. */
  readonly id: string;
  readonly type: string;
  readonly data: unknown;
}

export interface WebhookAttempt {
  /** The receiver answered 2xx. */
  readonly ok: boolean;
  /** The receiver's status, when it answered. */
  readonly status?: number;
  /** Worth another attempt later: no answer, a timeout, a DNS failure, 408, 429 or 5xx. */
  readonly retry: boolean;
  /** Why it failed, for the job's record and the log; absent when ok. */
  readonly error?: string;
}

export const WEBHOOK_MAX_URL_LENGTH = 2048;
export const WEBHOOK_DEFAULT_MAX_RESPONSE_BYTES = 4096;
/** The longest delay webhookBackoffMs returns. */
export const WEBHOOK_MAX_BACKOFF_MS = 3_600_000;
const PARAM = 'webhook.url';
const SECRET_PREFIX = 'whsec_';

// ---------------------------------------------------------------------------------------------
// The URL check

/**
 * Checks a webhook URL before a job that names it is accepted: http or https, no user:password@,
 * at most 2048 characters, and (unless allowPrivate) a host that is not localhost and neither is
 * nor resolves to a loopback, private, link-local, shared (CGNAT), multicast or otherwise
 * special-purpose address; one such address among several answers is enough to refuse.
 * Throws AppError `invalid_value` (not a usable URL) or `webhook_refused` (its address), param `webhook.url`.
 */
export async function checkWebhookUrl(url: string, options: WebhookCheckOptions): Promise<URL> {
  const checked = await inspect(url, options);
  if (checked.kind === 'ok') return checked.url;
  throw new AppError(checked.kind === 'invalid' ? 'invalid_value' : 'webhook_refused', checked.message, { param: PARAM });
}

type Inspection =
  | { kind: 'ok'; url: URL; host: string; addresses: string[] | null }
  | { kind: 'invalid' | 'refused' | 'unresolved'; message: string };

async function inspect(raw: string, options: WebhookCheckOptions): Promise<Inspection> {
  const invalid = (why: string): Inspection => ({ kind: 'invalid', message: `webhook.url ${why}` });
  if (typeof raw !== 'string' || raw === '') return invalid('must be an http:// or https:// URL');
  if (raw.length > WEBHOOK_MAX_URL_LENGTH) return invalid(`is ${raw.length} characters long; at most ${WEBHOOK_MAX_URL_LENGTH} are allowed`);
  // The URL parser silently drops tabs and newlines and trims spaces; a URL that needs that is refused instead.
  if (/[\s\p{Cc}]/u.test(raw)) return invalid('must not contain spaces or control characters');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return invalid('is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return invalid(`must use http or https, not ${url.protocol.replace(/:$/, '')}`);
  if (url.username !== '' || url.password !== '') return invalid('must not contain a user name or password (user:password@)');
  if (url.hostname === '') return invalid('has no host');

  // WHATWG parsing already turned 0x7f.1, 2130706433 and the like into dotted IPv4, and IPv6 into its short form.
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (isIP(host) !== 0) {
    if (!options.allowPrivate) {
      const reason = addressReason(host);
      if (reason !== null) return { kind: 'refused', message: `webhook.url: ${host} is ${reason} address; webhooks are only sent to public addresses` };
    }
    return { kind: 'ok', url, host, addresses: null };
  }

  const name = host.replace(/\.$/, '');
  if (!options.allowPrivate && (name === 'localhost' || name.endsWith('.localhost'))) {
    return { kind: 'refused', message: `webhook.url: ${host} is this server itself; webhooks are only sent to public addresses` };
  }
  let addresses: string[];
  try {
    addresses = await (options.resolve ?? systemResolve)(host);
  } catch (err) {
    const code = typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined;
    return { kind: 'unresolved', message: `webhook.url: the host ${host} does not resolve${typeof code === 'string' ? ` (${code})` : ''}` };
  }
  if (addresses.length === 0) return { kind: 'unresolved', message: `webhook.url: the host ${host} does not resolve (no addresses)` };
  for (const address of addresses) {
    if (isIP(address) === 0) return { kind: 'unresolved', message: `webhook.url: the host ${host} does not resolve to IP addresses (got ${JSON.stringify(address.slice(0, 64))})` };
    if (options.allowPrivate) continue;
    const reason = addressReason(address);
    if (reason !== null) {
      return { kind: 'refused', message: `webhook.url: ${host} resolves to ${address}, ${reason} address; webhooks are only sent to public addresses` };
    }
  }
  return { kind: 'ok', url, host, addresses };
}

async function systemResolve(host: string): Promise<string[]> {
  const answers = await dnsLookup(host, { all: true, verbatim: true });
  return answers.map((a) => a.address);
}

// ---------------------------------------------------------------------------------------------
// Which addresses are refused

type Range = readonly [network: string, bits: number, what: string];

// IANA's IPv4 special-purpose registry, less nothing that a webhook could legitimately need.
const IPV4_REFUSED: readonly Range[] = [
  ['255.255.255.255', 32, 'the broadcast'],
  ['0.0.0.0', 8, 'an unspecified ("this network")'],
  ['10.0.0.0', 8, 'a private'],
  ['100.64.0.0', 10, 'a shared (carrier-grade NAT)'],
  ['127.0.0.0', 8, 'a loopback'],
  ['169.254.0.0', 16, 'a link-local (cloud instance metadata)'],
  ['172.16.0.0', 12, 'a private'],
  ['192.0.0.0', 24, 'an IETF special-purpose'],
  ['192.0.2.0', 24, 'a documentation'],
  ['192.88.99.0', 24, 'a 6to4 relay'],
  ['192.168.0.0', 16, 'a private'],
  ['198.18.0.0', 15, 'a benchmarking'],
  ['198.51.100.0', 24, 'a documentation'],
  ['203.0.113.0', 24, 'a documentation'],
  ['224.0.0.0', 4, 'a multicast'],
  ['240.0.0.0', 4, 'a reserved'],
];

/**
 * Why the server does not call this address ("a loopback", ...), or null for a public one.
 * IPv6 is allowed only in global unicast (2000::/3) outside its special blocks; addresses that
 * carry an IPv4 address (IPv4-mapped, NAT64, 6to4) are judged by that IPv4 address.
 */
export function addressReason(address: string): string | null {
  const v4 = parseIPv4(address);
  if (v4 !== null) return ipv4Reason(v4);
  const b = parseIPv6(address);
  if (b === null) return 'an unparseable';
  const zeros = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  const embedded = (at: number) => b.slice(at, at + 4);
  const via = (what: string, at: number) => {
    const inner = ipv4Reason(embedded(at));
    return inner === null ? null : `${what} of ${embedded(at).join('.')}, ${inner}`;
  };
  if (zeros(0, 16)) return 'an unspecified';
  if (zeros(0, 15) && b[15] === 1) return 'a loopback';
  if (zeros(0, 10) && b[10] === 0xff && b[11] === 0xff) return via('an IPv4-mapped form', 12);
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zeros(4, 12)) return via('a NAT64 form', 12);
  if (b[0] === 0x20 && b[1] === 0x02) return via('a 6to4 form', 2);
  const first = b[0] as number;
  if ((first & 0xe0) !== 0x20) {
    if ((first & 0xfe) === 0xfc) return 'a private (unique local)';
    if (first === 0xfe && ((b[1] as number) & 0xc0) === 0x80) return 'a link-local';
    if (first === 0xfe && ((b[1] as number) & 0xc0) === 0xc0) return 'a site-local';
    if (first === 0xff) return 'a multicast';
    return 'a reserved';
  }
  if (first === 0x20 && b[1] === 0x01 && b[2] === 0x0d && b[3] === 0xb8) return 'a documentation';
  // 2001::/23: Teredo (which hides an IPv4 address), benchmarking, ORCHID and other IETF assignments.
  if (first === 0x20 && b[1] === 0x01 && ((b[2] as number) & 0xfe) === 0) return 'an IETF special-purpose';
  if (first === 0x3f && b[1] === 0xff && ((b[2] as number) & 0xf0) === 0) return 'a documentation';
  return null;
}

function ipv4Reason(bytes: readonly number[]): string | null {
  const value = toUint32(bytes);
  for (const [network, bits, what] of IPV4_REFUSED) {
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    if (((value & mask) >>> 0) === ((toUint32(parseIPv4(network) as number[]) & mask) >>> 0)) return what;
  }
  return null;
}

function toUint32(bytes: readonly number[]): number {
  return (((bytes[0] as number) << 24) | ((bytes[1] as number) << 16) | ((bytes[2] as number) << 8) | (bytes[3] as number)) >>> 0;
}

function parseIPv4(text: string): number[] | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return null;
  const bytes = m.slice(1).map(Number);
  return bytes.every((x) => x <= 255) ? bytes : null;
}

/** 16 bytes, or null when it is not IPv6 text (a zone, `%eth0`, is ignored). */
function parseIPv6(text: string): number[] | null {
  const plain = text.replace(/%.*$/, '');
  if (isIP(plain) !== 6) return null;
  let body = plain.toLowerCase();
  // A trailing dotted IPv4 part (::ffff:127.0.0.1) becomes its two hex groups.
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(body);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    if ([a, b, c, d].some((x) => x > 255)) return null;
    body = `${body.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const groups = (part: string) => (part === '' ? [] : part.split(':').map((h) => parseInt(h, 16)));
  let words: number[];
  const gap = body.indexOf('::');
  if (gap >= 0) {
    const left = groups(body.slice(0, gap));
    const right = groups(body.slice(gap + 2));
    if (left.length + right.length > 7) return null;
    words = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  } else {
    words = groups(body);
  }
  if (words.length !== 8 || words.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffff)) return null;
  return words.flatMap((w) => [w >> 8, w & 0xff]);
}

// ---------------------------------------------------------------------------------------------
// Signing (Standard Webhooks, symmetric v1)

/** A new signing secret: `whsec_` + base64 of 24 random bytes. */
export function newWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(24).toString('base64');
}

function secretKey(secret: string): Buffer {
  const key = Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');
  if (key.length === 0) throw new TypeError('a webhook secret must be whsec_ followed by base64');
  return key;
}

/** `v1,` + base64(HMAC-SHA256(key, `${id}.${timestampSeconds}.${body}`)), the key being the secret's base64 part decoded. */
export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  if (!Number.isSafeInteger(timestampSeconds)) throw new TypeError('the webhook timestamp must be whole seconds');
  return `v1,${createHmac('sha256', secretKey(secret)).update(`${id}.${timestampSeconds}.${body}`).digest('base64')}`;
}

/**
 * Whether a received webhook is authentic: webhook-id, webhook-timestamp and webhook-signature
 * present (header names in any case), the timestamp within toleranceS of nowSeconds, and one of
 * the space-separated `v1,` signatures matching (compared in constant time). body is the raw body.
 */
export function verifyWebhook(
  secret: string,
  headers: Readonly<Record<string, string | readonly string[] | undefined>>,
  body: string,
  toleranceS = 300,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): boolean {
  const header = (name: string): string | undefined => {
    for (const [key, value] of Object.entries(headers)) {
      if (key.toLowerCase() === name) return typeof value === 'string' ? value : undefined;
    }
    return undefined;
  };
  const id = header('webhook-id');
  const timestamp = header('webhook-timestamp');
  const signatures = header('webhook-signature');
  if (!id || !timestamp || !signatures || !/^\d{1,15}$/.test(timestamp)) return false;
  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceS) return false;
  let expected: Buffer;
  try {
    expected = Buffer.from(signWebhook(secret, id, Number(timestamp), body));
  } catch {
    return false;
  }
  let match = false;
  // Every candidate is compared, so the time taken does not say which one matched.
  for (const candidate of signatures.split(' ')) {
    const given = Buffer.from(candidate);
    if (given.length === expected.length && timingSafeEqual(given, expected)) match = true;
  }
  return match;
}

// ---------------------------------------------------------------------------------------------
// One delivery attempt

/**
 * POSTs the event once: `{"type","timestamp","data"}` signed per Standard Webhooks. Never throws
 * and never follows a redirect: a 3xx is a failure that is not retried (the receiver's URL is
 * wrong; following it could lead anywhere, the checked address included). A URL refused at this
 * point (its name now resolves to a private address) is not retried either; a name that does not
 * resolve right now is.
 */
export async function deliverWebhook(target: WebhookTarget, event: WebhookEvent, options: WebhookDeliveryOptions): Promise<WebhookAttempt> {
  try {
    const started = performance.now();
    const resolve = withTimeout(options.resolve ?? systemResolve, options.timeoutMs);
    const checked = await inspect(target.url, { allowPrivate: options.allowPrivate, resolve });
    if (checked.kind !== 'ok') return { ok: false, retry: checked.kind === 'unresolved', error: checked.message };
    const timeLeft = Math.max(1, Math.round(options.timeoutMs - (performance.now() - started)));
    const now = Date.now();
    const body = JSON.stringify({ type: event.type, timestamp: new Date(now).toISOString(), data: event.data });
    const timestamp = Math.floor(now / 1000);
    const headers: OutgoingHttpHeaders = {
      host: checked.url.host,
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'user-agent': `cosyfleet/${VERSION}`,
      'webhook-id': event.id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signWebhook(target.secret, event.id, timestamp, body),
    };
    const answer = await post(checked, headers, body, { timeLeft, timeoutMs: options.timeoutMs }, options.maxResponseBytes ?? WEBHOOK_DEFAULT_MAX_RESPONSE_BYTES);
    if ('error' in answer) return { ok: false, retry: true, error: answer.error };
    return judge(answer.status);
  } catch (err) {
    return { ok: false, retry: false, error: `webhook not sent: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** The resolver, failing like DNS (ETIMEOUT) when it has not answered within ms: the timeout covers resolving too. */
function withTimeout(resolve: WebhookResolver, ms: number): WebhookResolver {
  return (host) =>
    new Promise((ok, fail) => {
      const timer = setTimeout(() => fail(Object.assign(new Error(`no answer for ${host} within ${ms} ms`), { code: 'ETIMEOUT' })), ms);
      resolve(host)
        .then(ok, fail)
        .finally(() => clearTimeout(timer));
    });
}

function judge(status: number): WebhookAttempt {
  if (status >= 200 && status < 300) return { ok: true, status, retry: false };
  if (status >= 300 && status < 400) return { ok: false, status, retry: false, error: `the receiver answered ${status}, a redirect, which is not followed` };
  const retry = status === 408 || status === 429 || status >= 500;
  return { ok: false, status, retry, error: `the receiver answered ${status}` };
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A `lookup` for http.request that answers with the checked addresses instead of asking DNS again. */
function pinnedLookup(addresses: readonly string[]) {
  return (_hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    const all = addresses
      .map((address) => ({ address, family: isIP(address) }))
      .filter((a) => !options.family || options.family === a.family || (options.family === 'IPv4' && a.family === 4) || (options.family === 'IPv6' && a.family === 6));
    const first = all[0];
    if (first === undefined) {
      const err: NodeJS.ErrnoException = new Error('no checked address of the requested family');
      err.code = 'ENOTFOUND';
      callback(err, '', 0);
    } else if (options.all) callback(null, all);
    else callback(null, first.address, first.family);
  };
}

function post(
  target: Extract<Inspection, { kind: 'ok' }>,
  headers: OutgoingHttpHeaders,
  body: string,
  { timeLeft, timeoutMs }: { timeLeft: number; timeoutMs: number },
  maxResponseBytes: number,
): Promise<{ status: number } | { error: string }> {
  return new Promise((resolve) => {
    const { url } = target;
    let status: number | undefined;
    let settled = false;
    const finish = (result: { status: number } | { error: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(result);
    };
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request({
      method: 'POST',
      hostname: target.host,
      port: url.port === '' ? undefined : Number(url.port),
      path: `${url.pathname}${url.search}`,
      headers,
      // A connection of its own: a pooled socket could have been opened to another address.
      agent: false,
      ...(target.addresses === null ? {} : { lookup: pinnedLookup(target.addresses) }),
    });
    // Started after request() returned: it throws at once on a header it cannot send.
    const timer = setTimeout(() => {
      // Once the status is in, a receiver that is slow with its body has still answered.
      finish(status === undefined ? { error: `the receiver did not answer within ${timeoutMs} ms` } : { status });
    }, timeLeft);
    req.on('error', (err: NodeJS.ErrnoException) => finish({ error: `the request failed: ${err.code ?? err.message}` }));
    req.on('response', (res: IncomingMessage) => {
      status = res.statusCode ?? 0;
      let read = 0;
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read >= maxResponseBytes) finish({ status: status as number });
      });
      res.on('end', () => finish({ status: status as number }));
      res.on('error', () => finish({ status: status as number }));
    });
    req.end(body);
  });
}

// ---------------------------------------------------------------------------------------------
// Retry schedule

/**
 * The delay before the attempt after `attempt` (1 = the first) failed: baseMs × 4^(attempt−1),
 * ±10% jitter so that many jobs failing together do not retry together, at most one hour.
 * `random` returns [0, 1) like Math.random (tests pass a fixed one).
 */
export function webhookBackoffMs(attempt: number, baseMs: number, random: () => number = Math.random): number {
  if (!Number.isSafeInteger(attempt) || attempt < 1) throw new RangeError(`attempt must be a whole number from 1, not ${attempt}`);
  if (!Number.isFinite(baseMs) || baseMs < 0) throw new RangeError(`baseMs must be a non-negative number, not ${baseMs}`);
  const delay = Math.min(baseMs * 4 ** (attempt - 1), WEBHOOK_MAX_BACKOFF_MS);
  const jittered = delay * (0.9 + 0.2 * random());
  return Math.round(Math.min(jittered, WEBHOOK_MAX_BACKOFF_MS));
}
