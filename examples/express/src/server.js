// Starts the Express example: `node src/server.js` (after `pnpm build` at the repository root).
// Configuration comes from the environment; see README.md.
import { createGalleryFromEnv, resolveDataDir } from '@video-gallery/cli';
import { createApp } from './app.js';
import { createSessions } from './session.js';

const env = process.env;
const port = env.PORT === undefined || env.PORT === '' ? 3000 : Number(env.PORT);
const host = env.HOST || '127.0.0.1';
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a port number (0 picks a free one), got ${JSON.stringify(env.PORT)}.`);
  process.exit(1);
}

const dataDir = resolveDataDir(undefined, env);
const { gallery, describe } = await createGalleryFromEnv({ dataDir, env });
const sessions = createSessions(env.SESSION_SECRET);
const { app, handler } = createApp({ gallery, sessions, secureCookies: env.SECURE_COOKIES === '1' });

const server = app.listen(port, host);
await new Promise((resolve, reject) => {
  server.once('listening', resolve);
  server.once('error', reject);
});
const address = server.address();
const shownHost = typeof address === 'object' && address ? address.address : host;
const url = `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${typeof address === 'object' && address ? address.port : port}`;

// Jobs that were running when the server last stopped continue now.
const resumed = await gallery.resume();
for (const line of describe()) console.log(line);
if (sessions.ephemeral) console.log('SESSION_SECRET is not set: sign-ins last until this process stops.');
if (resumed > 0) console.log(`resumed ${resumed} unfinished job${resumed === 1 ? '' : 's'}`);
console.log(`video-gallery Express example listening on ${url}`);

let stopping = false;
async function shutdown(signal) {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: shutting down`);
  const force = setTimeout(() => {
    console.error('shutdown took longer than 10 s; exiting');
    process.exit(1);
  }, 10_000);
  force.unref();
  handler.close(); // ends open event streams, which would otherwise keep the server open
  server.closeIdleConnections();
  await new Promise((resolve) => server.close(() => resolve()));
  await gallery.close(); // unfinished jobs stay in the store; the next start resumes them
  clearTimeout(force);
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
