/** People who log in to the dashboard: their roles, tenants and scrypt-hashed passwords. */
import { randomUUID } from 'node:crypto';
import { PASSWORD_MIN_LENGTH, ROLES, USERNAME_PATTERN, isTenantScoped, type Role } from '@lifeline/core';
import { dummyPasswordHash, hashPassword, verifyPassword } from './secrets.js';
import { isUniqueViolation, ms, type StoreContext } from './store-context.js';
import { StoreError, type NewUser, type User, type UserStore } from './types.js';

const USERNAME = new RegExp(USERNAME_PATTERN);
const TENANT_MAX_LENGTH = 64;
/** Longer than any person types; refused so nobody feeds scrypt megabytes. */
const PASSWORD_MAX_LENGTH = 1024;

/** The columns of a User, for this file and for sessions.ts's join (one copy). */
export const USER_COLUMNS = 'u.id, u.username, u.display_name, u.role, u.tenant, u.disabled, u.created_at, u.updated_at';

export interface UserRow {
  id: string;
  username: string;
  display_name: string;
  role: string;
  tenant: string | null;
  disabled: boolean;
  created_at: string;
  updated_at: string;
}

export function toUser(r: UserRow): User {
  return {
    id: r.id,
    username: r.username,
    displayName: r.display_name,
    role: r.role as Role,
    tenant: r.tenant,
    disabled: r.disabled,
    createdAt: ms(r.created_at),
    updatedAt: ms(r.updated_at),
  };
}

/** Case-insensitive: the key the unique index holds. The pattern is ASCII, so toLowerCase is safe. */
function usernameKey(username: string): string {
  return username.toLowerCase();
}

function checkPassword(password: string): void {
  if (typeof password !== 'string' || password.length < PASSWORD_MIN_LENGTH) {
    throw new StoreError('invalid', `a password needs at least ${PASSWORD_MIN_LENGTH} characters`);
  }
  if (password.length > PASSWORD_MAX_LENGTH) throw new StoreError('invalid', `a password has at most ${PASSWORD_MAX_LENGTH} characters`);
}

/** The tenant rule: an enterprise user belongs to exactly one tenant; every other role to none. */
function checkRole(role: Role, tenant: string | null | undefined): string | null {
  if (!(ROLES as readonly string[]).includes(role)) throw new StoreError('invalid', `unknown role ${String(role)} (one of ${ROLES.join(', ')})`);
  const t = tenant ?? null;
  if (isTenantScoped(role)) {
    if (t === null || t.trim() === '') throw new StoreError('invalid', `a user of role ${role} needs a tenant`);
    if (t.length > TENANT_MAX_LENGTH) throw new StoreError('invalid', `a tenant has at most ${TENANT_MAX_LENGTH} characters`);
    return t;
  }
  if (t !== null) throw new StoreError('invalid', `a user of role ${role} sees the whole city and has no tenant (got ${t})`);
  return null;
}

export function userStore(ctx: StoreContext): UserStore {
  const { pool, now } = ctx;

  const byKey = async (username: string): Promise<(UserRow & { password_hash: string }) | undefined> => {
    if (typeof username !== 'string' || !USERNAME.test(username)) return undefined;
    const r = await pool.query<UserRow & { password_hash: string }>(`SELECT ${USER_COLUMNS}, u.password_hash FROM users u WHERE u.username_key = $1`, [
      usernameKey(username),
    ]);
    return r.rows[0];
  };

  const updateOne = async (id: string, sql: string, values: unknown[]): Promise<void> => {
    const r = await pool.query(sql, [id, ...values]);
    if (r.rowCount === 0) throw new StoreError('not_found', `no user ${id}`);
  };

  return {
    async create(u: NewUser): Promise<User> {
      if (typeof u.username !== 'string' || !USERNAME.test(u.username)) {
        throw new StoreError('invalid', `username ${JSON.stringify(u.username)} does not match ${USERNAME_PATTERN}`);
      }
      const tenant = checkRole(u.role, u.tenant);
      checkPassword(u.password);
      const displayName = (u.displayName ?? '').trim() || u.username;
      const hash = await hashPassword(u.password);
      const t = now();
      const user: User = { id: randomUUID(), username: u.username, displayName, role: u.role, tenant, disabled: false, createdAt: t, updatedAt: t };
      try {
        await pool.query(
          `INSERT INTO users (id, username, username_key, display_name, role, tenant, password_hash, disabled, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, FALSE, $8, $8)`,
          [user.id, user.username, usernameKey(user.username), displayName, user.role, tenant, hash, t],
        );
      } catch (err) {
        if (isUniqueViolation(err)) throw new StoreError('conflict', `username ${u.username} is taken`);
        throw err;
      }
      return user;
    },

    async get(id) {
      const r = await pool.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users u WHERE u.id = $1`, [id]);
      return r.rows[0] && toUser(r.rows[0]);
    },

    async byUsername(username) {
      const row = await byKey(username);
      return row && toUser(row);
    },

    async list() {
      const r = await pool.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users u ORDER BY u.username_key`);
      return r.rows.map(toUser);
    },

    async verify(username, password) {
      const row = await byKey(username);
      // Always one scrypt, for a known user or not, so the answer's time tells nothing.
      const candidate = typeof password === 'string' && password.length <= PASSWORD_MAX_LENGTH ? password : '';
      const ok = await verifyPassword(candidate, row?.password_hash ?? (await dummyPasswordHash()));
      if (!row || !ok || candidate === '' || row.disabled) return undefined;
      return toUser(row);
    },

    async setPassword(id, password) {
      checkPassword(password);
      const hash = await hashPassword(password);
      await updateOne(id, 'UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1', [hash, now()]);
    },

    async setDisabled(id, disabled) {
      await updateOne(id, 'UPDATE users SET disabled = $2, updated_at = $3 WHERE id = $1', [disabled, now()]);
    },

    async setRole(id, role, tenant) {
      const t = checkRole(role, tenant);
      await updateOne(id, 'UPDATE users SET role = $2, tenant = $3, updated_at = $4 WHERE id = $1', [role, t, now()]);
    },
  };
}
