// The Express app: demo sign-in, the gallery API at /api/gallery, and the page (two web components).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { toNodeListener } from '@video-gallery/core/node';
import { createGalleryHandler } from '@video-gallery/core/server';
import { bundleBrowserScript, serveBundle } from './browser-bundle.js';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Checks that the workspace packages the page bundles are built (`dist/`), with a message saying how to fix it.
 */
export function requireBuiltElements() {
  for (const specifier of ['@video-gallery/elements', '@video-gallery/core/client']) {
    const file = fileURLToPath(import.meta.resolve(specifier));
    if (!existsSync(file)) {
      throw new Error(`${file} is missing: run \`pnpm build\` at the repository root first (the page bundles the built ${specifier}).`);
    }
  }
}

/**
 * Builds the app.
 * @param {object} options
 * @param {import('@video-gallery/core').VideoGallery} options.gallery
 * @param {ReturnType<typeof import('./session.js').createSessions>} options.sessions
 * @param {boolean} [options.secureCookies] mark cookies `Secure` (behind HTTPS). Default false.
 */
export async function createApp({ gallery, sessions, secureCookies = false }) {
  requireBuiltElements();
  const script = await bundleBrowserScript(join(here, '..', 'public', 'app.js'));

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

  // The page's script, bundled at start (app.js imports @video-gallery/elements), then the static files.
  app.use(serveBundle(script));
  app.use(express.static(join(here, '..', 'public'), { index: ['index.html'] }));

  return { app, handler };
}
