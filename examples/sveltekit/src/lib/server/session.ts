// A deliberately small demo sign-in: the user's name in a signed, HttpOnly, SameSite=Lax cookie.
// Real apps use their own authentication; the gallery only needs `authenticate(request) → owner id | null`.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'vg_session';
export const SESSION_MAX_AGE_SECONDS = 7 * 24 * 60 * 60;
const NAME = /^[\p{L}\p{N}][\p{L}\p{N} ._-]{0,39}$/u;

/** `SESSION_SECRET`, or a random secret for this run (sign-ins then end when the server stops). */
const secret = process.env.SESSION_SECRET || randomBytes(32).toString('hex');
export const ephemeralSecret = !process.env.SESSION_SECRET;

const sign = (payload: string) => createHmac('sha256', secret).update(payload).digest('base64url');

/** The trimmed name when it is acceptable (1 to 40 letters, digits, spaces, dots, dashes, underscores), else null. */
export function validName(name: unknown): string | null {
  if (typeof name !== 'string') return null;
  const trimmed = name.trim();
  return NAME.test(trimmed) ? trimmed : null;
}

/** The signed cookie value for `name`. */
export function sessionValue(name: string): string {
  const expires = Math.floor(Date.now() / 1000) + SESSION_MAX_AGE_SECONDS;
  const payload = `${Buffer.from(name, 'utf8').toString('base64url')}.${expires}`;
  return `${payload}.${sign(payload)}`;
}

/** The signed-in name from a cookie value, or null when it is missing, forged or expired. */
export function readSession(value: string | null | undefined): string | null {
  if (!value) return null;
  const parts = value.split('.');
  if (parts.length !== 3) return null;
  const [name64, expires, mac] = parts as [string, string, string];
  const expected = Buffer.from(sign(`${name64}.${expires}`));
  const given = Buffer.from(mac);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  if (!/^\d+$/.test(expires) || Number(expires) * 1000 < Date.now()) return null;
  const name = Buffer.from(name64, 'base64url').toString('utf8');
  return NAME.test(name) ? name : null;
}

/** The signed-in name from a raw Cookie header (for the gallery handler, which sees a plain Request). */
export function readSessionFromHeader(header: string | null): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return readSession(decodeURIComponent(part.slice(eq + 1).trim()));
  }
  return null;
}
