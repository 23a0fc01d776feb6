// Shared by the example apps' tests (express, sveltekit): start an app as a child process on loopback and drive
// its HTTP API the way a browser would (demo sign-in cookie, gallery API, Range request on the video).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { findFfmpeg, findFfprobe } from '@video-gallery/core/node';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Fails with a clear message when the workspace packages have not been built (the apps run from `dist`). */
export function requireBuiltPackages(): void {
  const needed = [
    'packages/core/dist/index.js', 'packages/core/dist/server/index.js', 'packages/core/dist/node/index.js', 'packages/core/dist/client/index.js',
    'packages/cli/dist/index.js', 'packages/providers/dist/local/index.js', 'packages/storage-adapters/dist/fs/index.js', 'packages/storage-adapters/dist/sqlite/index.js',
  ];
  const missing = needed.filter((file) => !existsSync(join(repoRoot, file)));
  if (missing.length > 0) {
    throw new Error(`The example apps run the built packages, and these files are missing: ${missing.join(', ')}. Run \`pnpm build\` at the repository root first.`);
  }
}

/**
 * The ffmpeg and ffprobe the local provider renders with, or `null` (after a loud warning) when they are missing.
 * With `VG_REQUIRE_ALL=1` (set by .ci/run) missing tools throw instead, so CI never passes by skipping.
 */
export async function ffmpegOrSkip(what: string): Promise<{ ffmpeg: string; ffprobe: string } | null> {
  const ffmpeg = await findFfmpeg().catch(() => null);
  const ffprobe = await findFfprobe().catch(() => null);
  if (ffmpeg && ffprobe) return { ffmpeg, ffprobe };
  const reason = 'ffmpeg/ffprobe not found: the example renders a real video with the local provider';
  if (process.env.VG_REQUIRE_ALL === '1') throw new Error(`${reason}; VG_REQUIRE_ALL=1 makes this a failure.`);
  console.warn(`\n⚠ SKIP ${what}: ${reason}\n`);
  return null;
}

/** A free TCP port on 127.0.0.1 (for apps that cannot report the port they bound). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const { port } = server.address() as { port: number };
  await new Promise<void>((res) => server.close(() => res()));
  return port;
}

export interface RunningApp {
  origin: string;
  child: ChildProcess;
  output(): string;
  /** Sends SIGTERM and resolves with the exit code (or the signal that ended it). */
  stop(): Promise<number | string | null>;
}

