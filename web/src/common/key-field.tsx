// A field for an API key (the tab's key prompt, the Fleet page's admin key): a password input
// that browsers neither fill nor spell-check, its help, and the server's refusal announced below.
import type { Ref } from 'preact';

export interface KeyFieldProps {
  id: string;
  label: string;
  help: string;
  error: string | null;
  value: string;
  onInput: (value: string) => void;
  inputRef?: Ref<HTMLInputElement>;
  autoFocus?: boolean;
}

export function KeyField({ id, label, help, error, value, onInput, inputRef, autoFocus = false }: KeyFieldProps) {
  return (
    <>
      <div class="field">
        <label for={id}>{label}</label>
        <input
          id={id}
          ref={inputRef}
          type="password"
          autocomplete="off"
          spellcheck={false}
          value={value}
          autoFocus={autoFocus}
          aria-describedby={error ? `${id}-help ${id}-error` : `${id}-help`}
          aria-invalid={error ? 'true' : 'false'}
          onInput={(e) => onInput(e.currentTarget.value)}
        />
        <p id={`${id}-help`} class="help">
          {help}
        </p>
      </div>
      <p id={`${id}-error`} class="problem" role="alert">
        {error}
      </p>
    </>
  );
}
