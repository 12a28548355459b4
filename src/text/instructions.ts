// The 26 natural-language instructions CosyVoice3 was trained on, as a catalog with stable keys
// and labels, and the resolver that turns a request's `instruct` value into what the model reads.
// The trained texts come from the token data (SUPPORTED_INSTRUCTIONS); this file only adds keys
// and labels, and refuses to load if the two ever disagree.
import { AppError } from '../errors/app-error.js';
import type { Instruction, SynthesisWarning } from '../engines/engine.js';
import { nearest } from './edit-distance.js';
import { describePromptHazard, findPromptHazard } from './prompt-hazards.js';
import { SUPPORTED_INSTRUCTIONS } from './tokens.js';

export type InstructionCategory = 'dialect' | 'volume' | 'speed' | 'emotion' | 'role';

export interface TrainedInstruction {
  /** Stable key clients send, e.g. `dialect:sichuan`. */
  readonly key: string;
  readonly category: InstructionCategory;
  /** `zh` is a short Chinese name; the exact trained wording is `text`. */
  readonly label: { readonly en: string; readonly zh: string };
  /** The trained instruction exactly, without the model's wrapper. */
  readonly text: string;
}

/** The model's instruction format (CosyVoice3 inference_instruct2). */
export const INSTRUCTION_PREFIX = 'You are a helpful assistant. ';
export const INSTRUCTION_SUFFIX = '<|endofprompt|>';
/** Longest instruction accepted (characters), on every endpoint. */
export const MAX_INSTRUCTION_CHARS = 500;

/** Wraps an instruction in the format the model was trained with. */
export function wrapInstruction(text: string): string {
  return `${INSTRUCTION_PREFIX}${text}${INSTRUCTION_SUFFIX}`;
}

type Meta = Omit<TrainedInstruction, 'text'>;
const dialect = (key: string, en: string, zh: string): [string, Meta] => [
  `请用${zh}表达。`,
  { key: `dialect:${key}`, category: 'dialect', label: { en, zh } },
];

/** Trained text (unwrapped) -> key and labels. */
const META = new Map<string, Meta>([
  dialect('cantonese', 'Cantonese', '广东话'),
  dialect('dongbei', 'Northeastern Mandarin (Dongbei)', '东北话'),
  dialect('gansu', 'Gansu dialect', '甘肃话'),
  dialect('guizhou', 'Guizhou dialect', '贵州话'),
  dialect('henan', 'Henan dialect', '河南话'),
  dialect('hubei', 'Hubei dialect', '湖北话'),
  dialect('hunan', 'Hunan dialect', '湖南话'),
  dialect('jiangxi', 'Jiangxi dialect', '江西话'),
  dialect('minnan', 'Southern Min (Hokkien)', '闽南话'),
  dialect('ningxia', 'Ningxia dialect', '宁夏话'),
  dialect('shanxi', 'Shanxi dialect', '山西话'),
  dialect('shaanxi', 'Shaanxi dialect', '陕西话'),
  dialect('shandong', 'Shandong dialect', '山东话'),
  dialect('shanghai', 'Shanghainese', '上海话'),
  dialect('sichuan', 'Sichuanese', '四川话'),
  dialect('tianjin', 'Tianjin dialect', '天津话'),
  dialect('yunnan', 'Yunnan dialect', '云南话'),
  ['Please say a sentence as loudly as possible.', { key: 'volume:loud', category: 'volume', label: { en: 'As loud as possible', zh: '尽可能大声' } }],
  ['Please say a sentence in a very soft voice.', { key: 'volume:soft', category: 'volume', label: { en: 'Very soft voice', zh: '非常轻柔' } }],
  ['请用尽可能慢地语速说一句话。', { key: 'speed:slow', category: 'speed', label: { en: 'As slow as possible', zh: '尽可能慢' } }],
  ['请用尽可能快地语速说一句话。', { key: 'speed:fast', category: 'speed', label: { en: 'As fast as possible', zh: '尽可能快' } }],
  ['请非常开心地说一句话。', { key: 'emotion:happy', category: 'emotion', label: { en: 'Very happy', zh: '非常开心' } }],
  ['请非常伤心地说一句话。', { key: 'emotion:sad', category: 'emotion', label: { en: 'Very sad', zh: '非常伤心' } }],
  ['请非常生气地说一句话。', { key: 'emotion:angry', category: 'emotion', label: { en: 'Very angry', zh: '非常生气' } }],
  ['我想体验一下小猪佩奇风格，可以吗？', { key: 'role:peppa_pig', category: 'role', label: { en: 'Peppa Pig style', zh: '小猪佩奇风格' } }],
  ['你可以尝试用机器人的方式解答吗？', { key: 'role:robot', category: 'role', label: { en: 'Robot', zh: '机器人' } }],
]);

