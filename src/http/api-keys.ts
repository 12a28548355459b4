// API keys through the admin API: create (the secret is in this one answer and nowhere else),
// list, show, change limits and store-by-default, revoke. Registered inside the admin plugin, behind its guard.
import type { FastifyPluginAsync } from 'fastify';
import type { KeyChange, KeyService } from '../accounts/key-service.js';
import type { KeyLimits, KeyRecord } from '../accounts/key-store.js';
import { SCOPES, parseScopes } from '../accounts/scopes.js';
import { TENANT_PATTERN } from '../accounts/principal.js';
import { AppError } from '../errors/app-error.js';
import { errorResponses } from './error-schema.js';

const LIMIT_NAMES = ['requestsPerMinute', 'concurrentRequests', 'charactersPerDay', 'charactersPerMonth', 'audioSecondsPerDay', 'audioSecondsPerMonth'] as const;

const limitsSchema = {
  type: 'object',
  additionalProperties: false,
  description: 'Per-key limits; null or absent = unlimited.',
  properties: Object.fromEntries(LIMIT_NAMES.map((n) => [n, { type: ['integer', 'null'], minimum: 1, maximum: 1_000_000_000_000 }])),
} as const;

const keySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    tenant: { type: 'string' },
    name: { type: 'string' },
    scopes: { type: 'array', items: { type: 'string', enum: [...SCOPES] } },
    prefix: { type: 'string', description: 'The start of the secret, to tell keys apart.' },
    limits: { type: 'object', additionalProperties: { type: ['integer', 'null'] } },
    storeByDefault: { type: 'boolean', description: 'Synthesis requests that do not send `store` are stored.' },
    createdAt: { type: 'string' },
    revokedAt: { type: ['string', 'null'] },
    lastUsedAt: { type: ['string', 'null'], description: 'Updated at most once a minute.' },
  },
} as const;

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 100 } } } as const;

interface CreateBody {
  name: string;
  tenant?: string;
  scopes: string[];
  limits?: Partial<KeyLimits>;
  storeByDefault?: boolean;
}

const storeByDefaultSchema = {
  type: 'boolean',
  description: 'Store the audio of this key\'s synthesis requests that do not send `store` (`"store": false` still opts out). Default: false.',
} as const;

const wire = (r: KeyRecord) => ({ ...r, scopes: [...r.scopes] });

export const keyRoutes: FastifyPluginAsync<{ keys: KeyService }> = async (app, { keys }) => {
  const errors = errorResponses(400, 401, 403, 404);
  const found = (record: KeyRecord | null, id: string) => {
    if (!record) throw new AppError('key_not_found', `No API key "${id.slice(0, 100)}".`, { param: 'id' });
    return wire(record);
  };

  app.post<{ Body: CreateBody }>(
    '/v1/admin/keys',
    {
      schema: {
        summary: 'Create an API key (admin); the answer holds the secret, shown only this once',
        tags: ['admin'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'scopes'],
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 100 },
            tenant: { type: 'string', pattern: TENANT_PATTERN.source, description: 'Default: `default`.' },
            scopes: { type: 'array', minItems: 1, maxItems: 10, items: { type: 'string', maxLength: 20 }, description: `Of ${SCOPES.join(', ')} (synth is synthesize).` },
            limits: limitsSchema,
            storeByDefault: storeByDefaultSchema,
          },
        },
        response: { 201: { type: 'object', properties: { ...keySchema.properties, key: { type: 'string' } } }, ...errors },
      },
    },
    async (request, reply) => {
      let scopes;
      try {
        scopes = parseScopes(request.body.scopes);
      } catch (err) {
        throw new AppError('invalid_value', (err as Error).message, { param: 'scopes' });
      }
      const { tenant, limits, storeByDefault } = request.body;
      const { record, secret } = await keys.create({ name: request.body.name, scopes, ...(tenant ? { tenant } : {}), ...(limits ? { limits } : {}), ...(storeByDefault !== undefined ? { storeByDefault } : {}) });
      return reply.status(201).header('cache-control', 'no-store').send({ ...wire(record), key: secret });
    },
  );

  app.get<{ Querystring: { tenant?: string } }>(
    '/v1/admin/keys',
    {
      schema: {
        summary: 'API keys, revoked ones included (admin); never their secrets',
        tags: ['admin'],
        querystring: { type: 'object', additionalProperties: false, properties: { tenant: { type: 'string', pattern: TENANT_PATTERN.source } } },
        response: { 200: { type: 'object', properties: { data: { type: 'array', items: keySchema } } }, ...errors },
      },
    },
    async (request) => ({ data: (await keys.list(request.query.tenant)).map(wire) }),
  );

  app.get<{ Params: { id: string } }>(
    '/v1/admin/keys/:id',
    { schema: { summary: 'One API key (admin)', tags: ['admin'], params: idParams, response: { 200: keySchema, ...errors } } },
    async (request) => found(await keys.get(request.params.id), request.params.id),
  );

  app.patch<{ Params: { id: string }; Body: KeyChange }>(
    '/v1/admin/keys/:id',
    {
      schema: {
        summary: "Change a key's limits and store-by-default (admin); what the body leaves out stays",
        tags: ['admin'],
        params: idParams,
        body: { type: 'object', additionalProperties: false, properties: { limits: limitsSchema, storeByDefault: storeByDefaultSchema } },
        response: { 200: keySchema, ...errors },
      },
    },
    async (request) => {
      const { limits, storeByDefault } = request.body;
      if (limits === undefined && storeByDefault === undefined) throw new AppError('missing_field', 'Give limits, storeByDefault or both.', { param: 'limits' });
      return found(await keys.update(request.params.id, { ...(limits !== undefined ? { limits } : {}), ...(storeByDefault !== undefined ? { storeByDefault } : {}) }), request.params.id);
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/v1/admin/keys/:id',
    { schema: { summary: 'Revoke an API key (admin): it stops working at once on every node', tags: ['admin'], params: idParams, response: { 200: keySchema, ...errors } } },
    async (request) => found(await keys.revoke(request.params.id), request.params.id),
  );
};