/** Spawns an app and waits until its output matches `ready` (whose first group, if any, is the origin). */
export async function startApp(options: {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  ready: RegExp;
  origin?: string;
  timeoutMs?: number;
}): Promise<RunningApp> {
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: { ...process.env, NODE_OPTIONS: '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | string | null>((res) => child.once('exit', (code, signal) => res(code ?? signal)));
  const origin = await new Promise<string>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`${options.command} ${options.args.join(' ')} did not start within ${options.timeoutMs ?? 30_000} ms. Output:\n${output}`)), options.timeoutMs ?? 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = options.ready.exec(output);
      if (match) {
        clearTimeout(timer);
        res(match[1] ?? options.origin ?? '');
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      rej(new Error(`${options.command} ${options.args.join(' ')} exited (${code}) before it was ready. Output:\n${output}`));
    });
  });
  return {
    origin,
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode ?? child.signalCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Signs in through the demo form and returns the session cookie (`name=value`). */
export async function signIn(origin: string, name: string): Promise<string> {
  const response = await fetch(`${origin}/auth/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    // A browser sends Origin with a form post; SvelteKit's CSRF check requires it.
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
    body: new URLSearchParams({ name }).toString(),
  });
  expect(response.status, await response.clone().text()).toBe(303);
  const setCookie = response.headers.get('set-cookie') ?? '';
  expect(setCookie).toMatch(/HttpOnly/i);
  expect(setCookie).toMatch(/SameSite=Lax/i);
  const cookie = setCookie.split(';')[0]!;
  expect(cookie).toMatch(/^vg_session=.+/);
  return cookie;
}

async function json(response: Response): Promise<Record<string, unknown>> {
  const text = await response.text();
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new Error(`expected JSON, got HTTP ${response.status}: ${text.slice(0, 300)}`);
  }
}

/**
 * The end-to-end flow both examples must pass: sign in → generate with the local provider (1 s, 480p) →
 * poll until ready → Range request on the video (206, MP4 `ftyp`) → a second user cannot see it → delete →
 * 404 afterwards.
 */
export async function generateWatchDelete(origin: string): Promise<void> {
  const api = `${origin}/api/gallery`;
  const alice = await signIn(origin, 'alice');
  const bob = await signIn(origin, 'bob');

  expect((await fetch(`${api}/generations`)).status).toBe(401);

  const created = await fetch(`${api}/generations`, {
    method: 'POST',
    headers: { cookie: alice, 'content-type': 'application/json', 'idempotency-key': `test-${Date.now()}` },
    body: JSON.stringify({ prompt: 'A paper boat drifting across a calm lake', provider: 'local', durationSeconds: 1, resolution: '480p' }),
  });
  const entry = await json(created);
  expect(created.status, JSON.stringify(entry)).toBe(202);
  expect(entry).toMatchObject({ owner: 'alice', status: 'queued', request: { provider: 'local', durationSeconds: 1, resolution: '480p' } });
  const id = entry.id as string;

  const deadline = Date.now() + 60_000;
  let current = entry;
  while (current.status !== 'ready') {
    expect(['queued', 'submitting', 'generating', 'downloading', 'processing'], `job ended as ${JSON.stringify(current)}`).toContain(current.status);
    if (Date.now() > deadline) throw new Error(`the job did not become ready within 60 s: ${JSON.stringify(current)}`);
    await new Promise((res) => setTimeout(res, 200));
    const response = await fetch(`${api}/generations/${id}`, { headers: { cookie: alice } });
    expect(response.status).toBe(200);
    current = await json(response);
  }
  expect(current.video).toMatchObject({ contentType: 'video/mp4' });

  const video = await fetch(`${api}/generations/${id}/video?v=${current.attempt as number}`, { headers: { cookie: alice, range: 'bytes=0-15' } });
  expect(video.status).toBe(206);
  expect(video.headers.get('content-range')).toMatch(/^bytes 0-15\/\d+$/);
  const head = new Uint8Array(await video.arrayBuffer());
  expect(head).toHaveLength(16);
  expect(new TextDecoder().decode(head.subarray(4, 8))).toBe('ftyp');

  // Another user sees nothing of it.
  expect((await fetch(`${api}/generations/${id}`, { headers: { cookie: bob } })).status).toBe(404);
  expect((await fetch(`${api}/generations/${id}/video`, { headers: { cookie: bob } })).status).toBe(404);
  const bobsList = await json(await fetch(`${api}/generations`, { headers: { cookie: bob } }));
  expect(bobsList).toMatchObject({ items: [], total: 0 });
  const bobDelete = await fetch(`${api}/generations/${id}`, { method: 'DELETE', headers: { cookie: bob, 'video-gallery-request': '1' } });
  expect(bobDelete.status).toBe(404);
  const alicesList = await json(await fetch(`${api}/generations`, { headers: { cookie: alice } }));
  expect(alicesList).toMatchObject({ total: 1, items: [{ id }] });

  const deleted = await fetch(`${api}/generations/${id}`, { method: 'DELETE', headers: { cookie: alice, 'video-gallery-request': '1' } });
  expect(deleted.status).toBe(204);
  expect((await fetch(`${api}/generations/${id}`, { headers: { cookie: alice } })).status).toBe(404);
  expect((await fetch(`${api}/generations/${id}/video`, { headers: { cookie: alice } })).status).toBe(404);
}
