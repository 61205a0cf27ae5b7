#!/usr/bin/env node
/**
 * `npm run users -- …`: people's accounts, devices' credentials and API keys,
 * in the PostgreSQL of DATABASE_URL (the same environment as `npm start`).
 * Passwords are read from standard input (one line), never from arguments.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { CREDENTIALS_FILE_VERSION, credentialsFileSchema, newUserBody, ROLES, type CredentialsFile, type Role } from '@lifeline/core';
import { ConfigError, loadConfig, loadRegistry, setLogLevel, writeFileDurably, type Config, type LoadedRegistry } from '@lifeline/core/node';
import { apiKeyProblems, ingestUsername, planCredential, userProblems, type CredentialPlan } from '../auth/accounts.js';
import { syncMosquittoFiles } from '../auth/broker-auth.js';
import { openStore } from '../store/open-store.js';
import { StoreError, type AuditInput, type Store } from '../store/types.js';

const HELP = `Usage: npm run users -- COMMAND [options]

People (the password is read from standard input, one line):
  add NAME --role ROLE [--tenant ID] [--display-name TEXT]
                         ROLE: ${ROLES.join(' | ')}; enterprise users need --tenant
  list                   every account with its role, tenant and state
  disable NAME           ends the user's sessions; enable NAME undoes it
  enable NAME
  reset NAME             sets a new password (stdin) and ends the user's sessions

Devices (each device has its own MQTT credential; username = device id):
  credentials issue (--all | --tenant ID | --device ID …) [--out FILE]
                         issues or rotates; the secrets are written once, to
                         FILE (mode 0600, the simulator's --credentials file)
                         or printed as JSON when there is no --out
  credentials gateway NAME --tenant ID --devices ID,ID… [--out FILE]
                         one credential for an enterprise's collector
  credentials list
  credentials disable USERNAME
  mosquitto-sync --dir DIR [--pid-file FILE]
                         writes Mosquitto's password and ACL files from the
                         store (and sends SIGHUP to the pid in FILE)

HTTP ingest keys (sent as "Authorization: Bearer KEY"):
  api-key create --tenant ID --name TEXT [--devices ID,ID…]
  api-key list [--tenant ID]
  api-key revoke ID

  audit [--limit N]      the newest audit log entries

Environment: DATABASE_URL (required), REGISTRY_PATH, MQTT_USERNAME/MQTT_PASSWORD
(ingest's broker identity, for mosquitto-sync). Exit codes: 0 done, 1 failed, 2 usage.`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<void> {
  const { values: o, positionals: pos } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      role: { type: 'string' },
      tenant: { type: 'string' },
      'display-name': { type: 'string' },
      all: { type: 'boolean' },
      device: { type: 'string', multiple: true },
      devices: { type: 'string' },
      out: { type: 'string' },
      name: { type: 'string' },
      dir: { type: 'string' },
      'pid-file': { type: 'string' },
      limit: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (o.help || pos.length === 0) {
    console.log(HELP);
    return;
  }
  setLogLevel('warn');
  const config = loadConfig();
  if (!config.databaseUrl) throw new ConfigError('DATABASE_URL is not set (scripts/services.sh start --pg-port N prints one)');
  const registry = loadRegistry(config.registryPath);
  const store = await openStore(config.databaseUrl, { poolSize: 2 });
  const audit = (e: Omit<AuditInput, 'actor' | 'role' | 'tenant' | 'ip' | 'session'>) =>
    store.audit.append({ actor: `cli:${os.userInfo().username}`, role: 'admin', tenant: null, ip: null, session: null, ...e });
  try {
    const [cmd, sub, arg] = pos;
    const needUser = async (name: string | undefined) => {
      if (!name) throw new UsageError(`${cmd} needs a username`);
      const u = await store.users.byUsername(name);
      if (!u) throw new StoreError('not_found', `no user named ${name}`);
      return u;
    };
    switch (cmd) {
      case 'add': {
        const role = o.role as Role | undefined;
        if (!sub || !role) throw new UsageError('add needs NAME and --role');
        const password = await readPassword();
        const body = {
          username: sub,
          role,
          password,
          ...(o.tenant ? { tenant: o.tenant } : {}),
          ...(o['display-name'] ? { displayName: o['display-name'] } : {}),
        };
        const r = newUserBody.check(body);
        if (!r.ok) throw new StoreError('invalid', r.errors.join('; '));
        const problems = userProblems(r.value, registry);
        if (problems.length) throw new StoreError('invalid', problems.join('; '));
        const u = await store.users.create({ ...r.value, tenant: r.value.tenant ?? null });
        await audit({ action: 'user.create', target: u.username, after: u });
        console.log(`created ${u.role} ${u.username}${u.tenant ? ` (tenant ${u.tenant})` : ''}`);
        break;
      }
      case 'list':
        for (const u of await store.users.list())
          console.log([u.username, u.role, u.tenant ?? '-', u.disabled ? 'disabled' : 'enabled', u.displayName].join('\t'));
        break;
      case 'disable':
      case 'enable': {
        const u = await needUser(sub);
        await store.users.setDisabled(u.id, cmd === 'disable');
        if (cmd === 'disable') await store.sessions.endAllOf(u.id);
        await audit({ action: `user.${cmd}`, target: u.username });
        console.log(`${u.username} ${cmd}d`);
        break;
      }
      case 'reset': {
        const u = await needUser(sub);
        await store.users.setPassword(u.id, await readPassword());
        await store.sessions.endAllOf(u.id);
        await audit({ action: 'user.password', target: u.username });
        console.log(`new password set for ${u.username}; their sessions are ended`);
        break;
      }
      case 'credentials':
        await credentials(sub, arg, o, registry, store, audit, config);
        break;
      case 'mosquitto-sync': {
        if (!o.dir) throw new UsageError('mosquitto-sync needs --dir DIR');
        const n = await syncMosquittoFiles(store.credentials, {
          dir: o.dir,
          pidFile: o['pid-file'] ?? null,
          ingestUsername: ingestUsername(config),
          ingestPassword: config.mqttPassword,
        });
        console.log(`wrote ${o.dir}/passwd and ${o.dir}/acl (${n} credentials)`);
        break;
      }
      case 'api-key':
        await apiKeys(sub, arg, o, registry, store, audit);
        break;
      case 'audit':
        for (const e of await store.audit.list({ limit: Number(o.limit ?? 50) || 50 })) {
          console.log([new Date(e.at).toISOString(), e.actor ?? '-', e.role ?? '-', e.action, e.target ?? '-', e.outcome, e.detail ?? ''].join('\t'));
        }
        break;
      default:
        throw new UsageError(`unknown command "${cmd}" (npm run users -- --help)`);
    }
  } finally {
    await store.close();
  }
}

type Opts = Record<string, string | boolean | string[] | undefined>;
type Audit = (e: Omit<AuditInput, 'actor' | 'role' | 'tenant' | 'ip' | 'session'>) => Promise<void>;

async function credentials(
  sub: string | undefined,
  arg: string | undefined,
  o: Opts,
  registry: LoadedRegistry,
  store: Store,
  audit: Audit,
  config: Config,
): Promise<void> {
  const list = (v: unknown) =>
    typeof v === 'string'
      ? v
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean)
      : [];
  switch (sub) {
    case 'issue': {
      const ids = o.all
        ? registry.devices.map((d) => d.id)
        : o.tenant
          ? registry.devices.filter((d) => d.tenant === o.tenant).map((d) => d.id)
          : ((o.device as string[] | undefined) ?? []);
      if (!ids.length) throw new UsageError('credentials issue needs --all, --tenant ID or --device ID (matching at least one device)');
      const plans: CredentialPlan[] = [];
      for (const id of ids) {
        const { plan, problems } = planCredential({ username: id, kind: 'device', tenant: registry.byId.get(id)?.tenant ?? '?' }, registry);
        if (!plan) throw new StoreError('invalid', problems.join('; '));
        plans.push(plan);
      }
      const secrets = await store.credentials.issueMany(plans);
      await audit({ action: 'credential.issue', target: plans.length === 1 ? plans[0]!.username : `${plans.length} devices`, after: { count: plans.length } });
      emitSecrets(plans, secrets, o.out as string | undefined);
      break;
    }
    case 'gateway': {
      if (!arg && !o.name) throw new UsageError('credentials gateway needs NAME');
      const name = (arg ?? o.name) as string;
      const { plan, problems } = planCredential({ username: name, kind: 'gateway', tenant: String(o.tenant ?? ''), devices: list(o.devices) }, registry);
      if (!plan) throw new StoreError('invalid', problems.join('; '));
      const secret = await store.credentials.issue(plan);
      await audit({ action: 'credential.issue', target: plan.username, after: plan });
      emitSecrets([plan], new Map([[plan.username, secret]]), o.out as string | undefined);
      break;
    }
    case 'list':
      for (const c of await store.credentials.list())
        console.log([c.username, c.kind, c.tenant, c.devices.length, c.disabled ? 'disabled' : 'enabled'].join('\t'));
      break;
    case 'disable': {
      if (!arg) throw new UsageError('credentials disable needs USERNAME');
      if (!(await store.credentials.get(arg))) throw new StoreError('not_found', `no credential ${arg}`);
      await store.credentials.setDisabled(arg, true);
      await audit({ action: 'credential.disable', target: arg });
      console.log(`${arg} disabled`);
      break;
    }
    default:
      throw new UsageError('credentials needs issue, gateway, list or disable');
  }
  void config;
}

/** The secrets leave the store once: to a 0600 file, or to standard output. */
function emitSecrets(plans: CredentialPlan[], secrets: Map<string, string>, out: string | undefined): void {
  const file: CredentialsFile = {
    version: CREDENTIALS_FILE_VERSION,
    credentials: plans.map((p) => ({ username: p.username, secret: secrets.get(p.username)!, tenant: p.tenant, devices: p.devices })),
  };
  const text = `${JSON.stringify(credentialsFileSchema.parse(file, 'credentials file'), null, 1)}\n`;
  if (!out) {
    process.stdout.write(text);
    return;
  }
  writeFileDurably(out, text, { mode: 0o600 });
  console.log(`issued ${plans.length} credential(s); secrets written to ${out} (mode 0600)`);
}

