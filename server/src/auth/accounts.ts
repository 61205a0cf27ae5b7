import { isTenantScoped, SUPERVISOR_MANAGES, type CredentialBody, type NewUserBody, type Role } from '@lifeline/core';
import type { Config, LoadedRegistry } from '@lifeline/core/node';

/** The ingest identity's username on the broker (reserved: no device may take it). */
export function ingestUsername(config: Pick<Config, 'mqttUsername' | 'mqttClientId'>): string {
  return config.mqttUsername || config.mqttClientId;
}

/**
 * The rules for people's accounts and devices' credentials, shared by the API
 * and `npm run users`: each returns the problems found (empty when fine), in
 * words an operator can act on.
 */

/** Whether `actor` may create or change an account of `role` (a supervisor: the duty room only). */
export function mayManage(actor: Role, role: Role): boolean {
  return actor === 'admin' || (actor === 'supervisor' && SUPERVISOR_MANAGES.has(role));
}

export function userProblems(u: Pick<NewUserBody, 'role' | 'tenant'>, registry: LoadedRegistry): string[] {
  if (isTenantScoped(u.role)) {
    if (!u.tenant) return [`/tenant: a ${u.role} user needs --tenant (one of the registry's tenants)`];
    if (!registry.tenantsById.has(u.tenant)) return [`/tenant: no tenant with id ${u.tenant}`];
    return [];
  }
  return u.tenant ? [`/tenant: only enterprise users belong to a tenant; a ${u.role} sees the whole city`] : [];
}

export interface CredentialPlan {
  username: string;
  kind: 'device' | 'gateway';
  tenant: string;
  devices: string[];
}

/** Checks a credential against the registry: a device's is its own id; a gateway's devices are all its tenant's. */
export function planCredential(b: CredentialBody, registry: LoadedRegistry): { plan?: CredentialPlan; problems: string[] } {
  if (!registry.tenantsById.has(b.tenant)) return { problems: [`/tenant: no tenant with id ${b.tenant}`] };
  if (b.kind === 'device') {
    const dev = registry.byId.get(b.username);
    if (!dev) return { problems: [`/username: no device with id ${b.username} (a device credential's username is its device id)`] };
    if (dev.tenant !== b.tenant) return { problems: [`/tenant: device ${b.username} belongs to ${dev.tenant}, not ${b.tenant}`] };
    if (b.devices && (b.devices.length !== 1 || b.devices[0] !== b.username)) return { problems: ['/devices: a device credential covers only its own device'] };
    return { plan: { username: b.username, kind: 'device', tenant: b.tenant, devices: [b.username] }, problems: [] };
  }
  if (registry.byId.has(b.username)) return { problems: [`/username: ${b.username} is a device id; a gateway needs a name of its own`] };
  if (!b.devices?.length) return { problems: ['/devices: a gateway needs the devices it publishes for'] };
  const problems: string[] = [];
  for (const id of b.devices) {
    const dev = registry.byId.get(id);
    if (!dev) problems.push(`/devices: no device with id ${id}`);
    else if (dev.tenant !== b.tenant) problems.push(`/devices: device ${id} belongs to ${dev.tenant}, not ${b.tenant}`);
    if (problems.length >= 5) break;
  }
  return problems.length ? { problems } : { plan: { username: b.username, kind: 'gateway', tenant: b.tenant, devices: [...b.devices] }, problems };
}

/** An API key's devices must be its tenant's. */
export function apiKeyProblems(tenant: string, devices: string[], registry: LoadedRegistry): string[] {
  if (!registry.tenantsById.has(tenant)) return [`/tenant: no tenant with id ${tenant}`];
  const bad = devices.filter((id) => registry.byId.get(id)?.tenant !== tenant);
  return bad.length ? [`/devices: not devices of ${tenant}: ${bad.slice(0, 5).join(', ')}`] : [];
}
