import { Router } from 'express';
import { apiKeyBody, credentialBody, newUserBody, passwordBody } from '@lifeline/core';
import type { LoadedRegistry } from '@lifeline/core/node';
import { apiKeyProblems, mayManage, planCredential, userProblems } from '../auth/accounts.js';
import type { AuditTrail } from '../auth/audit-trail.js';
import { mustAuth, requirePermission } from '../auth/http-auth.js';
import { StoreError, type DeviceCredential, type Store, type User } from '../store/types.js';
import { HttpError, param, validated } from './http-errors.js';

export interface AdminRouteDeps {
  store: Store;
  registry: LoadedRegistry;
  audit: AuditTrail;
  /** Told when a user's sessions were ended (disabled, new password), so their sockets close. */
  onUserSessionsEnded: (userId: string) => void;
  /** Told after device credentials changed (the Mosquitto files follow). */
  onCredentialsChanged: () => Promise<void>;
}

const publicCredential = ({ secretHash: _h, ...c }: DeviceCredential) => c;

/** User accounts, device credentials and API keys: admins (and supervisors for the duty room's users). */
export function adminRouter(d: AdminRouteDeps): Router {
  const r = Router();

  const managed = async (actorRole: User['role'], id: string): Promise<User> => {
    const u = await d.store.users.get(id);
    if (!u) throw new HttpError(404, `no user with id ${id}`);
    if (!mayManage(actorRole, u.role)) throw new HttpError(403, `role ${actorRole} may not manage ${u.role} users`);
    return u;
  };

  r.get('/users', requirePermission('users:manage'), async (_req, res) => {
    res.json(await d.store.users.list());
  });

  r.post('/users', requirePermission('users:manage'), async (req, res) => {
    const a = mustAuth(req);
    const b = validated(newUserBody, req.body ?? {}, 'user body');
    if (!mayManage(a.user.role, b.role)) throw new HttpError(403, `role ${a.user.role} may not create ${b.role} users`);
    const problems = userProblems(b, d.registry);
    if (problems.length) throw new HttpError(400, 'invalid user body', problems);
    const u = await d.store.users.create({ ...b, tenant: b.tenant ?? null }).catch(storeToHttp);
    await d.audit.record(req, a, { action: 'user.create', target: u.username, after: u });
    res.status(201).json(u);
  });

  for (const [path, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    r.post(`/users/:id/${path}`, requirePermission('users:manage'), async (req, res) => {
      const a = mustAuth(req);
      const u = await managed(a.user.role, param(req, 'id'));
      if (u.id === a.user.id) throw new HttpError(409, 'you cannot disable your own account');
      await d.store.users.setDisabled(u.id, disabled);
      if (disabled) {
        await d.store.sessions.endAllOf(u.id);
        d.onUserSessionsEnded(u.id);
      }
      await d.audit.record(req, a, { action: `user.${path}`, target: u.username, before: { disabled: u.disabled }, after: { disabled } });
      res.json({ ...u, disabled });
    });
  }

  r.post('/users/:id/password', requirePermission('users:manage'), async (req, res) => {
    const a = mustAuth(req);
    const u = await managed(a.user.role, param(req, 'id'));
    const b = validated(passwordBody, req.body ?? {}, 'password body');
    await d.store.users.setPassword(u.id, b.password).catch(storeToHttp);
    await d.store.sessions.endAllOf(u.id);
    d.onUserSessionsEnded(u.id);
    await d.audit.record(req, a, { action: 'user.password', target: u.username });
    res.status(204).end();
  });

  r.get('/credentials', requirePermission('credentials:manage'), async (_req, res) => {
    res.json((await d.store.credentials.list()).map(publicCredential));
  });

  // The secret is in this answer only: it is stored as a hash.
  r.post('/credentials', requirePermission('credentials:manage'), async (req, res) => {
    const a = mustAuth(req);
    const b = validated(credentialBody, req.body ?? {}, 'credential body');
    const { plan, problems } = planCredential(b, d.registry);
    if (!plan) throw new HttpError(400, 'invalid credential body', problems);
    const existed = await d.store.credentials.get(plan.username);
    const secret = await d.store.credentials.issue(plan);
    await d.onCredentialsChanged();
    await d.audit.record(req, a, { action: existed ? 'credential.rotate' : 'credential.issue', target: plan.username, after: plan });
    res.status(201).json({ ...plan, secret });
  });

  r.post('/credentials/:username/disable', requirePermission('credentials:manage'), async (req, res) => {
    const a = mustAuth(req);
    const c = await d.store.credentials.get(param(req, 'username'));
    if (!c) throw new HttpError(404, `no credential ${param(req, 'username')}`);
    await d.store.credentials.setDisabled(c.username, true);
    await d.onCredentialsChanged();
    await d.audit.record(req, a, { action: 'credential.disable', target: c.username });
    res.json({ ...publicCredential(c), disabled: true });
  });

  r.get('/api-keys', requirePermission('credentials:manage'), async (_req, res) => {
    res.json(await d.store.apiKeys.list());
  });

  r.post('/api-keys', requirePermission('credentials:manage'), async (req, res) => {
    const a = mustAuth(req);
    const b = validated(apiKeyBody, req.body ?? {}, 'API key body');
    const problems = apiKeyProblems(b.tenant, b.devices ?? [], d.registry);
    if (problems.length) throw new HttpError(400, 'invalid API key body', problems);
    const { key, record } = await d.store.apiKeys.create(b);
    await d.audit.record(req, a, { action: 'apikey.create', target: record.id, after: record });
    res.status(201).json({ key, record });
  });

  r.delete('/api-keys/:id', requirePermission('credentials:manage'), async (req, res) => {
    const a = mustAuth(req);
    if (!(await d.store.apiKeys.revoke(param(req, 'id')))) throw new HttpError(404, `no API key ${param(req, 'id')}`);
    await d.audit.record(req, a, { action: 'apikey.revoke', target: param(req, 'id') });
    res.status(204).end();
  });

  return r;
}

function storeToHttp(err: unknown): never {
  if (err instanceof StoreError) throw new HttpError(err.code === 'conflict' ? 409 : err.code === 'not_found' ? 404 : 400, err.message);
  throw err;
}
