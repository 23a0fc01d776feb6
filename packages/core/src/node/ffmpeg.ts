import { spawn } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, chmod, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { delimiter, isAbsolute, join } from 'node:path';
import { GalleryError } from '../errors.js';

/** Which binary to look for. */
type Tool = 'ffmpeg' | 'ffprobe';

const TOOLS: Record<Tool, { env: string; installer: string }> = {
  ffmpeg: { env: 'FFMPEG_PATH', installer: '@ffmpeg-installer/ffmpeg' },
  ffprobe: { env: 'FFPROBE_PATH', installer: '@ffprobe-installer/ffprobe' },
};

/** Successful look-ups, keyed by the tool and the environment that was searched. Failures are not cached. */
const cache = new Map<string, Promise<string>>();

/**
 * Finds an ffmpeg binary that runs, in this order:
 * 1. the `FFMPEG_PATH` environment variable (when set, it must point at a working binary; there is no fallback);
 * 2. `ffmpeg` on `PATH`;
 * 3. the optional dependency `@ffmpeg-installer/ffmpeg` (a static build shipped through npm).
 *
 * A candidate counts only when `<binary> -version` runs and says it is ffmpeg. `env` defaults to `process.env`.
 * The result is cached per `FFMPEG_PATH` / `PATH` value. Throws `GalleryError('unsupported')` saying how to
 * install one when none is found.
 */
export function findFfmpeg(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return find('ffmpeg', env);
}

/**
 * Finds an ffprobe binary that runs: `FFPROBE_PATH`, then `ffprobe` on `PATH`, then the optional dependency
 * `@ffprobe-installer/ffprobe`. `env` defaults to `process.env`. Cached like {@link findFfmpeg}; throws `GalleryError('unsupported')` when none is found.
 */
export function findFfprobe(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return find('ffprobe', env);
}

function find(tool: Tool, env: NodeJS.ProcessEnv): Promise<string> {
  const envValue = env[TOOLS[tool].env];
  const key = `${tool}\0${envValue ?? ''}\0${env.PATH ?? ''}`;
  let found = cache.get(key);
  if (!found) {
    found = locate(tool, envValue, env.PATH ?? '');
    cache.set(key, found);
    found.catch(() => cache.delete(key));
  }
  return found;
}

async function locate(tool: Tool, envValue: string | undefined, searchPath: string): Promise<string> {
  const { env, installer } = TOOLS[tool];
  if (envValue !== undefined && envValue.trim() !== '') {
    const problem = await checkBinary(tool, envValue);
    if (problem) {
      throw new GalleryError(
        'unsupported',
        `${env} is set to "${envValue}", but ${problem}. Point ${env} at a working ${tool} binary, or unset it to use the ${tool} on PATH.`,
        { retryable: false },
      );
    }
    return envValue;
  }

  const tried: string[] = [];
  for (const candidate of pathCandidates(tool, searchPath)) {
    if (!(await isExecutableFile(candidate))) continue;
    const problem = await checkBinary(tool, candidate);
    if (!problem) return candidate;
    tried.push(`${candidate} (${problem})`);
  }

  const shipped = installerPath(installer);
  if (shipped) {
    // Package managers that skip install scripts can leave the shipped binary without its executable bit.
    if (process.platform !== 'win32' && !(await isExecutableFile(shipped))) await chmod(shipped, 0o755).catch(() => undefined);
    const problem = await checkBinary(tool, shipped);
    if (!problem) return shipped;
    tried.push(`${shipped} from ${installer} (${problem})`);
  }

  const platformHint =
    process.platform === 'darwin' ? '`brew install ffmpeg`'
    : process.platform === 'win32' ? '`winget install ffmpeg`'
    : '`apt-get install ffmpeg` (or your distribution\'s package)';
  throw new GalleryError(
    'unsupported',
    `No ${tool} binary was found${tried.length > 0 ? ` that runs (tried ${tried.join('; ')})` : ''}. ` +
      `Install ffmpeg with ${platformHint}, set ${env} to the path of a ${tool} binary, ` +
      `or install the optional npm package ${installer}.`,
    { retryable: false },
  );
}

function pathCandidates(tool: Tool, searchPath: string): string[] {
  const dirs = searchPath.split(delimiter).filter((dir) => dir !== '' && isAbsolute(dir));
  const names = process.platform === 'win32' ? [`${tool}.exe`, tool] : [tool];
  return dirs.flatMap((dir) => names.map((name) => join(dir, name)));
}

async function isExecutableFile(file: string): Promise<boolean> {
  try {
    const info = await stat(file);
    if (!info.isFile()) return false;
    if (process.platform !== 'win32') await access(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The binary path an installer package exports, or null when the package is not installed. */
function installerPath(name: string): string | null {
  try {
    const require = createRequire(import.meta.url);
    const loaded = require(name) as { path?: unknown };
    return typeof loaded.path === 'string' && loaded.path !== '' ? loaded.path : null;
  } catch {
    return null;
  }
}

/** Runs `<file> -version`; returns null when it works, or what went wrong. */
function checkBinary(tool: Tool, file: string): Promise<string | null> {
  return new Promise((resolve) => {
    let output = '';
    let settled = false;
    const done = (problem: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(problem);
    };
    const child = spawn(file, ['-version'], { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      done('it did not answer `-version` within 15 s');
    }, 15_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (output.length < 4096) output += chunk;
    });
    child.stderr.resume();
    child.on('error', (error: NodeJS.ErrnoException) => {
      done(error.code === 'ENOENT' ? 'no file is there' : error.code === 'EACCES' ? 'it is not executable' : `it could not be run (${error.message})`);
    });
    child.on('close', (code) => {
      if (code !== 0) done(`\`${tool} -version\` exited with code ${code ?? 'null'}`);
      else if (!output.toLowerCase().includes(`${tool} version`)) done(`it does not look like ${tool} (\`-version\` printed "${output.slice(0, 60).trim()}")`);
      else done(null);
    });
  });
}
