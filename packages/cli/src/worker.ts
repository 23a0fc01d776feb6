import { parseArgs } from 'node:util';
import type { GalleryEntry } from '@video-gallery/core';
import { createGalleryFromEnv, resolveDataDir } from './env.js';
import { CliError, type CliIo } from './main.js';

const WORKER_USAGE = `video-gallery worker [--concurrency n] [--data-dir dir]

Runs gallery jobs from the BullMQ queue on REDIS_URL until SIGINT or SIGTERM. Start any number, on any machines that
share the entry store (DATABASE_URL) and the blob storage (VIDEO_GALLERY_STORAGE). On a signal the worker stops taking
jobs, lets steps in flight finish for VIDEO_GALLERY_SHUTDOWN_GRACE_MS (default 15 s), then hands the rest back to the
queue. See docs/deploy.md.`;

/** `video-gallery worker`: processes jobs from the queue until interrupted. */
export async function worker(args: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: false, strict: true, options: { concurrency: { type: 'string' }, 'data-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  } catch (error) {
    throw new CliError(`${(error as Error).message}. See: video-gallery worker --help`, 2);
  }
  const { values } = parsed;
  if (values.help) {
    io.stdout.write(`${WORKER_USAGE}\n`);
    return 0;
  }
  if (!io.env.REDIS_URL) {
    throw new CliError('worker needs REDIS_URL (for example redis://127.0.0.1:6379): workers take their jobs from a BullMQ queue on Redis. Without Redis, jobs run inside the process that creates them (`video-gallery resume` finishes leftovers).', 2);
  }
  const env = { ...io.env };
  if (values.concurrency !== undefined) {
    if (!/^\d+$/.test(values.concurrency) || Number(values.concurrency) < 1) throw new CliError('--concurrency must be a whole number of at least 1.', 2);
    env.VIDEO_GALLERY_WORKER_CONCURRENCY = values.concurrency;
  }
  const dataDir = resolveDataDir(values['data-dir'], env);
  const built = await createGalleryFromEnv({ dataDir, env, role: 'worker' });
  const { gallery } = built;
  const onEnd = (entry: GalleryEntry) => {
    io.stdout.write(`${entry.status} ${entry.id}${entry.error ? ` (${entry.error.code}: ${entry.error.message})` : ''}\n`);
  };
  gallery.on('job-end', onEnd);
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  let signals = 0;
  const removeInterrupt = io.onInterrupt(() => {
    signals++;
    if (signals === 1) {
      io.stderr.write('worker: stopping; steps in flight finish or go back to the queue…\n');
      stop();
    } else {
      io.stderr.write('worker: stopping now.\n');
      process.exit(130);
    }
  });
  try {
    for (const line of built.describe()) io.stderr.write(`worker: ${line}\n`);
    const runner = gallery.runner as { ready?: () => Promise<void> };
    await runner.ready?.();
    io.stderr.write(`worker: ready (pid ${process.pid})\n`);
    await stopped;
    return 0;
  } finally {
    removeInterrupt();
    await gallery.close();
    gallery.off('job-end', onEnd);
    io.stderr.write('worker: stopped\n');
  }
}
