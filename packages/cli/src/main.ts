import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { GalleryError, JOB_STATUSES, type GalleryEntry, type GenerateRequest, type JobStatus } from '@video-gallery/core';
import { createGalleryFromEnv, resolveDataDir, type EnvGallery } from './env.js';
import { ProgressBar } from './progress.js';

const USAGE = `video-gallery: generate AI videos and manage the gallery

Usage:
  video-gallery generate "<prompt>" [options]   make a video and wait for it
  video-gallery list [--status s1,s2] [--q text] [--limit n] [--json]
  video-gallery show <id> [--json]
  video-gallery delete <id>
  video-gallery resume                          finish jobs a stopped process left behind
  video-gallery mock-provider <dashscope|veo|kie> [--port n] [--latency-ms n] [--pending-polls n]
                                                serve a provider's contract-faithful mock on loopback
  video-gallery worker [--concurrency n]        run queued jobs from REDIS_URL until Ctrl-C (docs/deploy.md)

generate options:
  --aspect-ratio <16:9|9:16|1:1|...>   --resolution <480p|720p|1080p|...>   --duration <seconds>
  --negative-prompt <text>   --seed <n>   --image <file>   --provider <id>   --model <id>
  --json                     print the finished entry as JSON on stdout

Common options:
  --data-dir <dir>   where videos and the gallery live (VIDEO_GALLERY_DATA_DIR, default ./.video-gallery)
  -h, --help

Providers are switched on by their keys: DASHSCOPE_API_KEY, GEMINI_API_KEY, KIE_API_KEY (the local renderer is
always on). Base URLs: DASHSCOPE_BASE_URL, VEO_BASE_URL, KIE_BASE_URL.`;

/** A failure that ends the command with a one-line reason and a non-zero exit code. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

export interface CliIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
  /** Registers a Ctrl-C handler; returns the function that removes it. */
  onInterrupt(handler: () => void): () => void;
}

const defaultIo = (): CliIo => ({
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  onInterrupt(handler) {
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
    return () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    };
  },
});

const COMMON = {
  'data-dir': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

function parse<const O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O) {
  try {
    return parseArgs({ args, options: { ...COMMON, ...options }, allowPositionals: true, strict: true } as const);
  } catch (error) {
    throw new CliError(`${(error as Error).message.replace(/\. To specify a positional argument.*$/s, '')}. See --help.`, 2);
  }
}

/** Runs the CLI; resolves with the exit code. */
export async function main(argv: string[], io: CliIo = defaultIo()): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'generate': return await generate(rest, io);
      case 'list': return await list(rest, io);
      case 'show': return await show(rest, io);
      case 'delete': return await remove(rest, io);
      case 'resume': return await resume(rest, io);
      case 'mock-provider': return await (await import('./mock-provider.js')).mockProvider(rest, io);
      case 'worker': return await (await import('./worker.js')).worker(rest, io);
      case undefined: case 'help': case '--help': case '-h':
        io.stdout.write(`${USAGE}\n`);
        return command === undefined ? 2 : 0;
      default: {
        const extra = EXTRA_COMMANDS.get(command);
        if (extra) return await extra(rest, io);
        throw new CliError(`unknown command ${JSON.stringify(command)}. Commands: generate, list, show, delete, resume${[...EXTRA_COMMANDS.keys()].map((k) => `, ${k}`).join('')}.`, 2);
      }
    }
  } catch (error) {
    io.stderr.write(`error: ${describe(error)}\n`);
    return error instanceof CliError ? error.exitCode : 1;
  }
}

/** Further commands registered by other modules (mock-provider, serve, worker). */
export const EXTRA_COMMANDS = new Map<string, (args: string[], io: CliIo) => Promise<number>>();

function describe(error: unknown): string {
  if (error instanceof CliError) return error.message;
  if (GalleryError.isInstance(error)) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

async function open(values: { 'data-dir'?: string | boolean | undefined }, io: CliIo): Promise<EnvGallery> {
  const dataDir = resolveDataDir(typeof values['data-dir'] === 'string' ? values['data-dir'] : undefined, io.env);
  return createGalleryFromEnv({ dataDir, env: io.env });
}

const IMAGE_TYPES: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.webp': 'image/webp', '.bmp': 'image/bmp' };

function integer(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value)) throw new CliError(`--${name} must be a whole number (got ${JSON.stringify(value)}).`, 2);
  return Number(value);
}

