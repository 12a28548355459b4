// The text fields of a library voice (name, transcript, language, gender), validated the same way on
// upload and on PATCH, whatever transport they came through.
import { AppError } from '../errors/app-error.js';
import { VOICE_GENDERS, type VoiceGender } from '../engines/engine.js';
import { validateAnnotations } from '../text/annotations.js';
import { describePromptHazard, findPromptHazard } from '../text/prompt-hazards.js';
import { isLanguageCode } from '../text/language.js';
import { resolveLanguageTag, unknownLanguageMessage } from '../text/language-tags.js';

export const MAX_NAME_CHARS = 100;
export const MAX_TRANSCRIPT_CHARS = 500;

export function validateName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0) throw new AppError('invalid_value', 'name must not be blank.', { param: 'name' });
  if ([...trimmed].length > MAX_NAME_CHARS) throw new AppError('invalid_value', `name may have at most ${MAX_NAME_CHARS} characters.`, { param: 'name' });
  return trimmed;
}

/**
 * The words spoken in the recording; annotation tokens are allowed and must be valid, except
 * model control tokens (`<|endofprompt|>`), refused like control characters.
 */
export function validateTranscript(transcript: string): string {
  const trimmed = transcript.trim();
  if (trimmed.length === 0) throw new AppError('invalid_value', 'transcript must hold the words spoken in the recording.', { param: 'transcript' });
  const chars = [...trimmed].length;
  if (chars > MAX_TRANSCRIPT_CHARS) {
    throw new AppError('invalid_value', `transcript has ${chars} characters; at most ${MAX_TRANSCRIPT_CHARS} are accepted.`, { param: 'transcript' });
  }
  // Positions refer to the text the client sent. The transcript goes into the model's prompt,
  // so it is held to the rules of instructions (prompt-hazards.ts).
  const hazard = findPromptHazard(transcript);
  if (hazard) {
    throw new AppError('invalid_value', `transcript must not contain ${describePromptHazard(hazard)}: it holds the words spoken in the recording, and the server adds the model's control tokens itself.`, {
      param: 'transcript',
    });
  }
  const issue = validateAnnotations(transcript)[0];
  if (issue) {
    const hint = issue.suggestion ? ` Did you mean ${issue.suggestion}?` : '';
    throw new AppError('invalid_token', `Invalid token ${issue.token} at position ${issue.position}: ${issue.message}.${hint}`, { param: 'transcript' });
  }
  return trimmed;
}

/** A language code, or a tag as people write it (`zh-HK`, `en-US`: text/language-tags.ts). */
export function validateLanguage(language: string): string {
  const code = isLanguageCode(language) ? language : resolveLanguageTag(language);
  if (!code) {
    throw new AppError('invalid_value', unknownLanguageMessage(language), { param: 'language' });
  }
  return code;
}

/** One of VOICE_GENDERS; an empty string (a form's "not stated") and null mean none. */
export function validateGender(gender: string | null): VoiceGender | null {
  if (gender === null || gender === '') return null;
  if (!(VOICE_GENDERS as readonly string[]).includes(gender)) {
    throw new AppError('invalid_value', `gender must be one of ${VOICE_GENDERS.join(', ')} (or empty for none); got "${gender.slice(0, 40)}".`, { param: 'gender' });
  }
  return gender as VoiceGender;
}
