import type { Handle, ServerInit } from '@sveltejs/kit';
import { gallery } from '$lib/server/gallery';
import { ephemeralSecret, readSession, SESSION_COOKIE } from '$lib/server/session';

/** On server start: build the gallery from the environment and resume jobs a previous run left unfinished. */
export const init: ServerInit = async () => {
  const { gallery: g, describe } = await gallery();
  const resumed = await g.resume();
  for (const line of describe()) console.log(line);
  if (ephemeralSecret) console.log('SESSION_SECRET is not set: sign-ins last until this process stops.');
  if (!process.env.ORIGIN) {
    console.log('ORIGIN is not set: set it to the URL you open (e.g. ORIGIN=http://127.0.0.1:3000), or SvelteKit refuses form posts and uploads as cross-site.');
  }
  if (resumed > 0) console.log(`resumed ${resumed} unfinished job${resumed === 1 ? '' : 's'}`);
};

/** Puts the demo session's user on `event.locals` for pages. (The gallery API reads the cookie itself.) */
export const handle: Handle = async ({ event, resolve }) => {
  event.locals.user = readSession(event.cookies.get(SESSION_COOKIE));
  return resolve(event);
};
