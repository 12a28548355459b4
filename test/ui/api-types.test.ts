// web/src/api/schema.d.ts is generated from the service's OpenAPI document and committed, so the
// studio's calls are typed by the route schemas. This fails when a route schema changed and the
// file was not regenerated.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { openApiDocument, REGENERATE, SCHEMA_FILE, schemaTypes } from '../../scripts/openapi-types.js';

it('the studio\'s API types are what the OpenAPI document gives', async () => {
  const doc = await openApiDocument();
  // The routes the studio calls are in the document it is typed from.
  for (const path of ['/v1/tts', '/v1/tts/preview-text', '/v1/voices', '/v1/instructions', '/v1/engines']) assert.ok(doc.paths?.[path], path);
  const expected = await schemaTypes(doc);
  const committed = await readFile(SCHEMA_FILE, 'utf8').catch(() => '');
  assert.ok(committed === expected, `web/src/api/schema.d.ts is stale or missing: run ${REGENERATE}`);
});
