// The server's invalid_token answer, read back into a position and a suggestion, and every other
// invalid token of the text beside it. The server reports the first bad token of the text as
// "Invalid token <t> at position <n>: <why>.[ Did you mean <s>?]" (src/services/synthesis.ts);
// tokens never hold whitespace, so the pieces are unambiguous. The rest come from the server's own
// validator, bundled (src/text/annotations.ts): the same code, so the same tokens and the same
// words, and only trusted when it agrees with the server about the first one (SSML, which the
// server reads first, is the case where it would not).
import { validateAnnotations } from '../../../src/text/annotations.js';

export interface TokenIssue {
  token: string;
  /** UTF-16 offset of the token in the text that was checked. */
  position: number;
  message: string;
  suggestion?: string;
}

/** What the service says of an invalid token (src/services/synthesis.ts words it the same). */
function sentence(token: string, position: number, why: string, suggestion: string | undefined): string {
  return `Invalid token ${token} at position ${position}: ${why}.${suggestion ? ` Did you mean ${suggestion}?` : ''}`;
}

/** The server's invalid_token refusal (an ApiError) as an issue; null for any other error. */
export function tokenIssue(error: { code: string; message: string }): TokenIssue | null {
  if (error.code !== 'invalid_token') return null;
  const m = /^Invalid token (\S+) at position (\d+): /.exec(error.message);
  if (!m) return null;
  const suggestion = / Did you mean (\S+)\?$/.exec(error.message)?.[1];
  return { token: m[1] as string, position: Number(m[2]), message: error.message, ...(suggestion === undefined ? {} : { suggestion }) };
}

/** Every invalid token of `text` by the bundled validator, in text order, worded as the server words them. */
export function localIssues(text: string): TokenIssue[] {
  return validateAnnotations(text).map((i) => ({
    token: i.token,
    position: i.position,
    message: sentence(i.token, i.position, i.message, i.suggestion),
    ...(i.suggestion === undefined ? {} : { suggestion: i.suggestion }),
  }));
}

/** Whether the bundled validator finds the server's issue, as the server words it, in the text the server checked. */
export function validatorAgrees(issue: TokenIssue, checkedText: string): boolean {
  return localIssues(checkedText).some((i) => i.position === issue.position && i.token === issue.token && i.message === issue.message);
}

/**
 * The issues to show for `text` now. `agrees`: the bundled validator found the server's issue
 * too, so its list is trusted and follows the text as it is edited; otherwise only the server's
 * issue, while it still points at its token.
 */
export function shownIssues(serverIssue: TokenIssue, agrees: boolean, text: string): TokenIssue[] {
  if (agrees) return localIssues(text);
  return issueApplies(serverIssue, text) ? [serverIssue] : [];
}

/** Whether the issue still points at its token in `text` (the text may have changed since). */
export function issueApplies(issue: TokenIssue, text: string): boolean {
  return text.startsWith(issue.token, issue.position);
}

/** `text` with the issue's token replaced by its suggestion, and where the caret goes after it. */
export function applySuggestion(issue: TokenIssue, text: string): { text: string; caret: number } | null {
  if (issue.suggestion === undefined || !issueApplies(issue, text)) return null;
  const caret = issue.position + issue.suggestion.length;
  return { text: text.slice(0, issue.position) + issue.suggestion + text.slice(issue.position + issue.token.length), caret };
}
