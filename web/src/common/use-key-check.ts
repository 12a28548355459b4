// The state of a key form (the tab's key prompt, the Fleet page's admin key): the key typed, and
// on submit the key tried against the service before it is used, so a wrong one is refused in
// place in the server's words.
import { useState } from 'preact/hooks';

export interface KeyCheck {
  value: string;
  setValue: (value: string) => void;
  checking: boolean;
  error: string | null;
  submit: (event: Event) => void;
}

/**
 * `tryKey` asks the service with the key; `accepted` gets the key and what it answered;
 * `refusal` words a failure (then `onRefused` runs, e.g. to put the keyboard back in the field).
 */
export function useKeyCheck<T>(options: {
  tryKey: (key: string) => Promise<T>;
  accepted: (key: string, answer: T) => void;
  refusal: (err: unknown) => string;
  initialError?: string | null;
  onRefused?: () => void;
}): KeyCheck {
  const [value, setValue] = useState('');
  const [checking, setChecking] = useState(false);
  const [error, setError] = useState<string | null>(options.initialError ?? null);

  const submit = (event: Event) => {
    event.preventDefault();
    const key = value.trim();
    if (key === '') return;
    setChecking(true);
    setError(null);
    options.tryKey(key).then(
      (answer) => options.accepted(key, answer),
      (err: unknown) => {
        setChecking(false);
        setError(options.refusal(err));
        options.onRefused?.();
      },
    );
  };

  return { value, setValue, checking, error, submit };
}
