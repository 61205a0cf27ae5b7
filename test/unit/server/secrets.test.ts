import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  API_KEY_SHOWN_CHARS,
  UNKNOWN_DEVICE_HASH,
  dummyPasswordHash,
  hashDeviceSecret,
  hashDeviceSecretAsync,
  hashPassword,
  newApiKey,
  newDeviceSecret,
  newSessionToken,
  sha256Hex,
  verifyDeviceSecret,
  verifyPassword,
} from '../../../server/src/store/secrets.js';

const BASE64URL = /^[A-Za-z0-9_-]+$/;

describe('people’s password hashes', () => {
  it('are self-describing scrypt strings carrying their cost and salt', async () => {
    const h = await hashPassword('correct horse battery');
    expect(h).toMatch(/^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  });

  it('verify the right password and refuse a wrong one', async () => {
    const h = await hashPassword('correct horse battery');
    expect(await verifyPassword('correct horse battery', h)).toBe(true);
    expect(await verifyPassword('correct horse batterY', h)).toBe(false);
    expect(await verifyPassword('', h)).toBe(false);
  });

  it('differ for one password hashed twice (a fresh salt each time)', async () => {
    expect(await hashPassword('same password here')).not.toBe(await hashPassword('same password here'));
  });

  it('still verify after the cost changes, because each hash names its own', async () => {
    // A hash made at ln=14, as an older build might have stored it.
    const { scryptSync } = await import('node:crypto');
    const salt = randomBytes(16);
    const key = scryptSync('an older password', salt, 32, { N: 2 ** 14, r: 8, p: 1 });
    const older = `$scrypt$ln=14,r=8,p=1$${salt.toString('base64url')}$${key.toString('base64url')}`;
    expect(await verifyPassword('an older password', older)).toBe(true);
  });

  it('are refused, not thrown on, when malformed or asking for an absurd cost', async () => {
    expect(await verifyPassword('x', 'plaintext')).toBe(false);
    expect(await verifyPassword('x', '$scrypt$ln=15,r=8,p=1$c2FsdA$')).toBe(false);
    expect(await verifyPassword('x', `$scrypt$ln=40,r=8,p=1$c2FsdHNhbHQ$${'A'.repeat(43)}`)).toBe(false);
  });

  it('include a dummy that no password matches, for unknown usernames', async () => {
    const d = await dummyPasswordHash();
    expect(d).toMatch(/^\$scrypt\$ln=15,/);
    expect(await dummyPasswordHash()).toBe(d);
    expect(await verifyPassword('', d)).toBe(false);
  });
});

describe('device secrets in Mosquitto’s $7$ format', () => {
  it('are 24 random bytes written as 32 base64url characters', () => {
    const s = newDeviceSecret();
    expect(s).toMatch(BASE64URL);
    expect(s).toHaveLength(32);
    expect(Buffer.from(s, 'base64url')).toHaveLength(24);
    expect(newDeviceSecret()).not.toBe(s);
  });

  it('hash to $7$101$ with a 12-byte salt and a 64-byte PBKDF2-SHA512 key in padded base64', () => {
    const h = hashDeviceSecret('a-device-secret');
    const m = /^\$7\$101\$([A-Za-z0-9+/]{16})\$([A-Za-z0-9+/]{86}==)$/.exec(h);
    expect(m).not.toBeNull();
    expect(Buffer.from(m![1]!, 'base64')).toHaveLength(12);
    expect(Buffer.from(m![2]!, 'base64')).toHaveLength(64);
  });

  it('hash the same whether computed inline or on the thread pool', async () => {
    const secret = newDeviceSecret();
    const h = await hashDeviceSecretAsync(secret);
    expect(verifyDeviceSecret(secret, h)).toBe(true);
    const salt = Buffer.from(h.split('$')[3]!, 'base64');
    expect(hashDeviceSecret(secret, salt)).toBe(h);
  });

  it('verify a line that mosquitto_passwd 2.0 wrote', () => {
    // `mosquitto_passwd -c -b file alice s3cret-pass` (Mosquitto 2.0.11).
    const line = '$7$101$/7EBbjy9Hd2w2Wq/$98I8Sjnt14lXuU+eH95M/2WZz6guia5bv2K2Ki34PZhe5p1ovy0HHcAHG5dHXJAdIa/IPhfWV09MbiyVVfh8Zg==';
    expect(verifyDeviceSecret('s3cret-pass', line)).toBe(true);
    expect(verifyDeviceSecret('s3cret-pasS', line)).toBe(false);
  });

  it('refuse a wrong secret, a truncated hash and other formats without throwing', () => {
    const secret = newDeviceSecret();
    const h = hashDeviceSecret(secret);
    expect(verifyDeviceSecret(newDeviceSecret(), h)).toBe(false);
    expect(verifyDeviceSecret(secret, h.slice(0, 40))).toBe(false);
    expect(verifyDeviceSecret(secret, h.replace('$7$101$', '$6$101$'))).toBe(false);
    expect(verifyDeviceSecret(secret, '$7$0$AAAAAAAAAAAAAAAA$AAAA')).toBe(false);
    expect(verifyDeviceSecret(secret, '')).toBe(false);
  });

  it('include an unknown-user hash that no secret matches', () => {
    expect(verifyDeviceSecret('', UNKNOWN_DEVICE_HASH)).toBe(false);
    expect(verifyDeviceSecret(newDeviceSecret(), UNKNOWN_DEVICE_HASH)).toBe(false);
  });
});

describe('tokens looked up by hash', () => {
  it('make session tokens of 32 random bytes, base64url', () => {
    const t = newSessionToken();
    expect(t).toMatch(BASE64URL);
    expect(Buffer.from(t, 'base64url')).toHaveLength(32);
  });

  it('make API keys of "ll_" and 32 random bytes, shown by their first 10 characters', () => {
    const k = newApiKey();
    expect(k).toMatch(/^ll_[A-Za-z0-9_-]{43}$/);
    expect(k.slice(0, API_KEY_SHOWN_CHARS)).toHaveLength(10);
  });

  it('store SHA-256 in lowercase hex', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
