// Who may call what. Every route's needed scope is in ROUTE_SCOPES, in one place, so a reviewer
// sees the whole policy at once and a route added without a policy needs the admin scope (and
// fails the test that lists every route). With AUTH=keys the hook turns the presented key
// (Bearer, or x-api-key as some clients send it) into request.principal before any route runs;
// with AUTH=off every caller is the anonymous principal of the default tenant, and the admin API
// and voice/lexicon writes keep their own keys (admin.ts, site-guard.ts).
import type { FastifyInstance } from 'fastify';
import { ANONYMOUS, type Principal } from '../accounts/principal.js';
import type { KeyService } from '../accounts/key-service.js';
import { allows, type Scope } from '../accounts/scopes.js';
import { AppError } from '../errors/app-error.js';
import { presentedKey } from './keys.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller (src/accounts/principal.ts); set before any route runs. */
    principal: Principal;
  }
}

export type RoutePolicy = Scope | 'public';

/** `METHOD /route/pattern` (Fastify's pattern, HEAD as GET) → what the caller needs. */
export const ROUTE_SCOPES: Readonly<Record<string, RoutePolicy>> = {
  'GET /healthz': 'public',
  'GET /readyz': 'public',
  'GET /openapi.json': 'public',
  // The studio's page and assets: the page asks for a key and sends it with its API calls.
  'GET /': 'public',
  'GET /assets/:file': 'public',
  'POST /v1/tts': 'synthesize',
  'POST /v1/tts/preview-text': 'synthesize',
  'POST /v1/audio/speech': 'synthesize',
  'GET /v1/models': 'synthesize',
  'GET /v1/engines': 'synthesize',
  'GET /v1/instructions': 'synthesize',
  'GET /v1/pronounce': 'synthesize',
  'POST /v1/plan': 'synthesize',
  'GET /v1/voices': 'synthesize',
  'GET /v1/voices/:id': 'synthesize',
  'GET /v1/voices/:id/audio': 'synthesize',
  'POST /v1/voices': 'voices',
  'PATCH /v1/voices/:id': 'voices',
  'DELETE /v1/voices/:id': 'voices',
  'GET /v1/lexicon': 'synthesize',
  'GET /v1/lexicon/:id': 'synthesize',
  'POST /v1/lexicon': 'voices',
  'PUT /v1/lexicon/:id': 'voices',
  'DELETE /v1/lexicon/:id': 'voices',
  'GET /v1/outputs': 'synthesize',
  'GET /v1/outputs/:id': 'synthesize',
  'GET /v1/outputs/:id/audio': 'synthesize',
  'DELETE /v1/outputs/:id': 'synthesize',
  'POST /v1/jobs': 'synthesize',
  'GET /v1/jobs': 'synthesize',
  'GET /v1/jobs/:id': 'synthesize',
  'POST /v1/jobs/:id/cancel': 'synthesize',
  'GET /v1/usage': 'usage',
  'GET /metrics': 'admin',
};

/** The policy of a route: the table's entry; the docs pages are public; anything else is admin-only. */
export function policyOf(method: string, url: string): RoutePolicy {
  const m = method === 'HEAD' ? 'GET' : method;
  const entry = ROUTE_SCOPES[`${m} ${url}`];
  if (entry) return entry;
  if (url === '/docs' || url.startsWith('/docs/')) return 'public';
  return 'admin';
}

export function registerAuth(app: FastifyInstance, options: { mode: 'keys' | 'off'; keys: KeyService }): void {
  app.decorateRequest('principal', null as unknown as Principal);
  if (options.mode === 'off') {
    app.addHook('onRequest', async (request) => {
      request.principal = ANONYMOUS;
    });
    return;
  }
  app.addHook('onRequest', async (request, reply) => {
    request.principal = ANONYMOUS;
    // CORS preflights carry no credentials by design; the CORS plugin answers them.
    if (request.method === 'OPTIONS') return;
    const url = request.routeOptions.url;
    // No route: the 404 handler answers, with nothing to protect.
    if (url === undefined) return;
    const policy = policyOf(request.method, url);
    if (policy === 'public') return;
    const secret = presentedKey(request);
    if (secret === null) {
      void reply.header('www-authenticate', 'Bearer realm="cosyfleet"');
      throw new AppError('api_key_required');
    }
    const result = await options.keys.authenticate(secret);
    if (result === 'unknown') {
      void reply.header('www-authenticate', 'Bearer realm="cosyfleet", error="invalid_token"');
      throw new AppError('invalid_api_key');
    }
    if (result === 'revoked') {
      void reply.header('www-authenticate', 'Bearer realm="cosyfleet", error="invalid_token"');
      throw new AppError('api_key_revoked');
    }
    if (!allows(result.scopes, policy)) {
      throw new AppError('scope_missing', `This key (${result.name}) does not have the "${policy}" scope that ${request.method} ${url} needs; it has: ${[...result.scopes].join(', ')}.`);
    }
    request.principal = result;
  });
}
