/**
 * Login sessions. The cookie carries a random token; the database keeps only
 * its SHA-256, so a leaked table (or backup) opens no session.
 */
import { newSessionToken, sha256Hex } from './secrets.js';
import { ms, type StoreContext } from './store-context.js';
import type { Session, SessionStore } from './types.js';
import { USER_COLUMNS, toUser, type UserRow } from './users.js';

/**
 * lastSeenAt is written at most this often: every request resolves its
 * session, and a write per request would be most of the database's work. An
 * idle limit is therefore exact to within this much.
 */
export const SESSION_TOUCH_MS = 60_000;
/** Tokens are 43 characters; anything far longer is not ours and is not hashed. */
const TOKEN_MAX_LENGTH = 256;
const IP_MAX_LENGTH = 64;
const USER_AGENT_MAX_LENGTH = 512;

interface SessionRow {
  s_id: string;
  s_user_id: string;
  s_created_at: string;
  s_last_seen_at: string;
  s_ip: string | null;
  s_user_agent: string | null;
}

function toSession(r: SessionRow): Session {
  return {
    id: r.s_id,
    userId: r.s_user_id,
    createdAt: ms(r.s_created_at),
    lastSeenAt: ms(r.s_last_seen_at),
    ip: r.s_ip,
    userAgent: r.s_user_agent,
  };
}

export function sessionStore(ctx: StoreContext): SessionStore {
  const { pool, now } = ctx;
  return {
    async create(userId, meta) {
      const token = newSessionToken();
      const t = now();
      const session: Session = {
        id: sha256Hex(token),
        userId,
        createdAt: t,
        lastSeenAt: t,
        ip: meta.ip?.slice(0, IP_MAX_LENGTH) ?? null,
        userAgent: meta.userAgent?.slice(0, USER_AGENT_MAX_LENGTH) ?? null,
      };
      await pool.query('INSERT INTO sessions (id, user_id, created_at, last_seen_at, ip, user_agent) VALUES ($1, $2, $3, $3, $4, $5)', [
        session.id,
        userId,
        t,
        session.ip,
        session.userAgent,
      ]);
      return { token, session };
    },

    async resolve(token, idleMs) {
      if (typeof token !== 'string' || token.length === 0 || token.length > TOKEN_MAX_LENGTH) return undefined;
      const id = sha256Hex(token);
      const r = await pool.query<SessionRow & UserRow>(
        `SELECT s.id AS s_id, s.user_id AS s_user_id, s.created_at AS s_created_at, s.last_seen_at AS s_last_seen_at,
                s.ip AS s_ip, s.user_agent AS s_user_agent, ${USER_COLUMNS}
           FROM sessions s JOIN users u ON u.id = s.user_id
          WHERE s.id = $1`,
        [id],
      );
      const row = r.rows[0];
      if (!row) return undefined;
      const session = toSession(row);
      const t = now();
      if (t - session.lastSeenAt > idleMs) {
        await pool.query('DELETE FROM sessions WHERE id = $1', [id]);
        return undefined;
      }
      const user = toUser(row);
      if (user.disabled) return undefined;
      if (t - session.lastSeenAt >= SESSION_TOUCH_MS) {
        // Guarded, so concurrent requests of one session write once.
        await pool.query('UPDATE sessions SET last_seen_at = $2 WHERE id = $1 AND last_seen_at <= $3', [id, t, t - SESSION_TOUCH_MS]);
        session.lastSeenAt = t;
      }
      return { session, user };
    },

    async end(sessionId) {
      await pool.query('DELETE FROM sessions WHERE id = $1', [sessionId]);
    },

    async endAllOf(userId) {
      const r = await pool.query<{ id: string }>('DELETE FROM sessions WHERE user_id = $1 RETURNING id', [userId]);
      return r.rows.map((row) => row.id);
    },

    async purge(idleMs) {
      const r = await pool.query('DELETE FROM sessions WHERE last_seen_at < $1', [now() - idleMs]);
      return r.rowCount ?? 0;
    },
  };
}
