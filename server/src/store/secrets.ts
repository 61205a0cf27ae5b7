/**
 * How the store makes and checks secrets. Two kinds, hashed two ways on
 * purpose:
 *
 * - People's passwords are chosen by people, so they are guessable: scrypt,
 *   slow and memory-hard, in a self-describing PHC-style string
 *   (`$scrypt$ln=15,r=8,p=1$<salt>$<hash>`) so the cost can be raised later
 *   without breaking stored hashes.
 * - Device and gateway secrets, session tokens and API keys are random
 *   (≥ 24 bytes), so a slow hash buys nothing. Device secrets use Mosquitto's
 *   own password-file format (`$7$101$<salt>$<hash>`, PBKDF2-HMAC-SHA512), so
 *   the same hash serves the embedded broker and a Mosquitto password_file,
 *   and a broker can check thousands of connects a second. Tokens and keys
 *   are looked up by their SHA-256.
 */
import { createHash, pbkdf2, pbkdf2Sync, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

// --- people's passwords ------------------------------------------------------

/** 2^15 × 8 × 128 bytes = 32 MiB and ~50–100 ms per hash: costly to guess, bearable at a login. */
const SCRYPT = { ln: 15, r: 8, p: 1 } as const;
const SCRYPT_SALT_BYTES = 16;
const SCRYPT_KEY_BYTES = 32;
/** Bounds on a stored string's cost, so a corrupt row cannot make a login take minutes or gigabytes. */
const SCRYPT_MAX_LN = 20;
const SCRYPT_MAX_RP = 64;

function scryptAsync(password: string, salt: Buffer, keylen: number, o: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(password, salt, keylen, o, (err, key) => (err ? reject(err) : resolve(key))));
}

function scryptOptions(ln: number, r: number, p: number): ScryptOptions {
  const N = 2 ** ln;
  // Node's default maxmem (32 MiB) is exactly what N=2^15, r=8 needs, and a little is needed on top.
  return { N, r, p, maxmem: 256 * N * r * p + 1024 * 1024 };
}

/** A scrypt hash of a person's password, with its parameters and salt. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SCRYPT_SALT_BYTES);
  const key = await scryptAsync(password, salt, SCRYPT_KEY_BYTES, scryptOptions(SCRYPT.ln, SCRYPT.r, SCRYPT.p));
  return `$scrypt$ln=${SCRYPT.ln},r=${SCRYPT.r},p=${SCRYPT.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

const SCRYPT_FORMAT = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/;

/** True when `password` matches a hash made by hashPassword; false (never a throw) for a malformed one. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const m = SCRYPT_FORMAT.exec(stored);
  if (!m) return false;
  const [ln, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (ln < 1 || ln > SCRYPT_MAX_LN || r < 1 || r > SCRYPT_MAX_RP || p < 1 || p > SCRYPT_MAX_RP) return false;
  const salt = Buffer.from(m[4]!, 'base64url');
  const want = Buffer.from(m[5]!, 'base64url');
  if (want.length < 16) return false;
  const got = await scryptAsync(password, salt, want.length, scryptOptions(ln, r, p));
  return timingSafeEqual(got, want);
}

let dummy: Promise<string> | undefined;

/**
 * A hash of nobody's password with the current parameters: checking against
 * it costs what a real check costs, so an unknown username answers no faster
 * than a wrong password.
 */
export function dummyPasswordHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(32).toString('base64url'));
  return dummy;
}

// --- device and gateway secrets (Mosquitto's $7$ format) ---------------------

/** Mosquitto 2's defaults (password_mosq.c): PBKDF2-HMAC-SHA512, 101 iterations, 12-byte salt, 64-byte key. */
export const MOSQUITTO_ITERATIONS = 101;
const MOSQUITTO_SALT_BYTES = 12;
const MOSQUITTO_KEY_BYTES = 64;
/** Mosquitto itself accepts other counts; a stored string asking for more than this is refused as corrupt. */
const MOSQUITTO_MAX_ITERATIONS = 1_000_000;

/** A new device or gateway secret: 24 random bytes, base64url (32 characters). */
export function newDeviceSecret(): string {
  return randomBytes(24).toString('base64url');
}

function mosquittoString(iterations: number, salt: Buffer, key: Buffer): string {
  // Standard base64 with padding, as Mosquitto's OpenSSL BIO writes it.
  return `$7$${iterations}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** The `$7$101$salt$hash` line Mosquitto's password_file holds after `user:`. */
export function hashDeviceSecret(secret: string, salt: Buffer = randomBytes(MOSQUITTO_SALT_BYTES)): string {
  return mosquittoString(MOSQUITTO_ITERATIONS, salt, pbkdf2Sync(secret, salt, MOSQUITTO_ITERATIONS, MOSQUITTO_KEY_BYTES, 'sha512'));
}

/** Same as hashDeviceSecret on libuv's thread pool, so a batch of thousands uses every core. */
export function hashDeviceSecretAsync(secret: string): Promise<string> {
  const salt = randomBytes(MOSQUITTO_SALT_BYTES);
  return new Promise((resolve, reject) =>
    pbkdf2(secret, salt, MOSQUITTO_ITERATIONS, MOSQUITTO_KEY_BYTES, 'sha512', (err, key) =>
      err ? reject(err) : resolve(mosquittoString(MOSQUITTO_ITERATIONS, salt, key)),
    ),
  );
}

const MOSQUITTO_FORMAT = /^\$7\$(\d{1,7})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

/**
 * True when `secret` matches a `$7$` hash (one this module wrote or one
 * `mosquitto_passwd` wrote). Synchronous and ~0.2 ms: a broker calls it on
 * each connect. False, never a throw, for a malformed hash.
 */
export function verifyDeviceSecret(secret: string, stored: string): boolean {
  const m = MOSQUITTO_FORMAT.exec(stored);
  if (!m) return false;
  const iterations = Number(m[1]);
  if (iterations < 1 || iterations > MOSQUITTO_MAX_ITERATIONS) return false;
  const salt = Buffer.from(m[2]!, 'base64');
  const want = Buffer.from(m[3]!, 'base64');
  if (want.length !== MOSQUITTO_KEY_BYTES) return false;
  return timingSafeEqual(pbkdf2Sync(secret, salt, iterations, want.length, 'sha512'), want);
}

/** A hash that matches no secret, for checks of unknown usernames (same work as a real check). */
export const UNKNOWN_DEVICE_HASH = hashDeviceSecret(randomBytes(24).toString('base64url'));

// --- random tokens looked up by hash -----------------------------------------

/** SHA-256 in hex: how session tokens and API keys are stored and looked up. */
export function sha256Hex(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

/** A session cookie's token: 32 random bytes, base64url (43 characters). */
export function newSessionToken(): string {
  return randomBytes(32).toString('base64url');
}

export const API_KEY_PREFIX = 'll_';
/** Characters of a key kept in clear to tell keys apart in lists ("ll_" and 7 more). */
export const API_KEY_SHOWN_CHARS = 10;

/** An HTTP ingest key: `ll_` and 32 random bytes, base64url (46 characters). */
export function newApiKey(): string {
  return API_KEY_PREFIX + randomBytes(32).toString('base64url');
}
