// The gallery and its HTTP handler, created once per server process from the environment (see README.md).
// Created lazily on first use, so `vite build` (which imports server modules to analyse them) never opens
// the database or touches the data directory.
import { createGalleryFromEnv, resolveDataDir, type EnvGallery } from '@video-gallery/cli';
import { createGalleryHandler, type GalleryHandler } from '@video-gallery/core/server';
import { readSessionFromHeader } from './session';

export interface GalleryServer extends EnvGallery {
  handler: GalleryHandler;
}

let instance: Promise<GalleryServer> | null = null;

async function create(): Promise<GalleryServer> {
  const env = await createGalleryFromEnv({ dataDir: resolveDataDir(undefined, process.env) });
  const handler = createGalleryHandler(env.gallery, {
    basePath: '/api/gallery',
    // Every read and write is scoped to the signed-in user; no session → 401.
    authenticate: (request) => readSessionFromHeader(request.headers.get('cookie')),
  });
  // adapter-node waits for open connections before it exits: end the event streams as soon as a stop is
  // asked for, and close the gallery (unfinished jobs stay in the store for the next start) once it stopped.
  const endStreams = () => handler.close();
  process.once('SIGTERM', endStreams);
  process.once('SIGINT', endStreams);
  process.once('sveltekit:shutdown', () => void env.gallery.close());
  return { ...env, handler };
}

/** The process's gallery (and handler), created on first call. */
export function gallery(): Promise<GalleryServer> {
  instance ??= create().catch((error: unknown) => {
    instance = null;
    throw error;
  });
  return instance;
}