async function generate(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, {
    'aspect-ratio': { type: 'string' }, resolution: { type: 'string' }, duration: { type: 'string' },
    'negative-prompt': { type: 'string' }, seed: { type: 'string' }, image: { type: 'string' },
    provider: { type: 'string' }, model: { type: 'string' },
  });
  if (values.help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new CliError('generate takes one prompt in quotes, for example: video-gallery generate "a red fox in the snow".', 2);
  const request: GenerateRequest = { prompt: positionals[0]! };
  if (values['aspect-ratio'] !== undefined) request.aspectRatio = values['aspect-ratio'];
  if (values.resolution !== undefined) request.resolution = values.resolution;
  const duration = integer('duration', values.duration);
  if (duration !== undefined) request.durationSeconds = duration;
  const seed = integer('seed', values.seed);
  if (seed !== undefined) request.seed = seed;
  if (values['negative-prompt'] !== undefined) request.negativePrompt = values['negative-prompt'];
  if (values.provider !== undefined) request.provider = values.provider;
  if (values.model !== undefined) request.model = values.model;
  if (values.image !== undefined) {
    const mediaType = IMAGE_TYPES[extname(values.image).toLowerCase()];
    if (!mediaType) throw new CliError(`--image ${values.image}: use a .png, .jpg, .webp or .bmp file.`, 2);
    let data: Uint8Array;
    try {
      data = new Uint8Array(await readFile(values.image));
    } catch (error) {
      throw new CliError(`--image ${values.image}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}.`, 2);
    }
    request.image = { data, mediaType };
  }

  const env = await open(values, io);
  const { gallery } = env;
  const bar = values.json ? null : new ProgressBar(io.stderr);
  let entryId: string | null = null;
  let interrupts = 0;
  let finish!: (entry: GalleryEntry | null) => void;
  const finished = new Promise<GalleryEntry | null>((resolve) => (finish = resolve));
  const onUpdate = (entry: GalleryEntry) => {
    if (entry.id !== entryId) return;
    bar?.update(entry);
    if (entry.status === 'ready' || entry.status === 'failed' || entry.status === 'cancelled') finish(entry);
  };
  gallery.on('entry-update', onUpdate);
  const removeInterrupt = io.onInterrupt(() => {
    interrupts++;
    if (!entryId || interrupts > 1) {
      io.stderr.write('\nstopping; the job stays in the gallery and `video-gallery resume` finishes it.\n');
      finish(null);
      return;
    }
    io.stderr.write('\ncancelling… (Ctrl-C again to stop without waiting)\n');
    gallery.cancel(entryId).catch((error: unknown) => {
      io.stderr.write(`cannot cancel now (${describe(error)}); waiting for it to finish. Ctrl-C again to stop.\n`);
    });
  });
  try {
    const entry = await gallery.generate(request);
    entryId = entry.id;
    bar?.update(entry);
    const done = await finished;
    bar?.stop();
    if (!done) return 130;
    if (done.status === 'cancelled') {
      io.stderr.write(`cancelled ${done.id}\n`);
      return 130;
    }
    if (done.status === 'failed') throw new CliError(`${done.error?.code}: ${done.error?.message} (entry ${done.id})`);
    const path = env.storage.pathOf?.(done.video!.key) ?? done.video!.key;
    if (values.json) {
      io.stdout.write(`${JSON.stringify({ ...done, videoPath: path, thumbnailPath: done.thumbnail ? env.storage.pathOf?.(done.thumbnail.key) ?? null : null }, null, 2)}\n`);
    } else {
      const v = done.video!;
      io.stdout.write(`ready ${done.id}\n`);
      io.stdout.write(`video:     ${path}\n`);
      if (done.thumbnail) io.stdout.write(`thumbnail: ${env.storage.pathOf?.(done.thumbnail.key) ?? done.thumbnail.key}\n`);
      io.stdout.write(`details:   ${v.width ?? '?'}x${v.height ?? '?'}, ${v.durationSeconds?.toFixed(2) ?? '?'} s, ${(v.bytes / 1024).toFixed(0)} KiB, ${done.request.provider}/${done.request.model}\n`);
    }
    return 0;
  } finally {
    bar?.stop();
    removeInterrupt();
    gallery.off('entry-update', onUpdate);
    await gallery.close();
  }
}

