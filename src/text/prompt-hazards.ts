// What a client must not put into text the server places in the model's prompt (an instruction,
// a voice's transcript). The server writes the model's control tokens itself (`<|endofprompt|>`
// after the instruction or transcript); a client-written one would end that part early and let
// the client inject its own. Control characters (NUL, ESC, ...) belong to no words spoken and no
// instruction, only to attacks and encoding accidents. Tabs and line breaks are whitespace.

export interface PromptHazard {
  kind: 'control_token' | 'control_character';
  /** The token (or a stray `<|` / `|>`), or the character as U+XXXX. */
  text: string;
  /** 0-based UTF-16 offset in the checked value. */
  position: number;
}

// A whole `<|...|>` where one is written, else a stray half of one.
const CONTROL_TOKEN = /<\|[^\s|<>]{0,40}\|>|<\||\|>/;
const CONTROL_CHARACTER = /(?![\t\n\r])\p{Cc}/u;

/** The first control token or control character in `value`, if any. */
export function findPromptHazard(value: string): PromptHazard | undefined {
  const token = CONTROL_TOKEN.exec(value);
  const char = CONTROL_CHARACTER.exec(value);
  if (token && (!char || token.index < char.index)) return { kind: 'control_token', text: token[0], position: token.index };
  if (char) {
    const hex = (char[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
    return { kind: 'control_character', text: `U+${hex}`, position: char.index };
  }
  return undefined;
}

/** "model control tokens such as <|endofprompt|> (<|im_start|> at position 0)" and the like. */
export function describePromptHazard(hazard: PromptHazard): string {
  return hazard.kind === 'control_token'
    ? `model control tokens such as <|endofprompt|> (${hazard.text} at position ${hazard.position})`
    : `control characters (${hazard.text} at position ${hazard.position})`;
}
