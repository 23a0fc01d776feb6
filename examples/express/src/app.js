// The Express app: demo sign-in, the gallery API at /api/gallery, and the page (two web components).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { toNodeListener } from '@video-gallery/core/node';
import { createGalleryHandler } from '@video-gallery/core/server';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * The self-contained build of the web components (`@video-gallery/elements/standalone`: both elements with lit and
 * the browser client in one file), which the page loads with a plain `<script type="module">`.
 * @returns {string}
 */
export function standaloneElementsFile() {
  const file = fileURLToPath(import.meta.resolve('@video-gallery/elements/standalone'));
  if (!existsSync(file)) {
    throw new Error(`${file} is missing: run \`pnpm build\` at the repository root first (the page loads the built web components).`);
  }
  return file;
}

/**
 * Builds the app.
 * @param {object} options
 * @param {import('@video-gallery/core').VideoGallery} options.gallery
 * @param {ReturnType<typeof import('./session.js').createSessions>} options.sessions
 * @param {boolean} [options.secureCookies] mark cookies `Secure` (behind HTTPS). Default false.
 */
export function createApp({ gallery, sessions, secureCookies = false }) {
  const elements = standaloneElementsFile();

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

  // The web components in one file (no bundler needed), then the page's own static files.
  app.get('/vendor/video-gallery.js', (_req, res) => {
    res.sendFile(elements); // text/javascript, with ETag and Last-Modified for revalidation
  });
  app.use(express.static(join(here, '..', 'public'), { index: ['index.html'] }));

  return { app, handler };
}
