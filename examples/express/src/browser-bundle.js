// The page's script, bundled for the browser with esbuild when the app starts: `public/app.js` imports
// `@video-gallery/elements` (and through it lit and the browser client), and the browser gets one file.
// A production app would run the same build once at deploy time, or use its own bundler (see docs/elements.md).
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import * as esbuild from 'esbuild';

/**
 * @typedef {{ body: Uint8Array, type: string, etag: string }} BundledFile
 */

/**
 * Bundles `entry` (minified, ES2022, with a linked source map) into memory.
 * @param {string} entry path of the page script
 * @returns {Promise<Map<string, BundledFile>>} file name (`app.js`, `app.js.map`) → contents
 */
export async function bundleBrowserScript(entry) {
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: 'linked',
    legalComments: 'none',
    outdir: 'out',
    write: false,
    logLevel: 'silent',
  });
  const files = new Map();
  for (const file of result.outputFiles) {
    const name = basename(file.path);
    const etag = `"${createHash('sha256').update(file.contents).digest('base64url').slice(0, 27)}"`;
    files.set(name, { body: file.contents, type: name.endsWith('.map') ? 'application/json' : 'text/javascript; charset=utf-8', etag });
  }
  return files;
}

/**
 * Express middleware serving bundled files by name; anything else goes to the next handler.
 * @param {Map<string, BundledFile>} files
 * @returns {import('express').RequestHandler}
 */
export function serveBundle(files) {
  return (req, res, next) => {
    const file = (req.method === 'GET' || req.method === 'HEAD') && files.get(req.path.slice(1));
    if (!file) {
      next();
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('ETag', file.etag);
    if (req.headers['if-none-match'] === file.etag) {
      res.status(304).end();
      return;
    }
    res.type(file.type).send(Buffer.from(file.body));
  };
}
