import { describe, expect, it } from 'vitest';
import { LoginLimiter } from '../../../server/src/auth/login-limiter.js';
import { readCookie, sessionCookie } from '../../../server/src/auth/http-auth.js';
import { isSameOrigin } from '../../../server/src/auth/security-headers.js';

describe('the login limiter', () => {
  it('lets ten failures through in a minute and holds the eleventh attempt until the oldest ages out', () => {
    let now = 1_000_000;
    const l = new LoginLimiter(10, 60_000, 100, () => now);
    for (let i = 0; i < 10; i++) {
      expect(l.retryAfterS('ip:1')).toBe(0);
      l.fail('ip:1');
      now += 1000;
    }
    expect(l.retryAfterS('ip:1')).toBe(50);
    expect(l.retryAfterS('ip:2')).toBe(0);
    now += 50_000;
    expect(l.retryAfterS('ip:1')).toBe(0);
  });

  it('forgets a key after a success and stays within its size bound, dropping the stalest keys', () => {
    const l = new LoginLimiter(2, 60_000, 3);
    l.fail('a');
    l.fail('a');
    expect(l.retryAfterS('a')).toBeGreaterThan(0);
    l.succeed('a');
    expect(l.retryAfterS('a')).toBe(0);
    for (const k of ['k1', 'k2', 'k3', 'k4', 'k5']) l.fail(k);
    expect(l.size).toBe(3);
  });
});

describe('session cookies', () => {
  it('are HttpOnly and SameSite=Strict, Secure only behind TLS, and read back from a Cookie header', () => {
    const plain = sessionCookie('tok+/=', false);
    expect(plain).toMatch(/HttpOnly/);
    expect(plain).toMatch(/SameSite=Strict/);
    expect(plain).not.toMatch(/Secure/);
    expect(sessionCookie('t', true)).toMatch(/; Secure$/);
    const header = `other=1; ${plain.split(';')[0]}; x=y`;
    expect(readCookie(header, 'lifeline_session')).toBe('tok+/=');
    expect(readCookie('lifeline_session=%E0%A4%A', 'lifeline_session')).toBeUndefined();
    expect(readCookie(undefined, 'lifeline_session')).toBeUndefined();
  });

  it('tells our own origin from a foreign one', () => {
    expect(isSameOrigin('http://127.0.0.1:8080', '127.0.0.1:8080')).toBe(true);
    expect(isSameOrigin('http://evil.example', '127.0.0.1:8080')).toBe(false);
    expect(isSameOrigin('not a url', '127.0.0.1:8080')).toBe(false);
  });
});
