// The API key, asked once and kept for the tab: sessionStorage survives reloads of the tab and
// dies with it; nothing else (no cookie, no localStorage) ever holds it.
import { safeStorage } from './i18n/i18n.js';

const STORAGE_KEY = 'cosyfleet.apiKey';

export function storedKey(): string | null {
  return safeStorage(() => sessionStorage.getItem(STORAGE_KEY));
}

export function storeKey(key: string | null): void {
  safeStorage(() => (key === null ? sessionStorage.removeItem(STORAGE_KEY) : sessionStorage.setItem(STORAGE_KEY, key)));
}
