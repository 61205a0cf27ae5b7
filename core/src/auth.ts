import { Type, type Static } from '@sinclair/typebox';
import { validator } from './validate.js';

/**
 * Who may do what. One table, read by the server's route guards and by the
 * dashboard (which offers only what the role may do); the server is the judge.
 */
export const ROLES = ['admin', 'supervisor', 'duty', 'enterprise', 'auditor'] as const;
export type Role = (typeof ROLES)[number];
export const RoleSchema = Type.Union(ROLES.map((r) => Type.Literal(r)));

export const PERMISSIONS = [
  'devices:read',
  'alerts:read',
  'alerts:acknowledge',
  'alerts:dispatch',
  'alerts:resolve',
  /** 销号: signing a resolved alert off. */
  'alerts:close',
  'silences:read',
  /** A silence of one device, no longer than DEVICE_SILENCE_MAX_MS. */
  'silences:device',
  /** A silence of any scope (device, site, tenant) and length. */
  'silences:any',
  'notifications:read',
  'deadletters:read',
  'metrics:read',
  'audit:read',
  'users:manage',
  'credentials:manage',
  /** The hazard register (隐患清单): reading it (an enterprise its own tenant's only). */
  'hazards:read',
  /** Entering a hazard found by inspection or reported by the public (or from an alert, when resolving it). */
  'hazards:create',
  /** Progress entries and reporting a hazard rectified (an enterprise on its own). */
  'hazards:update',
  /** 销号 or rejecting back: a government reviewer only, never an enterprise. */
  'hazards:signoff',
  /** Duty shifts (值班交接班): who is on duty, the handovers. */
  'shifts:read',
  /** Starting a shift, handing over, accepting a handover. */
  'shifts:take',
  /** 报表: the daily, weekly and monthly reports of the whole city (never an enterprise's). */
  'reports:read',
  /** Generating a report now, for a period of one's choosing. */
  'reports:generate',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const STAFF_READ: Permission[] = ['devices:read', 'alerts:read', 'silences:read', 'hazards:read'];
const DUTY: Permission[] = [
  ...STAFF_READ,
  'alerts:acknowledge',
  'alerts:dispatch',
  'alerts:resolve',
  'silences:device',
  'notifications:read',
  'hazards:create',
  'hazards:update',
  'shifts:read',
  'shifts:take',
  'reports:read',
];

export const ROLE_PERMISSIONS: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  admin: new Set(PERMISSIONS),
  /** 带班领导: a duty officer's work, plus sign-off, silences of any scope, the audit log and the duty room's users. */
  supervisor: new Set<Permission>([...DUTY, 'alerts:close', 'silences:any', 'audit:read', 'users:manage', 'hazards:signoff', 'reports:generate']),
  /** 值班员. */
  duty: new Set(DUTY),
  /** Its own tenant only: acknowledges and reports rectification (处置完成) of its alerts and hazards, never signs off. */
  enterprise: new Set<Permission>([...STAFF_READ, 'alerts:acknowledge', 'alerts:resolve', 'silences:device', 'hazards:update']),
  /** Read-only, the audit log included. */
  auditor: new Set<Permission>([...STAFF_READ, 'notifications:read', 'audit:read', 'shifts:read', 'reports:read']),
};

export function can(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].has(permission);
}

/** Roles confined to one tenant; every other role sees the whole city. */
export function isTenantScoped(role: Role): boolean {
  return role === 'enterprise';
}

/** Roles a supervisor may create and manage (the duty room); an admin manages every role. */
export const SUPERVISOR_MANAGES: ReadonlySet<Role> = new Set<Role>(['duty']);

/** Longest device silence a duty officer or an enterprise may set: one day. */
export const DEVICE_SILENCE_MAX_MS = 24 * 3600_000;

/** `GET /api/me`: the logged-in person. */
export const Me = Type.Object({
  id: Type.String(),
  username: Type.String(),
  displayName: Type.String(),
  role: RoleSchema,
  tenant: Type.Union([Type.String(), Type.Null()]),
});
export type Me = Static<typeof Me>;

export const USERNAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$';

export const LoginBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: 256 }),
  },
  { additionalProperties: false },
);
export type LoginBody = Static<typeof LoginBody>;
export const loginBody = validator(LoginBody);

/** Shortest password a person may be given. */
export const PASSWORD_MIN_LENGTH = 10;

/** One line of the audit log, as `GET /api/audit` shows it. */
export const AuditEntry = Type.Object({
  id: Type.String(),
  at: Type.Integer(),
  actor: Type.Union([Type.String(), Type.Null()]),
  role: Type.Union([Type.String(), Type.Null()]),
  tenant: Type.Union([Type.String(), Type.Null()]),
  ip: Type.Union([Type.String(), Type.Null()]),
  session: Type.Union([Type.String(), Type.Null()]),
  action: Type.String(),
  target: Type.Union([Type.String(), Type.Null()]),
  before: Type.Unknown(),
  after: Type.Unknown(),
  outcome: Type.Union([Type.Literal('ok'), Type.Literal('denied'), Type.Literal('failed')]),
  detail: Type.Union([Type.String(), Type.Null()]),
});
export type AuditEntry = Static<typeof AuditEntry>;

export const AuditQuery = Type.Object(
  {
    actor: Type.Optional(Type.String({ maxLength: 64 })),
    action: Type.Optional(Type.String({ maxLength: 64 })),
    target: Type.Optional(Type.String({ maxLength: 128 })),
    from: Type.Optional(Type.Integer({ minimum: 0 })),
    to: Type.Optional(Type.Integer({ minimum: 0 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000 })),
  },
  { additionalProperties: false },
);
export type AuditQuery = Static<typeof AuditQuery>;
export const auditQuery = validator(AuditQuery);

const Username = Type.String({ pattern: USERNAME_PATTERN });
const Id = Type.String({ minLength: 1, maxLength: 64 });

/** `POST /api/users` (and `npm run users -- add`). */
export const NewUserBody = Type.Object(
  {
    username: Username,
    displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    role: RoleSchema,
    tenant: Type.Optional(Id),
    password: Type.String({ minLength: PASSWORD_MIN_LENGTH, maxLength: 256 }),
  },
  { additionalProperties: false },
);
export type NewUserBody = Static<typeof NewUserBody>;
export const newUserBody = validator(NewUserBody);

export const PasswordBody = Type.Object({ password: Type.String({ minLength: PASSWORD_MIN_LENGTH, maxLength: 256 }) }, { additionalProperties: false });
export const passwordBody = validator(PasswordBody);

/** `POST /api/credentials`: issue or rotate a device's own credential, or a gateway's for several devices of one tenant. */
export const CredentialBody = Type.Object(
  {
    username: Username,
    kind: Type.Union([Type.Literal('device'), Type.Literal('gateway')]),
    tenant: Id,
    /** For a gateway: the devices it publishes for (a device credential covers itself). */
    devices: Type.Optional(Type.Array(Id, { minItems: 1, maxItems: 10_000, uniqueItems: true })),
  },
  { additionalProperties: false },
);
export type CredentialBody = Static<typeof CredentialBody>;
export const credentialBody = validator(CredentialBody);

/** `POST /api/api-keys`: a key for HTTP ingest, scoped to a tenant and optionally to some of its devices. */
export const ApiKeyBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64 }),
    tenant: Id,
    devices: Type.Optional(Type.Array(Id, { maxItems: 10_000, uniqueItems: true })),
  },
  { additionalProperties: false },
);
export type ApiKeyBody = Static<typeof ApiKeyBody>;
export const apiKeyBody = validator(ApiKeyBody);