function unwrap(wrapped: string): string {
  if (!wrapped.startsWith(INSTRUCTION_PREFIX) || !wrapped.endsWith(INSTRUCTION_SUFFIX)) {
    throw new Error(`trained instruction not in the model's format: ${wrapped}`);
  }
  return wrapped.slice(INSTRUCTION_PREFIX.length, -INSTRUCTION_SUFFIX.length);
}

/** The trained instructions in the data file's order. */
export const TRAINED_INSTRUCTIONS: readonly TrainedInstruction[] = Object.freeze(
  SUPPORTED_INSTRUCTIONS.map((wrapped) => {
    const text = unwrap(wrapped);
    const meta = META.get(text);
    if (!meta) throw new Error(`trained instruction without a key in instructions.ts: ${text}`);
    return Object.freeze({ ...meta, text });
  }),
);
if (TRAINED_INSTRUCTIONS.length !== META.size) throw new Error('instructions.ts names instructions the token data does not have');

const BY_KEY = new Map(TRAINED_INSTRUCTIONS.map((i) => [i.key, i]));

/**
 * Matching form: NFKC (full-width punctuation becomes ASCII), case-folded, without whitespace or
 * punctuation, so "请用四川话表达" and "please say a sentence as loudly as possible" count as the
 * trained texts.
 */
function normalize(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/[\s\p{P}\p{S}]+/gu, '');
}
const BY_NORMALIZED = new Map(TRAINED_INSTRUCTIONS.map((i) => [normalize(i.text), i]));

/** `category:name`: looks like a key, so an unknown one is a typo rather than free text. */
const KEY_SHAPE = /^[a-z]+:[a-z_]+$/;
const PARAM = 'instruct';

/**
 * Turns a request's instruction (a trained key, a trained text, or free text) into what the model
 * receives, wrapped in its format. Free text that is not a trained instruction is accepted with an
 * `instruction_untrained` warning. Model control tokens and control characters are refused
 * (prompt-hazards.ts): the server adds the wrapper, and a client-written `<|endofprompt|>` would
 * let it end the prompt and inject its own.
 */
export function resolveInstruction(value: string): { instruction: Instruction; warnings: SynthesisWarning[] } {
  const hazard = findPromptHazard(value);
  if (hazard) {
    const advice = hazard.kind === 'control_token' ? "; send the instruction alone, the server adds the model's wrapper" : '';
    throw new AppError('invalid_value', `The instruction must not contain ${describePromptHazard(hazard)}${advice}.`, { param: PARAM });
  }
  let text = value.replace(/\s+/g, ' ').trim();
  // Clients copying CosyVoice examples include the system prompt; the wrapper adds it again.
  if (text.toLowerCase().startsWith(INSTRUCTION_PREFIX.trim().toLowerCase())) text = text.slice(INSTRUCTION_PREFIX.trim().length).trim();
  if (text.length === 0) throw new AppError('invalid_value', 'The instruction is empty.', { param: PARAM });
  if ([...text].length > MAX_INSTRUCTION_CHARS) {
    throw new AppError('invalid_value', `The instruction is longer than ${MAX_INSTRUCTION_CHARS} characters.`, { param: PARAM });
  }

  const key = text.toLowerCase();
  const byKey = BY_KEY.get(key);
  if (byKey) return { instruction: { key: byKey.key, text: wrapInstruction(byKey.text) }, warnings: [] };
  if (KEY_SHAPE.test(key)) {
    const guess = nearest(key, BY_KEY.keys(), 4);
    throw new AppError(
      'invalid_value',
      `Unknown instruction key "${text}".${guess ? ` Did you mean ${guess}?` : ''} GET /v1/instructions lists the trained instructions.`,
      { param: PARAM },
    );
  }
  const trained = BY_NORMALIZED.get(normalize(text));
  if (trained) return { instruction: { key: trained.key, text: wrapInstruction(trained.text) }, warnings: [] };
  return {
    instruction: { text: wrapInstruction(text) },
    warnings: [
      {
        code: 'instruction_untrained',
        message: 'The instruction is outside the trained list; results may vary (the model may ignore it or read it aloud). GET /v1/instructions lists the trained ones.',
        param: PARAM,
      },
    ],
  };
}
