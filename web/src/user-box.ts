/**
 * The header's person: display name, role (管理员 / 带班领导 / 值班员 / 企业用户 /
 * 审计员), the tenant's name for an enterprise user, and 退出.
 */
import { isTenantScoped, type Me } from '@lifeline/core';
import { h } from './dom.js';
import { roleLabel, t } from './i18n.js';
import { logout } from './session.js';

export class UserBox {
  private readonly logoutBtn = h('button', { type: 'button', class: 'btn', id: 'logout', 'data-testid': 'logout' });

  constructor(
    private readonly root: HTMLElement,
    private readonly me: Me,
    private readonly tenantName: (id: string) => string | undefined,
  ) {
    this.logoutBtn.addEventListener('click', () => {
      this.logoutBtn.disabled = true;
      void logout().finally(() => (this.logoutBtn.disabled = false));
    });
    this.render();
  }

  /** Again after a language change or once tenant names are known. */
  render(): void {
    const { me } = this;
    const tenant = isTenantScoped(me.role) && me.tenant ? (this.tenantName(me.tenant) ?? me.tenant) : null;
    this.logoutBtn.textContent = t('logout');
    this.root.replaceChildren(
      h('span', { class: 'user-name', title: me.username, 'data-testid': 'user-name' }, me.displayName),
      h('span', { class: `role-tag role-${me.role}`, 'data-testid': 'user-role', 'data-role': me.role }, roleLabel(me.role)),
      ...(tenant ? [h('span', { class: 'user-tenant', title: me.tenant ?? '', 'data-testid': 'user-tenant' }, tenant)] : []),
      this.logoutBtn,
    );
  }
}
