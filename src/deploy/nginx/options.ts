// What an NGINX config for cosyfleet is made of, and its defaults, derived from the service's own
// settings so the proxy never refuses, or gives up on, what the service would still serve.
import { SETTINGS } from '../../config/settings.js';

export interface NginxOptions {
  /** cosyfleet nodes, `host:port` each (an IPv6 host in brackets). */
  upstreams: string[];
  /** `server_name`: the public host name(s), space-separated. */
  serverName: string;
  /** PEM certificate chain and key. */
  cert: string;
  key: string;
  /** Address to listen on; null = every IPv4 and IPv6 address. */
  listenAddress: string | null;
  httpsPort: number;
  /** Plain-HTTP port that redirects to HTTPS; 0 = none. */
  httpPort: number;
  /** client_max_body_size, bytes. */
  maxBodyBytes: number;
  /** proxy_read_timeout: longest silence from a node (seconds). */
  readTimeoutS: number;
  /** proxy_send_timeout and client_body_timeout (seconds). */
  sendTimeoutS: number;
  /** client_header_timeout (seconds). */
  headerTimeoutS: number;
  /** proxy_connect_timeout (seconds): a node slower than this to accept is skipped. */
  connectTimeoutS: number;
  /** Idle connections to the nodes kept per NGINX worker. */
  keepaliveConnections: number;
  /** How long such an idle connection is kept (seconds). */
  keepaliveTimeoutS: number;
  /** Concurrent requests per client address (limit_conn); 0 = no bound. */
  maxConnectionsPerAddress: number;
  accessLog: string;
}

const MIB = 1_048_576;

/** A setting's default as a number (these defaults are literals, never computed). */
export function settingDefault(key: string): number {
  const spec = SETTINGS.find((s) => s.key === key);
  if (!spec || typeof spec.default !== 'number') throw new Error(`no numeric setting ${key}`);
  return spec.default;
}

/**
 * The largest request body any route takes: a voice upload (MAX_UPLOAD_BYTES plus its form's
 * text fields, about 30 KB), a long-form job (six bytes per character of JOB_MAX_TEXT_CHARS plus
 * 64 KiB), any other JSON body (MAX_BODY_BYTES). One MiB over the largest covers the extras, so
 * the service's own 413, which names the route's limit and the field, answers first and NGINX's
 * is the backstop for bodies far too large.
 */
export function largestServiceBodyBytes(service: { maxBodyBytes: number; maxUploadBytes: number; jobMaxTextChars: number }): number {
  const largest = Math.max(service.maxBodyBytes, service.maxUploadBytes, service.jobMaxTextChars * 6);
  return (Math.ceil(largest / MIB) + 1) * MIB;
}

/** Slowest speech a text becomes (Mandarin: about 4 characters per second of audio). */
const SLOWEST_CHARS_PER_AUDIO_SECOND = 4;

/**
 * The longest a node may go without sending a byte: a request's whole wait in the queue
 * (QUEUE_DEADLINE_MS) plus the synthesis of the longest text (MAX_TEXT_CHARS) as the slowest
 * speech, made no faster than real time (RTF 1) before a non-streamed answer's first byte. The
 * service's own stall timeouts end hung work sooner; NGINX must never be the one to give up on
 * work the service is still doing.
 */
export function longestSilenceS(service: { queueDeadlineMs: number; maxTextChars: number }): number {
  return Math.ceil(service.queueDeadlineMs / 1000 + service.maxTextChars / SLOWEST_CHARS_PER_AUDIO_SECOND);
}

/** A config for one box: NGINX and cosyfleet on the same host, the service with its default settings. */
export function defaultNginxOptions(): NginxOptions {
  const service = {
    maxBodyBytes: settingDefault('maxBodyBytes'),
    maxUploadBytes: settingDefault('maxUploadBytes'),
    jobMaxTextChars: settingDefault('jobMaxTextChars'),
    queueDeadlineMs: settingDefault('queueDeadlineMs'),
    maxTextChars: settingDefault('maxTextChars'),
  };
  const serverName = 'tts.example.com';
  return {
    upstreams: [`127.0.0.1:${settingDefault('port')}`],
    serverName,
    cert: `/etc/letsencrypt/live/${serverName}/fullchain.pem`,
    key: `/etc/letsencrypt/live/${serverName}/privkey.pem`,
    listenAddress: null,
    httpsPort: 443,
    httpPort: 80,
    maxBodyBytes: largestServiceBodyBytes(service),
    readTimeoutS: longestSilenceS(service),
    sendTimeoutS: Math.ceil(settingDefault('requestTimeoutMs') / 1000),
    headerTimeoutS: Math.ceil(settingDefault('headersTimeoutMs') / 1000),
    connectTimeoutS: 5,
    keepaliveConnections: 32,
    // Shorter than the service's KEEP_ALIVE_TIMEOUT_MS, so NGINX never sends a request on a
    // connection the service is closing (which would cost the request a 502).
    keepaliveTimeoutS: Math.max(1, Math.floor(settingDefault('keepAliveTimeoutMs') / 1000) - 10),
    maxConnectionsPerAddress: settingDefault('maxConnectionsPerAddress'),
    accessLog: '/var/log/nginx/cosyfleet-access.log',
  };
}
