// The UI language: English or Chinese, chosen from the browser's languages at first and then by
// the switch (remembered in localStorage: a preference, not a secret). One catalog per language.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { en, type MessageKey, type Messages } from './en.js';
import { zh } from './zh.js';

export type UiLanguage = 'en' | 'zh';

const CATALOGS: Readonly<Record<UiLanguage, Messages>> = { en, zh };
/** What <html lang> says for each. */
export const HTML_LANG: Readonly<Record<UiLanguage, string>> = { en: 'en', zh: 'zh-CN' };
const STORAGE_KEY = 'cosyfleet.lang';

export type Translate = (key: MessageKey, vars?: Readonly<Record<string, string | number>>) => string;

export function translator(lang: UiLanguage): Translate {
  const catalog = CATALOGS[lang];
  return (key, vars) => {
    const text = catalog[key];
    return vars ? text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole)) : text;
  };
}

export function initialLanguage(): UiLanguage {
  const stored = safeStorage(() => localStorage.getItem(STORAGE_KEY));
  if (stored === 'en' || stored === 'zh') return stored;
  return navigator.languages.some((l) => l.toLowerCase().startsWith('zh')) ? 'zh' : 'en';
}

export function rememberLanguage(lang: UiLanguage): void {
  safeStorage(() => localStorage.setItem(STORAGE_KEY, lang));
}

/** Storage can be disabled (privacy settings); the studio then simply forgets. */
export function safeStorage<T>(use: () => T): T | null {
  try {
    return use();
  } catch {
    return null;
  }
}

export interface I18n {
  lang: UiLanguage;
  t: Translate;
  /** A language code (`cmn`, `en`) as a name in the UI language, or the code itself. */
  languageName: (code: string) => string;
  /** An ISO 8601 time as a date and time in the UI language (the browser's time zone). */
  dateTime: (iso: string) => string;
}

export function makeI18n(lang: UiLanguage): I18n {
  let names: Intl.DisplayNames | undefined;
  try {
    names = new Intl.DisplayNames([HTML_LANG[lang]], { type: 'language' });
  } catch {
    names = undefined;
  }
  const dates = new Intl.DateTimeFormat(HTML_LANG[lang], { dateStyle: 'medium', timeStyle: 'medium' });
  return {
    lang,
    t: translator(lang),
    dateTime: (iso) => {
      const date = new Date(iso);
      return Number.isNaN(date.getTime()) ? iso : dates.format(date);
    },
    languageName: (code) => {
      try {
        return names?.of(code) ?? code;
      } catch {
        return code;
      }
    },
  };
}

export const I18nContext = createContext<I18n>(makeI18n('en'));

export function useI18n(): I18n {
  return useContext(I18nContext);
}
