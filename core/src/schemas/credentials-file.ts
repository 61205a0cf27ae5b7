/**
 * The MQTT credentials file: who connects as whom. `npm run users --
 * credentials issue --out FILE` writes it, the simulator's `--credentials`
 * reads it; one schema for both.
 *
 *   { "version": 1,
 *     "credentials": [
 *       { "username": "gas-0001", "secret": "…", "tenant": "t1", "devices": ["gas-0001"] },
 *       { "username": "gw-t1-a",  "secret": "…", "tenant": "t1", "devices": ["smoke-0001", "smoke-0002"] } ] }
 */
import { Type, type Static } from '@sinclair/typebox';
import { validator } from '../validate.js';
import { Id } from './device.js';

export const CREDENTIALS_FILE_VERSION = 1;
/** Shortest secret accepted: a placeholder such as "changeme" is a mistake, not a credential. */
export const CREDENTIAL_SECRET_MIN_LENGTH = 16;

export const MqttCredential = Type.Object(
  {
    /** MQTT username and client id: the device id for a device credential. */
    username: Id,
    /** MQTT password. */
    secret: Type.String({ minLength: CREDENTIAL_SECRET_MIN_LENGTH, maxLength: 256 }),
    tenant: Id,
    /** Device ids this credential publishes for: [username] for a device credential. */
    devices: Type.Array(Id, { minItems: 1 }),
  },
  { additionalProperties: false },
);
export type MqttCredential = Static<typeof MqttCredential>;

export const CredentialsFile = Type.Object(
  {
    version: Type.Literal(CREDENTIALS_FILE_VERSION),
    credentials: Type.Array(MqttCredential),
  },
  { additionalProperties: false },
);
export type CredentialsFile = Static<typeof CredentialsFile>;
/** Shape only; `checkCredentialsFile` adds the rules across entries and against the registry. */
export const credentialsFileSchema = validator(CredentialsFile);
