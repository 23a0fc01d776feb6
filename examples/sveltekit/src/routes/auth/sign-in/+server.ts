import { error, redirect } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { SESSION_COOKIE, SESSION_MAX_AGE_SECONDS, sessionValue, validName } from '$lib/server/session';

/** The demo sign-in form posts a name here; it gets a signed HttpOnly SameSite=Lax cookie. */
export const POST: RequestHandler = async ({ request, cookies, url }) => {
  const name = validName((await request.formData()).get('name'));
  if (!name) error(400, 'A name is 1 to 40 letters, digits, spaces, dots, dashes or underscores.');
  cookies.set(SESSION_COOKIE, sessionValue(name), {
    path: '/', httpOnly: true, sameSite: 'lax', secure: url.protocol === 'https:', maxAge: SESSION_MAX_AGE_SECONDS,
  });
  redirect(303, '/');
};
