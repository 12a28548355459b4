// The text editor: a plain <textarea> (so typing, selection, undo, IME and screen readers are the
// browser's own) over a layer that draws the same text with its CosyVoice3 tokens coloured. The
// tokens are found by the server's own scanner (src/text/annotations.ts, bundled), so the colours
// never disagree with what the service calls a token; whether a token is valid is the server's
// answer (POST /v1/tts/preview-text), each invalid one drawn with a wavy underline. The word being
// looked up is marked in the layer too, which is where its pronunciation dialog finds it. Both
// layers share one grid cell and the same font, so the layer's height grows the editor with its text.
import type { ComponentChildren, Ref } from 'preact';
import { scanAnnotations, type TokenKind } from '../../../src/text/annotations.js';
import type { TokenIssue } from './token-issue.js';

interface Piece {
  text: string;
  start: number;
  kind?: TokenKind;
}

export interface Mark {
  start: number;
  end: number;
}

function pieces(text: string): Piece[] {
  return scanAnnotations(text).spans.map((span) => (span.type === 'token' ? { text: span.token.text, start: span.start, kind: span.token.kind } : { text: span.text, start: span.start }));
}

/** The highlighted layer's children: token spans by kind, each issue's range marked invalid, the looked-up word marked. */
function highlighted(text: string, issues: readonly TokenIssue[], mark: Mark | null = null) {
  const ranges = issues.map((i) => ({ from: i.position, to: i.position + i.token.length, issue: i }));
  const out = [];
  for (const piece of pieces(text)) {
    const end = piece.start + piece.text.length;
    // Cut the piece where each marked range begins and ends, so exactly those ranges are marked.
    const inner = [...ranges.flatMap((r) => [r.from, r.to]), ...(mark ? [mark.start, mark.end] : [])].filter((c) => c > piece.start && c < end);
    const cuts = [...new Set([piece.start, ...inner, end])].sort((a, b) => a - b);
    for (let i = 0; i < cuts.length - 1; i++) {
      const a = cuts[i] as number;
      const b = cuts[i + 1] as number;
      const part = piece.text.slice(a - piece.start, b - piece.start);
      const invalid = ranges.find((r) => a >= r.from && b <= r.to);
      const marked = mark !== null && a >= mark.start && b <= mark.end;
      const cls = [piece.kind ? `tok tok-${piece.kind}` : '', invalid ? 'tok-invalid' : '', marked ? 'lookup-word' : ''].filter(Boolean).join(' ');
      out.push(
        cls ? (
          <span key={a} class={cls} data-position={invalid ? invalid.issue.position : undefined} data-message={invalid ? invalid.issue.message : undefined} data-lookup={marked ? '' : undefined}>
            {part}
          </span>
        ) : (
          part
        ),
      );
    }
  }
  return out;
}

/** Text with its CosyVoice3 tokens coloured as the editor colours them (read-only). */
export function TokenText({ text }: { text: string }) {
  return <>{highlighted(text, [])}</>;
}

export interface EditorProps {
  id: string;
  value: string;
  onInput: (text: string) => void;
  /** The server's issues, only those that still point at their tokens in `value`. */
  issues: readonly TokenIssue[];
  /** The word whose readings are open, marked in the layer. */
  mark?: Mark | null;
  describedBy: string;
  placeholder: string;
  textareaRef?: Ref<HTMLTextAreaElement>;
  /** The caret moved or a click landed: the textarea's selection now. */
  onCaret?: (start: number, end: number, how: 'click' | 'key') => void;
  onKeyDown?: (event: KeyboardEvent) => void;
  /** Drawn over the editor (its pronunciation dialog), positioned against it. */
  children?: ComponentChildren;
}

export function Editor({ id, value, onInput, issues, mark = null, describedBy, placeholder, textareaRef, onCaret, onKeyDown, children }: EditorProps) {
  const caret = (el: HTMLTextAreaElement, how: 'click' | 'key') => onCaret?.(el.selectionStart, el.selectionEnd, how);
  return (
    <div class="editor">
      <div class="editor-layer" aria-hidden="true" data-testid="highlight">
        {highlighted(value, issues, mark)}
        {/* A trailing line break needs a character after it to take its height. */}
        {'\u200b'}
      </div>
      <textarea
        id={id}
        ref={textareaRef}
        class="editor-input"
        value={value}
        onInput={(e) => {
          onInput(e.currentTarget.value);
          caret(e.currentTarget, 'key');
        }}
        onClick={(e) => caret(e.currentTarget, 'click')}
        onKeyUp={(e) => caret(e.currentTarget, 'key')}
        onKeyDown={onKeyDown}
        spellcheck={false}
        autocomplete="off"
        rows={6}
        maxLength={20000}
        placeholder={placeholder}
        aria-describedby={describedBy}
        aria-invalid={issues.length > 0 ? 'true' : 'false'}
      />
      {children}
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
