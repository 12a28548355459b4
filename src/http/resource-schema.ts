// Schema pieces shared by the stored-resource routes (voices, lexicon entries).

/** `:id` path parameters; each store has its own id length (generated voice ids are longer). */
export const idParamsSchema = <const N extends number>(maxLength: N) =>
  ({
    type: 'object',
    required: ['id'],
    properties: { id: { type: 'string', minLength: 1, maxLength } },
  }) as const;

export const timestampProperties = {
  createdAt: { type: 'string', format: 'date-time' },
  updatedAt: { type: 'string', format: 'date-time' },
} as const;
