/**
 * Preferences kept in localStorage: language and sound. Nothing about the
 * person: who is logged in is the server's session (an HttpOnly cookie).
 */
const PREFIX = 'lifeline.';
/** Keys earlier versions kept and this one must not leave behind (the typed-in operator name). */
const LEGACY_KEYS = ['actor'];

function read(key: string): string | null {
  try {
    return localStorage.getItem(PREFIX + key);
  } catch {
    return null; // storage disabled (kiosk profiles): fall back to defaults
  }
}

function write(key: string, value: string): void {
  try {
    localStorage.setItem(PREFIX + key, value);
  } catch {
    /* not persisted; the session still works */
  }
}

export const settings = {
  get lang(): string {
    return read('lang') ?? 'zh';
  },
  set lang(v: string) {
    write('lang', v);
  },
  get sound(): boolean {
    return read('sound') === 'on';
  },
  set sound(v: boolean) {
    write('sound', v ? 'on' : 'off');
  },
  dropLegacyKeys(): void {
    try {
      for (const k of LEGACY_KEYS) localStorage.removeItem(PREFIX + k);
    } catch {
      /* storage disabled: nothing was kept */
    }
  },
};
