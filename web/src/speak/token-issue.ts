// The server's invalid_token answer, read back into a position and a suggestion. The server
// reports the first bad token of the text as "Invalid token <t> at position <n>: <why>.[ Did you
// mean <s>?]" (src/services/synthesis.ts); tokens never hold whitespace, so the pieces are
// unambiguous. The message itself is shown as the server wrote it.
import type { ApiError } from '../api/client.js';

export interface TokenIssue {
  token: string;
  /** UTF-16 offset of the token in the text that was checked. */
  position: number;
  message: string;
  suggestion?: string;
}

export function tokenIssue(error: ApiError): TokenIssue | null {
  if (error.code !== 'invalid_token') return null;
  const m = /^Invalid token (\S+) at position (\d+): /.exec(error.message);
  if (!m) return null;
  const suggestion = / Did you mean (\S+)\?$/.exec(error.message)?.[1];
  return { token: m[1] as string, position: Number(m[2]), message: error.message, ...(suggestion === undefined ? {} : { suggestion }) };
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
