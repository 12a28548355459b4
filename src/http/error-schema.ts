// JSON Schema of the one error body every endpoint answers with, for OpenAPI.
export const errorBodySchema = {
  $id: 'ErrorBody',
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'param'],
      properties: {
        code: { type: 'string', description: 'Stable machine-readable code from the error catalog.' },
        message: { type: 'string' },
        param: { type: ['string', 'null'], description: 'The request field the error is about.' },
      },
    },
  },
} as const;

export const errorResponses = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, { description: 'Error', $ref: 'ErrorBody#' }]));
