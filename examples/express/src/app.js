// The Express app: demo sign-in, the gallery API at /api/gallery, the page, and the browser client's files.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { toNodeListener } from '@video-gallery/core/node';
import { createGalleryHandler } from '@video-gallery/core/server';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Where the built `@video-gallery/core` files are (`dist/`), served to the browser at `/vendor/core/`.
 * @returns {string}
 */
export function coreDistDir() {
  const client = fileURLToPath(import.meta.resolve('@video-gallery/core/client'));
  if (!existsSync(client)) {
    throw new Error(`${client} is missing: run \`pnpm build\` at the repository root first (the page loads the built browser client).`);
  }
  return dirname(dirname(client));
}

/**
 * Builds the app.
 * @param {object} options
 * @param {import('@video-gallery/core').VideoGallery} options.gallery
 * @param {ReturnType<typeof import('./session.js').createSessions>} options.sessions
 * @param {boolean} [options.secureCookies] mark cookies `Secure` (behind HTTPS). Default false.
 */
export function createApp({ gallery, sessions, secureCookies = false }) {
  const handler = createGalleryHandler(gallery, {
    basePath: '/api/gallery',
    // Every read and write of the API is scoped to this owner; no session → 401.
    authenticate: (request) => sessions.read(request.headers.get('cookie')),
  });

  const app = express();
  app.disable('x-powered-by');

  // The gallery API reads its own request bodies: mount it before any body parser.
  app.use('/api/gallery', toNodeListener(handler));

  const form = express.urlencoded({ extended: false, limit: '2kb' });
  app.post('/auth/sign-in', form, (req, res) => {
    const name = sessions.validName(req.body?.name);
    if (!name) {
      res.status(400).type('text/plain').send('A name is 1 to 40 letters, digits, spaces, dots, dashes or underscores. Go back and try again.');
      return;
    }
    res.setHeader('Set-Cookie', sessions.cookieFor(name, { secure: secureCookies }));
    res.redirect(303, '/');
  });
  app.post('/auth/sign-out', (_req, res) => {
    res.setHeader('Set-Cookie', sessions.clearCookie({ secure: secureCookies }));
    res.redirect(303, '/');
  });
  app.get('/auth/me', (req, res) => {
    const name = sessions.read(req.headers.cookie);
    res.setHeader('Cache-Control', 'no-store');
    res.json({ name });
  });

  // The browser client (and its shared chunks) from the built package, for the page's import map.
  app.use('/vendor/core', express.static(coreDistDir(), { index: false, fallthrough: false }));
  app.use(express.static(join(here, '..', 'public')));

  return { app, handler };
}
