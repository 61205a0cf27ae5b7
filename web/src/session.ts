/**
 * Who is logged in, and what happens when that ends. The session itself is an
 * HttpOnly cookie the page never sees; this module knows only the person
 * (`GET /api/me`) and the state of the page:
 *
 *   signed-out → (me or login) → active → (a 401 anywhere, or the socket's
 *   'unauthorized') → lost → (login) → active again, or a reload when another
 *   person (or the same person with another role) logged in.
 *
 * `body[data-session]` carries the state for the stylesheet: the dashboard is
 * not shown before a login and is hidden, not torn down, while the session is lost.
 */
import type { Me } from '@lifeline/core';
import { api, isForbidden, isUnauthorized, setUnauthorizedHandler } from './api.js';
import { toast } from './dom.js';
import { t } from './i18n.js';
import { showLoginPage } from './login-page.js';

export type SessionState = 'signed-out' | 'active' | 'lost';

/** What the dashboard does when the session is lost and when the same person is back. */
export interface SessionHooks {
  /** Stop what keeps calling the server (the socket). */
  suspend(): void;
  /** The same person logged in again: reconnect and catch up. */
  resume(): void;
}

let state: SessionState = 'signed-out';
let person: Me | null = null;
let hooks: SessionHooks | null = null;
/** `performance.now()` at the last login: a 401 to a request sent before it was the old session's. */
let activatedAt = 0;

function setState(next: SessionState): void {
  state = next;
  document.body.dataset.session = next;
}

/** The logged-in person; only valid once `signIn()` has resolved. */
export function me(): Me {
  if (!person) throw new Error('no one is logged in');
  return person;
}

export function sessionState(): SessionState {
  return state;
}

/**
 * Resolves with the logged-in person: straight away when the session cookie is
 * still good, else after the login page. The dashboard starts only after this.
 */
export async function signIn(): Promise<Me> {
  setUnauthorizedHandler(sessionLost);
  setState('signed-out');
  let startError: unknown;
  try {
    const m = await api.me();
    if (m) return activate(m);
  } catch (err) {
    // Unreachable or failing: the login page says so and keeps checking.
    startError = err;
  }
  return activate(await showLoginPage({ startError }));
}

/** Registers the dashboard's suspend/resume; one dashboard per page. */
export function onSessionLost(h: SessionHooks): void {
  hooks = h;
}

/**
 * A call answered 401 or the socket was refused as 'unauthorized': back to the
 * login page. `sentAt`: when the refused request left (see api.ts).
 */
export function sessionLost(sentAt: number = performance.now()): void {
  if (state !== 'active' || !person || sentAt < activatedAt) return;
  const previous = person;
  setState('lost');
  try {
    hooks?.suspend();
  } catch (err) {
    console.error('suspend failed', err);
  }
  // Open dialogs sit in the top layer, above the login page: close them (their forms resolve as cancelled).
  for (const d of document.querySelectorAll('dialog')) if (d.open) d.close();
  void showLoginPage({ expired: true, username: previous.username }).then((next) => {
    if (next.id !== previous.id || next.role !== previous.role || next.tenant !== previous.tenant) {
      // Another person: the dashboard was built for the previous one's role and scope.
      location.reload();
      return;
    }
    activate(next);
    try {
      hooks?.resume();
    } catch (err) {
      console.error('resume failed', err);
    }
  });
}

/** `POST /api/logout`, then a fresh page (which shows the login page). */
export async function logout(): Promise<void> {
  try {
    await api.logout();
  } catch (err) {
    // Already gone is as good as logged out; anything else leaves the session alive, so say so.
    if (!isUnauthorized(err)) {
      toast(t('logoutFailed', { msg: (err as Error).message }));
      return;
    }
  }
  try {
    hooks?.suspend();
  } catch {
    /* reloading anyway */
  }
  person = null;
  location.reload();
}

/** The toast text for a failed action: 无权限执行此操作 for a 403, else the server's reason. */
export function failureText(err: unknown): string {
  return isForbidden(err) ? t('forbidden') : t('actionFailed', { msg: (err as Error).message });
}

/** Reports a failed action; a 401 needs no toast, since the login page is already back. */
export function reportFailure(err: unknown): void {
  if (isUnauthorized(err)) return;
  toast(failureText(err));
}

function activate(m: Me): Me {
  person = m;
  activatedAt = performance.now();
  setState('active');
  return m;
}
