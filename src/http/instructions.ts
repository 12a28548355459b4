// GET /v1/instructions: the instructions CosyVoice3 was trained on, with the keys `instruct`
// accepts. Static data: the same on every engine (an engine without instruct mode refuses the mode).
import type { FastifyPluginAsync } from 'fastify';
import { TRAINED_INSTRUCTIONS } from '../text/instructions.js';

const instructionSchema = {
  type: 'object',
  required: ['key', 'category', 'label', 'text'],
  properties: {
    key: { type: 'string', description: 'Send this as `instruct` (POST /v1/tts) or `instructions` (POST /v1/audio/speech).' },
    category: { type: 'string', enum: ['dialect', 'volume', 'speed', 'emotion', 'role'] },
    label: {
      type: 'object',
      required: ['en', 'zh'],
      properties: { en: { type: 'string' }, zh: { type: 'string' } },
    },
    text: { type: 'string', description: 'The trained instruction exactly; typing it as free text counts as trained too.' },
  },
} as const;

export const instructionRoutes: FastifyPluginAsync = async (app) => {
  const body = { data: TRAINED_INSTRUCTIONS.map(({ key, category, label, text }) => ({ key, category, label: { en: label.en, zh: label.zh }, text })) };
  app.get(
    '/v1/instructions',
    {
      schema: {
        summary: 'Trained instructions',
        description: 'The 26 instructions CosyVoice3 was trained on. Other free text is accepted with an `instruction_untrained` warning.',
        tags: ['catalog'],
        response: { 200: { type: 'object', required: ['data'], properties: { data: { type: 'array', items: instructionSchema } } } },
      },
    },
    async () => body,
  );
};
