// The studio (web/, built by `npm run build` into dist/web) served at `/`. Every file it may send
// is read into memory when the plugin registers: a request path is only ever a key into that
// table, never joined onto the filesystem. Public by design (ROUTE_SCOPES): the page asks for
// the API key itself and sends it with its own API calls.
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors/app-error.js';

/** dist/web of this package: the same folder from src/http (tsx) and from dist/http (the build). */
export const DEFAULT_STUDIO_ROOT = fileURLToPath(new URL('../../dist/web/', import.meta.url));

/**
 * Only 'self': no inline script or style, no other origin (no CDN, no fonts from elsewhere);
 * media also from blob: (streamed audio goes through MediaSource, a finished take through a Blob).
 */
export const STUDIO_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "media-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const INDEX_CACHE = 'no-cache';
const ASSET_CACHE = 'public, max-age=31536000, immutable';
/** Asset names as Vite writes them: a name, a content hash, an extension; nothing else is served. */
const ASSET_NAME = /^[A-Za-z0-9_-]{1,100}\.[a-z0-9]{1,8}$/;
const TYPES: Readonly<Record<string, string>> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  ico: 'image/x-icon',
  woff2: 'font/woff2',
  json: 'application/json',
  webmanifest: 'application/manifest+json',
};
const COMPRESSIBLE = new Set(['js', 'css', 'svg', 'json', 'webmanifest', 'html']);

interface StaticFile {
  body: Buffer;
  /** Present when gzip makes it smaller. */
  gzip?: Buffer;
  type: string;
  etag: string;
}

export interface StudioFiles {
  index: StaticFile;
  assets: ReadonlyMap<string, StaticFile>;
}

function load(path: string, type: string, ext: string): StaticFile {
  const body = readFileSync(path);
  const gz = COMPRESSIBLE.has(ext) ? gzipSync(body, { level: 9 }) : undefined;
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  return { body, type, etag, ...(gz && gz.length < body.length ? { gzip: gz } : {}) };
}

/** The built studio under `root` (index.html and assets/*), or null when it has not been built. */
export function loadStudio(root: string): StudioFiles | null {
  const indexPath = join(root, 'index.html');
  if (!existsSync(indexPath) || !lstatSync(indexPath).isFile()) return null;
  const assets = new Map<string, StaticFile>();
  const dir = join(root, 'assets');
  if (existsSync(dir)) {
    for (const name of readdirSync(dir)) {
      const ext = name.slice(name.lastIndexOf('.') + 1);
      const type = TYPES[ext];
      // Source maps and anything unexpected stay on disk: only what the page loads is served.
      if (!ASSET_NAME.test(name) || type === undefined) continue;
      const path = join(dir, name);
      // Regular files only: a link could point anywhere.
      if (!lstatSync(path).isFile()) continue;
      assets.set(name, load(path, type, ext));
    }
  }
  return { index: load(indexPath, 'text/html; charset=utf-8', 'html'), assets };
}

function acceptsGzip(request: FastifyRequest): boolean {
  const accept = request.headers['accept-encoding'];
  if (typeof accept !== 'string') return false;
  return accept.split(',').some((part) => {
    const [name = '', ...params] = part.split(';').map((p) => p.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    return name === 'gzip' && (q === undefined || Number(q.slice(2)) > 0);
  });
}

function send(request: FastifyRequest, reply: FastifyReply, file: StaticFile, cache: string): FastifyReply {
  void reply.header('cache-control', cache).header('etag', file.etag).header('x-content-type-options', 'nosniff').header('vary', 'accept-encoding').type(file.type);
  if (request.headers['if-none-match'] === file.etag) return reply.status(304).send();
  if (file.gzip && acceptsGzip(request)) return reply.header('content-encoding', 'gzip').send(file.gzip);
  return reply.send(file.body);
}

export interface StudioOptions {
  /** The built studio's folder (default: this package's dist/web). */
  root?: string;
}

export const studioRoutes: FastifyPluginAsync<StudioOptions> = async (app, options) => {
  const root = options.root ?? DEFAULT_STUDIO_ROOT;
  const files = loadStudio(root);
  if (!files) app.log.warn({ root }, 'the studio is not built (run npm run build); / answers 404 studio_not_built');
  const notBuilt = () => new AppError('studio_not_built', `The studio is not built: run \`npm run build\` (it writes ${root}) and restart the service.`);

  app.get('/', { schema: { hide: true } }, async (request, reply) => {
    if (!files) throw notBuilt();
    void reply
      .header('content-security-policy', STUDIO_CSP)
      .header('referrer-policy', 'no-referrer')
      .header('x-frame-options', 'DENY')
      .header('cross-origin-opener-policy', 'same-origin');
    return send(request, reply, files.index, INDEX_CACHE);
  });

  app.get<{ Params: { file: string } }>('/assets/:file', { schema: { hide: true } }, async (request, reply) => {
    if (!files) throw notBuilt();
    const file = files.assets.get(request.params.file);
    if (!file) throw new AppError('not_found', 'No such studio asset (assets are named by their content hash; reload the page).');
    return send(request, reply, file, ASSET_CACHE);
  });
};
