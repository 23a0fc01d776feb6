// A deliberately small demo sign-in: the user's name in a signed, HttpOnly, SameSite=Lax cookie.
// Real apps use their own authentication; the gallery only needs `authenticate(request) → owner id | null`.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'vg_session';
const MAX_AGE_SECONDS = 7 * 24 * 60 * 60;
const NAME = /^[\p{L}\p{N}][\p{L}\p{N} ._-]{0,39}$/u;

/**
 * Signs and reads session cookies with an HMAC-SHA256 secret.
 * @param {string | undefined} secret `SESSION_SECRET`; when absent a random one is made, so sessions end on restart.
 */
export function createSessions(secret) {
  const key = secret && secret.length > 0 ? secret : randomBytes(32).toString('hex');
  const sign = (payload) => createHmac('sha256', key).update(payload).digest('base64url');

  return {
    /** Whether the secret was generated for this run (sessions do not survive a restart). */
    ephemeral: !secret,

    /**
     * Checks a display name typed into the sign-in form.
     * @param {unknown} name
     * @returns {string | null} the trimmed name, or null when it is not acceptable
     */
    validName(name) {
      if (typeof name !== 'string') return null;
      const trimmed = name.trim();
      return NAME.test(trimmed) ? trimmed : null;
    },

    /**
     * The Set-Cookie value that signs `name` in.
     * @param {string} name
     * @param {{ secure: boolean }} options
     */
    cookieFor(name, { secure }) {
      const expires = Math.floor(Date.now() / 1000) + MAX_AGE_SECONDS;
      const payload = `${Buffer.from(name, 'utf8').toString('base64url')}.${expires}`;
      return serialize(`${payload}.${sign(payload)}`, MAX_AGE_SECONDS, secure);
    },

    /** The Set-Cookie value that signs out. @param {{ secure: boolean }} options */
    clearCookie({ secure }) {
      return serialize('', 0, secure);
    },

    /**
     * The signed-in name from a Cookie header, or null.
     * @param {string | null | undefined} cookieHeader
     * @returns {string | null}
     */
    read(cookieHeader) {
      const value = readCookie(cookieHeader, SESSION_COOKIE);
      if (!value) return null;
      const parts = value.split('.');
      if (parts.length !== 3) return null;
      const [name64, expires, mac] = parts;
      const expected = Buffer.from(sign(`${name64}.${expires}`));
      const given = Buffer.from(mac);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
      if (!/^\d+$/.test(expires) || Number(expires) * 1000 < Date.now()) return null;
      const name = Buffer.from(name64, 'base64url').toString('utf8');
      return NAME.test(name) ? name : null;
    },
  };
}

function serialize(value, maxAge, secure) {
  return `${SESSION_COOKIE}=${value}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}

/**
 * One cookie's value from a Cookie header.
 * @param {string | null | undefined} header
 * @param {string} name
 */
export function readCookie(header, name) {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}