async function apiKeys(sub: string | undefined, arg: string | undefined, o: Opts, registry: LoadedRegistry, store: Store, audit: Audit): Promise<void> {
  switch (sub) {
    case 'create': {
      const tenant = o.tenant as string | undefined;
      const name = o.name as string | undefined;
      if (!tenant || !name) throw new UsageError('api-key create needs --tenant and --name');
      const devices =
        typeof o.devices === 'string'
          ? o.devices
              .split(',')
              .map((x) => x.trim())
              .filter(Boolean)
          : [];
      const problems = apiKeyProblems(tenant, devices, registry);
      if (problems.length) throw new StoreError('invalid', problems.join('; '));
      const { key, record } = await store.apiKeys.create({ name, tenant, devices });
      await audit({ action: 'apikey.create', target: record.id, after: record });
      console.log(`API key ${record.id} for ${tenant} (shown once, keep it safe):\n${key}`);
      break;
    }
    case 'list':
      for (const k of await store.apiKeys.list(o.tenant as string | undefined)) {
        console.log([k.id, k.prefix, k.tenant, k.name, k.revokedAt ? 'revoked' : 'active', k.devices.length ? k.devices.join(',') : 'all devices'].join('\t'));
      }
      break;
    case 'revoke':
      if (!arg) throw new UsageError('api-key revoke needs ID');
      if (!(await store.apiKeys.revoke(arg))) throw new StoreError('not_found', `no API key ${arg}`);
      await audit({ action: 'apikey.revoke', target: arg });
      console.log(`${arg} revoked`);
      break;
    default:
      throw new UsageError('api-key needs create, list or revoke');
  }
}

/** One line from standard input; a prompt when it is a terminal. */
async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('password: ');
  let text = '';
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  const line = text.split(/\r?\n/)[0] ?? '';
  if (!line) throw new UsageError('no password on standard input (echo "…" | npm run users -- …)');
  return line;
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    if (err instanceof UsageError) {
      console.error(`users: ${err.message}\n(npm run users -- --help)`);
      process.exit(2);
    }
    const msg = err instanceof ConfigError ? `configuration: ${err.message}` : err instanceof StoreError ? err.message : ((err as Error).stack ?? String(err));
    console.error(`users: ${msg}`);
    process.exit(1);
  },
);
