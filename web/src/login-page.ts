/**
 * 登录: the page shown before the dashboard, and again whenever the session is
 * lost. Username, password, 登录, and the language toggle; Enter submits. The
 * password goes only into the body of `POST /api/login` (never a URL, never
 * storage) and is cleared after every failure. A 429 disables the button for
 * the `Retry-After` seconds, counting down.
 */
import { LoginBody, type Me } from '@lifeline/core';
import { api, ApiError } from './api.js';
import { h } from './dom.js';
import { getLang, onLangChange, setLang, t, translateStatic } from './i18n.js';

/** While the server cannot be reached, how often to ask whether the session cookie is still good. */
const ME_PROBE_MS = 5_000;
const COUNTDOWN_TICK_MS = 1_000;
const USERNAME_MAX = (LoginBody.properties.username as { maxLength?: number }).maxLength ?? 64;
const PASSWORD_MAX = (LoginBody.properties.password as { maxLength?: number }).maxLength ?? 256;

export interface LoginPageOptions {
  /** Why the page is here: the session ended (shown until the first attempt). */
  expired?: boolean;
  /** Filled in for the person whose session ended. */
  username?: string;
  /** The reason `GET /api/me` failed at start: shown, and the check repeated in the background. */
  startError?: unknown;
}

/** What the error line says, kept as data so that a language change can say it again. */
type Problem =
  | { kind: 'none' }
  | { kind: 'expired' }
  | { kind: 'required' }
  | { kind: 'wrong' }
  | { kind: 'throttled'; until: number | null }
  | { kind: 'network' }
  | { kind: 'failed'; msg: string };

function problemOf(err: unknown): Problem {
  if (!(err instanceof ApiError)) return { kind: 'failed', msg: (err as Error).message };
  if (err.status === 0) return { kind: 'network' };
  if (err.status === 401) return { kind: 'wrong' };
  if (err.status === 429) return { kind: 'throttled', until: err.retryAfterS === null ? null : Date.now() + err.retryAfterS * 1000 };
  return { kind: 'failed', msg: err.message };
}

function problemText(p: Problem, now = Date.now()): string {
  switch (p.kind) {
    case 'none':
      return '';
    case 'expired':
      return t('loginExpired');
    case 'required':
      return t('loginRequired');
    case 'wrong':
      return t('loginWrong');
    case 'throttled':
      return p.until === null ? t('loginThrottledLater') : t('loginThrottled', { s: Math.max(1, Math.ceil((p.until - now) / 1000)) });
    case 'network':
      return t('loginNetwork');
    case 'failed':
      return t('loginFailed', { msg: p.msg });
  }
}

/** Shows the login page; resolves with the person once logged in (or once the session turns out to be valid after all). */
export function showLoginPage(opts: LoginPageOptions = {}): Promise<Me> {
  return new Promise((resolve) => {
    const username = h('input', {
      type: 'text',
      name: 'username',
      autocomplete: 'username',
      autocapitalize: 'none',
      spellcheck: 'false',
      maxlength: USERNAME_MAX,
      'data-testid': 'login-username',
    });
    const password = h('input', {
      type: 'password',
      name: 'password',
      autocomplete: 'current-password',
      maxlength: PASSWORD_MAX,
      'data-testid': 'login-password',
    });
    const error = h('div', { class: 'login-error', role: 'alert', 'aria-live': 'assertive', 'data-testid': 'login-error' });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary login-submit', 'data-testid': 'login-submit' });
    const langBtn = h('button', { type: 'button', class: 'btn login-lang', 'data-testid': 'login-lang' });
    const heading = h('h2', {});
    const userLabel = h('span', { class: 'field-label' });
    const passLabel = h('span', { class: 'field-label' });
    const title = h('h1', {});
    const subtitle = h('div', { class: 'brand-sub' });
    // method=post: even a submission that somehow bypassed the handler would not put the password in a URL.
    const form = h(
      'form',
      { class: 'login-card', method: 'post', novalidate: true, 'data-testid': 'login-form' },
      h('div', { class: 'login-brand' }, h('div', { class: 'brand-mark', 'aria-hidden': 'true' }), h('div', {}, title, subtitle)),
      heading,
      h('label', { class: 'field' }, userLabel, username),
      h('label', { class: 'field' }, passLabel, password),
      error,
      h('div', { class: 'login-actions' }, langBtn, submit),
    );
    const page = h('div', { class: 'login-page', id: 'login-page', 'data-testid': 'login-page' }, form);

    username.value = opts.username ?? '';
    let problem: Problem = opts.startError !== undefined ? problemOf(opts.startError) : opts.expired ? { kind: 'expired' } : { kind: 'none' };
    let busy = false;
    let done = false;

    const throttled = () => problem.kind === 'throttled' && problem.until !== null && problem.until > Date.now();
    const render = () => {
      translateStatic();
      title.textContent = t('title');
      subtitle.textContent = t('subtitle');
      heading.textContent = t('loginTitle');
      userLabel.textContent = t('loginUsername');
      passLabel.textContent = t('loginPassword');
      langBtn.textContent = t('langToggle');
      submit.textContent = busy ? t('loginBusy') : t('loginSubmit');
      submit.disabled = busy || throttled();
      error.textContent = problemText(problem);
      error.classList.toggle('has', problem.kind !== 'none');
    };

    // The countdown of a 429, and its end: the button comes back by itself.
    const countdown = window.setInterval(() => {
      if (problem.kind !== 'throttled' || problem.until === null) return;
      if (problem.until <= Date.now()) problem = { kind: 'none' };
      render();
    }, COUNTDOWN_TICK_MS);

    const probeTimer = opts.startError !== undefined ? window.setInterval(() => void probe(), ME_PROBE_MS) : 0;
    async function probe(): Promise<void> {
      try {
        const me = await api.me();
        if (me) finish(me);
      } catch {
        /* still unreachable: the error line already says so */
      }
    }

    const unsubscribe = onLangChange(render);
    function finish(me: Me): void {
      if (done) return;
      done = true;
      clearInterval(countdown);
      clearInterval(probeTimer);
      unsubscribe();
      password.value = '';
      page.remove();
      resolve(me);
    }

    langBtn.addEventListener('click', () => setLang(getLang() === 'zh' ? 'en' : 'zh'));
    form.addEventListener('input', () => {
      if (problem.kind === 'required' || problem.kind === 'expired') {
        problem = { kind: 'none' };
        render();
      }
    });
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      if (busy || throttled() || done) return;
      const user = username.value.trim();
      const pass = password.value;
      if (!user || !pass) {
        problem = { kind: 'required' };
        render();
        (user ? password : username).focus();
        return;
      }
      busy = true;
      problem = { kind: 'none' };
      render();
      api.login(user, pass).then(finish, (err: unknown) => {
        busy = false;
        problem = problemOf(err);
        password.value = '';
        render();
        password.focus();
      });
    });

    render();
    document.body.append(page);
    (username.value ? password : username).focus();
  });
}
