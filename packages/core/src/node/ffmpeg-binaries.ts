import { constants } from 'node:fs';
import { access, chmod, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import { GalleryError } from '../errors.js';

interface Binary {
  name: 'ffmpeg' | 'ffprobe';
  envVar: 'FFMPEG_PATH' | 'FFPROBE_PATH';
  installer: '@ffmpeg-installer/ffmpeg' | '@ffprobe-installer/ffprobe';
}

const FFMPEG: Binary = { name: 'ffmpeg', envVar: 'FFMPEG_PATH', installer: '@ffmpeg-installer/ffmpeg' };
const FFPROBE: Binary = { name: 'ffprobe', envVar: 'FFPROBE_PATH', installer: '@ffprobe-installer/ffprobe' };
const cache = new Map<string, Promise<string>>();

async function isExecutable(path: string): Promise<boolean> {
  try {
    if (!(await stat(path)).isFile()) return false;
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function locate(binary: Binary, env: NodeJS.ProcessEnv): Promise<string> {
  const fromEnv = env[binary.envVar];
  if (fromEnv) {
    if (await isExecutable(fromEnv)) return fromEnv;
    throw new GalleryError('unsupported', `${binary.envVar}=${fromEnv} is not an executable file. Point it at a ${binary.name} binary or unset it.`, { retryable: false });
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, binary.name);
    if (await isExecutable(candidate)) return candidate;
  }
  try {
    const require = createRequire(import.meta.url);
    const { path } = require(binary.installer) as { path: string };
    if (await isExecutable(path)) return path;
    // Package managers that skip install scripts leave the binary without its executable bit.
    await chmod(path, 0o755);
    if (await isExecutable(path)) return path;
  } catch {
    // not installed
  }
  throw new GalleryError(
    'unsupported',
    `${binary.name} was not found. Install it (Debian/Ubuntu: apt-get install ffmpeg; macOS: brew install ffmpeg), set ${binary.envVar}, or install the optional package ${binary.installer}.`,
    { retryable: false },
  );
}

function find(binary: Binary, env: NodeJS.ProcessEnv): Promise<string> {
  const key = `${binary.name}\0${env[binary.envVar] ?? ''}\0${env.PATH ?? ''}`;
  let found = cache.get(key);
  if (!found) {
    found = locate(binary, env);
    cache.set(key, found);
    found.catch(() => cache.delete(key));
  }
  return found;
}

/**
 * The ffmpeg binary to use: `FFMPEG_PATH`, else `ffmpeg` on `PATH`, else the binary of the optional
 * `@ffmpeg-installer/ffmpeg` package. Throws `unsupported` saying how to install one.
 */
export function findFfmpeg(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return find(FFMPEG, env);
}

/** The ffprobe binary: `FFPROBE_PATH`, else `ffprobe` on `PATH`, else `@ffprobe-installer/ffprobe`. */
export function findFfprobe(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return find(FFPROBE, env);
}
