/**
 * A tiny element builder: text always goes through textContent, never innerHTML.
 * The page is served with a strict Content-Security-Policy, under which a
 * `style="…"` attribute and inline `on…` handlers are blocked: h() refuses them
 * outright, so the mistake shows at once and not as a silently unstyled element
 * (use a class, `el.style.x = …`, or addEventListener).
 */
import { t } from './i18n.js';

type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number | boolean | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === 'style' || /^on/i.test(k)) throw new Error(`h(${tag}): the "${k}" attribute is blocked by the CSP`);
    if (k === 'class') node.className = String(v);
    else if (k.startsWith('data-')) node.setAttribute(k, String(v));
    else if (v === true) node.setAttribute(k, '');
    else node.setAttribute(k, String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) node.append(c);
  return node;
}

const TOAST_MS = 6_000;
/** Toasts on screen at once; more are counted in one line under them. */
export const MAX_TOASTS = 5;

interface ShownToast {
  el: HTMLElement;
  count: number;
  timer: number;
}
/** By kind and text: the same message again counts up on the toast already shown. */
const shown = new Map<string, ShownToast>();
let overflow = 0;
let overflowEl: HTMLElement | null = null;
let overflowTimer = 0;

function toastBox(): HTMLElement {
  let box = document.getElementById('toasts');
  if (!box) {
    box = h('div', { id: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(box);
  }
  return box;
}

/**
 * A transient message in the corner, for failed actions and loads. A mass
 * event must not bury the screen: a repeat counts up (×N) on its toast, and
 * past MAX_TOASTS the rest are only counted.
 */
export function toast(message: string, kind: 'error' | 'info' | 'ok' = 'error'): void {
  const box = toastBox();
  const key = `${kind}\n${message}`;
  const same = shown.get(key);
  if (same) {
    same.count += 1;
    let n = same.el.querySelector<HTMLElement>('.toast-n');
    if (!n) same.el.append((n = h('span', { class: 'toast-n' })));
    n.textContent = ` ×${same.count}`;
    clearTimeout(same.timer);
    same.timer = window.setTimeout(() => dropToast(key), TOAST_MS);
    return;
  }
  if (shown.size >= MAX_TOASTS) {
    overflow += 1;
    overflowEl ??= h('div', { class: 'toast-more', 'data-role': 'toast-more' });
    overflowEl.textContent = t('moreToasts', { n: overflow });
    box.append(overflowEl);
    clearTimeout(overflowTimer);
    overflowTimer = window.setTimeout(() => {
      overflow = 0;
      overflowEl?.remove();
    }, TOAST_MS);
    return;
  }
  const el = h('div', { class: `toast toast-${kind}` }, message);
  // Above the overflow line, which stays last.
  if (overflowEl?.isConnected) box.insertBefore(el, overflowEl);
  else box.append(el);
  shown.set(key, { el, count: 1, timer: window.setTimeout(() => dropToast(key), TOAST_MS) });
}

function dropToast(key: string): void {
  shown.get(key)?.el.remove();
  shown.delete(key);
}

/**
 * Shows a modal dialog that closes on its own close event and on a click on the
 * backdrop, as a duty screen expects; removes it from the page when closed.
 * Returns the function that closes it (safe to call more than once).
 */
export function openModal(dialog: HTMLDialogElement, onClose: () => void = () => {}): () => void {
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    if (dialog.open) dialog.close();
    dialog.remove();
    onClose();
  };
  dialog.addEventListener('close', close);
  dialog.addEventListener('click', (e) => {
    if (e.target === dialog) close();
  });
  document.body.append(dialog);
  dialog.showModal();
  return close;
}
