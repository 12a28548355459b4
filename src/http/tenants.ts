// Tenant policies through the admin API: per tenant, the result cache mode and how long stored
// outputs are kept, each falling back to the server's setting (RESULT_CACHE,
// OUTPUT_RETENTION_DAYS). Registered inside the admin plugin, behind its guard.
import type { FastifyPluginAsync } from 'fastify';
import type { TenantPolicyChange, TenantPolicyService } from '../accounts/tenant-policies.js';
import { TENANT_PATTERN } from '../accounts/principal.js';
import { OUTPUT_RETENTION_DAYS_MAX, RESULT_CACHE_MODES } from '../config/settings.js';
import { AppError } from '../errors/app-error.js';
import { errorResponses } from './error-schema.js';

const settingsSchema = {
  type: 'object',
  properties: { resultCache: { type: 'string', enum: [...RESULT_CACHE_MODES] }, outputRetentionDays: { type: 'integer' } },
} as const;

const policySchema = {
  type: 'object',
  properties: {
    tenant: { type: 'string' },
    resultCache: { type: ['string', 'null'], enum: [...RESULT_CACHE_MODES, null], description: 'Stored; null: the server\'s RESULT_CACHE.' },
    outputRetentionDays: { type: ['integer', 'null'], description: 'Stored (0 = kept until deleted); null: the server\'s OUTPUT_RETENTION_DAYS.' },
    updatedAt: { type: ['string', 'null'], description: 'When the policy was last set; null when the tenant has none.' },
    effective: { ...settingsSchema, description: 'What applies to the tenant\'s requests.' },
    defaults: { ...settingsSchema, description: 'The server\'s settings the null fields fall back to.' },
  },
} as const;

const tenantParams = {
  type: 'object',
  required: ['tenant'],
  properties: { tenant: { type: 'string', pattern: TENANT_PATTERN.source, description: 'Lower-case letters, digits, `-` and `_`, 1–64 characters.' } },
} as const;

export const tenantRoutes: FastifyPluginAsync<{ tenants: TenantPolicyService }> = async (app, { tenants }) => {
  const errors = errorResponses(400, 401, 403);

  app.get(
    '/v1/admin/tenants',
    { schema: { summary: 'Tenants with a policy of their own (admin)', tags: ['admin'], response: { 200: { type: 'object', properties: { data: { type: 'array', items: policySchema } } }, ...errors } } },
    async () => ({ data: await tenants.list() }),
  );

  app.get<{ Params: { tenant: string } }>(
    '/v1/admin/tenants/:tenant',
    { schema: { summary: "A tenant's policy: what it stored, the server's settings, what applies (admin)", tags: ['admin'], params: tenantParams, response: { 200: policySchema, ...errors } } },
    async (request) => tenants.view(request.params.tenant),
  );

  app.put<{ Params: { tenant: string }; Body: TenantPolicyChange }>(
    '/v1/admin/tenants/:tenant',
    {
      schema: {
        summary: "Set a tenant's policy (admin); fields left out keep their value, null returns one to the server's setting",
        tags: ['admin'],
        params: tenantParams,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            resultCache: { type: ['string', 'null'], enum: [...RESULT_CACHE_MODES, null], description: 'off, seeded or always; null: the server\'s RESULT_CACHE.' },
            outputRetentionDays: { type: ['integer', 'null'], minimum: 0, maximum: OUTPUT_RETENTION_DAYS_MAX, description: 'Days until a new stored output expires (0 = kept until deleted); null: the server\'s OUTPUT_RETENTION_DAYS.' },
          },
        },
        response: { 200: policySchema, ...errors },
      },
    },
    async (request) => {
      const { resultCache, outputRetentionDays } = request.body;
      if (resultCache === undefined && outputRetentionDays === undefined) throw new AppError('missing_field', 'Give resultCache, outputRetentionDays or both (null: the server\'s setting).', { param: 'resultCache' });
      return tenants.set(request.params.tenant, { ...(resultCache !== undefined ? { resultCache } : {}), ...(outputRetentionDays !== undefined ? { outputRetentionDays } : {}) });
    },
  );

  app.delete<{ Params: { tenant: string } }>(
    '/v1/admin/tenants/:tenant',
    { schema: { summary: "Remove a tenant's policy: it follows the server's settings again (admin)", tags: ['admin'], params: tenantParams, response: { 200: policySchema, ...errors } } },
    async (request) => tenants.reset(request.params.tenant),
  );
};
