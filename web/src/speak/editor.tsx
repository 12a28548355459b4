// The text editor: a plain <textarea> (so typing, selection, undo, IME and screen readers are the
// browser's own) over a layer that draws the same text with its CosyVoice3 tokens coloured. The
// tokens are found by the server's own scanner (src/text/annotations.ts, bundled), so the colours
// never disagree with what the service calls a token; whether a token is valid is the server's
// answer (POST /v1/tts/preview-text), drawn as a wavy underline. Both layers share one grid cell
// and the same font, so the layer's height grows the editor with its text.
import type { Ref } from 'preact';
import { scanAnnotations, type TokenKind } from '../../../src/text/annotations.js';
import type { TokenIssue } from './token-issue.js';

interface Piece {
  text: string;
  start: number;
  kind?: TokenKind;
}

function pieces(text: string): Piece[] {
  return scanAnnotations(text).spans.map((span) => (span.type === 'token' ? { text: span.token.text, start: span.start, kind: span.token.kind } : { text: span.text, start: span.start }));
}

/** The highlighted layer's children: token spans by kind, the issue's range marked invalid. */
function highlighted(text: string, issue: TokenIssue | null) {
  const from = issue?.position ?? -1;
  const to = issue ? issue.position + issue.token.length : -1;
  const out = [];
  for (const piece of pieces(text)) {
    const end = piece.start + piece.text.length;
    // Cut the piece where the issue's range begins and ends, so exactly that range is marked.
    const cuts = [piece.start, ...[from, to].filter((c) => c > piece.start && c < end), end];
    for (let i = 0; i < cuts.length - 1; i++) {
      const a = cuts[i] as number;
      const b = cuts[i + 1] as number;
      const part = piece.text.slice(a - piece.start, b - piece.start);
      const invalid = issue !== null && a >= from && b <= to;
      const cls = [piece.kind ? `tok tok-${piece.kind}` : '', invalid ? 'tok-invalid' : ''].filter(Boolean).join(' ');
      out.push(cls ? (
        <span key={a} class={cls}>
          {part}
        </span>
      ) : (
        part
      ));
    }
  }
  return out;
}

/** Text with its CosyVoice3 tokens coloured as the editor colours them (read-only). */
export function TokenText({ text }: { text: string }) {
  return <>{highlighted(text, null)}</>;
}

export interface EditorProps {
  id: string;
  value: string;
  onInput: (text: string) => void;
  /** The server's issue, only while it still points at its token in `value`. */
  issue: TokenIssue | null;
  describedBy: string;
  placeholder: string;
  textareaRef?: Ref<HTMLTextAreaElement>;
}

export function Editor({ id, value, onInput, issue, describedBy, placeholder, textareaRef }: EditorProps) {
  return (
    <div class="editor">
      <div class="editor-layer" aria-hidden="true" data-testid="highlight">
        {highlighted(value, issue)}
        {/* A trailing line break needs a character after it to take its height. */}
        {'\u200b'}
      </div>
      <textarea
        id={id}
        ref={textareaRef}
        class="editor-input"
        value={value}
        onInput={(e) => onInput(e.currentTarget.value)}
        spellcheck={false}
        autocomplete="off"
        rows={6}
        maxLength={20000}
        placeholder={placeholder}
        aria-describedby={describedBy}
        aria-invalid={issue ? 'true' : 'false'}
      />
    </div>
  );
}

const KINDS: readonly TokenKind[] = ['cmu', 'pinyin', 'paralinguistic', 'control', 'markup'];
export const LEGEND_SAMPLES: Readonly<Record<TokenKind, string>> = { cmu: '[AY0]', pinyin: '[ǐ]', paralinguistic: '[laughter]', control: '<|endofprompt|>', markup: '<strong>' };

export function Legend({ label, names, invalidName }: { label: string; names: Readonly<Record<TokenKind, string>>; invalidName: string }) {
  return (
    <ul class="legend" aria-label={label}>
      {KINDS.map((kind) => (
        <li key={kind}>
          <span class={`tok tok-${kind}`}>{LEGEND_SAMPLES[kind]}</span> {names[kind]}
        </li>
      ))}
      <li>
        <span class="tok tok-invalid">[MAY0]</span> {invalidName}
      </li>
    </ul>
  );
}
