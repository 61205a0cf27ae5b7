/** Operator preferences kept in localStorage: language, operator name, sound. */
const PREFIX = 'lifeline.';
const DEFAULT_ACTOR = '值班员';
const MAX_ACTOR_LENGTH = 64;

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
  get actor(): string {
    const v = read('actor')?.trim();
    return v ? v.slice(0, MAX_ACTOR_LENGTH) : DEFAULT_ACTOR;
  },
  set actor(v: string) {
    write('actor', v.trim().slice(0, MAX_ACTOR_LENGTH) || DEFAULT_ACTOR);
  },
  get sound(): boolean {
    return read('sound') === 'on';
  },
  set sound(v: boolean) {
    write('sound', v ? 'on' : 'off');
  },
};

export const ACTOR_MAX_LENGTH = MAX_ACTOR_LENGTH;