function parseStatuses(value: string | undefined): JobStatus[] | undefined {
  if (value === undefined) return undefined;
  const statuses = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const s of statuses) if (!JOB_STATUSES.includes(s as JobStatus)) throw new CliError(`--status ${s}: use ${JOB_STATUSES.join(', ')} (comma-separated).`, 2);
  return statuses as JobStatus[];
}

function row(entry: GalleryEntry): string {
  const prompt = entry.request.prompt.length > 48 ? `${entry.request.prompt.slice(0, 47)}…` : entry.request.prompt;
  return `${entry.id}  ${entry.status.padEnd(11)} ${entry.createdAt.slice(0, 19).replace('T', ' ')}  ${entry.favorite ? '★' : ' '} ${prompt}`;
}

async function list(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, { status: { type: 'string' }, q: { type: 'string' }, limit: { type: 'string' }, cursor: { type: 'string' } });
  const status = parseStatuses(values.status);
  const limit = integer('limit', values.limit) ?? 20;
  const { gallery } = await open(values, io);
  try {
    const page = await gallery.list({ limit, ...(status ? { status } : {}), ...(values.q ? { q: values.q } : {}), ...(values.cursor ? { cursor: values.cursor } : {}) });
    if (values.json) io.stdout.write(`${JSON.stringify(page, null, 2)}\n`);
    else {
      for (const entry of page.items) io.stdout.write(`${row(entry)}\n`);
      io.stdout.write(`${page.items.length} of ${page.total}${page.nextCursor ? ` (more: --cursor ${page.nextCursor})` : ''}\n`);
    }
    return 0;
  } finally {
    await gallery.close();
  }
}

async function show(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, {});
  if (positionals.length !== 1) throw new CliError('show takes one entry id.', 2);
  const env = await open(values, io);
  try {
    const entry = await env.gallery.get(positionals[0]!);
    if (!entry) throw new CliError(`no entry ${positionals[0]}.`);
    if (values.json) io.stdout.write(`${JSON.stringify(entry, null, 2)}\n`);
    else {
      io.stdout.write(`${row(entry)}\n`);
      io.stdout.write(`request:   ${JSON.stringify(entry.request)}\n`);
      if (entry.video) io.stdout.write(`video:     ${env.storage.pathOf?.(entry.video.key) ?? entry.video.key}\n`);
      if (entry.thumbnail) io.stdout.write(`thumbnail: ${env.storage.pathOf?.(entry.thumbnail.key) ?? entry.thumbnail.key}\n`);
      if (entry.error) io.stdout.write(`error:     ${entry.error.code}: ${entry.error.message}\n`);
    }
    return 0;
  } finally {
    await env.gallery.close();
  }
}

async function remove(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, {});
  if (positionals.length !== 1) throw new CliError('delete takes one entry id.', 2);
  const { gallery } = await open(values, io);
  try {
    await gallery.delete(positionals[0]!);
    io.stdout.write(`deleted ${positionals[0]}\n`);
    return 0;
  } catch (error) {
    if (GalleryError.isInstance(error) && error.code === 'not_found') throw new CliError(`no entry ${positionals[0]}.`);
    throw error;
  } finally {
    await gallery.close();
  }
}

async function resume(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, {});
  const { gallery } = await open(values, io);
  try {
    const active = await gallery.store.listActive();
    if (active.length === 0) {
      io.stdout.write('nothing to resume\n');
      return 0;
    }
    const waiting = new Set(active.map((e) => e.id));
    const done = new Promise<void>((resolve) => {
      gallery.on('job-end', (entry) => {
        waiting.delete(entry.id);
        io.stdout.write(`${entry.status} ${entry.id}${entry.error ? ` (${entry.error.code}: ${entry.error.message})` : ''}\n`);
        if (waiting.size === 0) resolve();
      });
    });
    io.stdout.write(`resuming ${await gallery.resume()} job(s)\n`);
    await done;
    return 0;
  } finally {
    await gallery.close();
  }
}
