/**
 * A tiny element builder: text always goes through textContent, never innerHTML.
 * The page is served with a strict Content-Security-Policy, under which a
 * `style="…"` attribute and inline `on…` handlers are blocked: h() refuses them
 * outright, so the mistake shows at once and not as a silently unstyled element
 * (use a class, `el.style.x = …`, or addEventListener).
 */
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

/** A transient message in the corner, for failed actions and loads. */
export function toast(message: string, kind: 'error' | 'info' | 'ok' = 'error'): void {
  let box = document.getElementById('toasts');
  if (!box) {
    box = h('div', { id: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(box);
  }
  const item = h('div', { class: `toast toast-${kind}` }, message);
  box.append(item);
  setTimeout(() => item.remove(), TOAST_MS);
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
