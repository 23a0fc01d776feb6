import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findFfmpeg, findFfprobe } from '@video-gallery/core/node';
import { createDashScopeMock, createKieMock, createVeoMock } from '@video-gallery/providers/testing';
import { main } from './main.js';
import { captureIo, tempDirs } from './test-support.js';

const tools = await Promise.all([findFfmpeg(), findFfprobe()]).catch(() => null);
if (!tools) {
  const reason = 'ffmpeg/ffprobe not found: the CLI end-to-end tests render and probe real videos';
  if (process.env.VG_REQUIRE_ALL === '1') throw new Error(`${reason}; VG_REQUIRE_ALL=1 makes this a failure.`);
  console.warn(`SKIP CLI tests: ${reason}`);
}
const ffprobe = tools?.[1] ?? '';

const tempDir = tempDirs('vg-cli-test-');

async function run(args: string[], env: NodeJS.ProcessEnv = {}, interrupt?: (fire: () => void) => void) {
  const captured = captureIo(env);
  const done = main(args, captured.io);
  interrupt?.(captured.interrupt);
  const code = await done;
  return { code, stdout: captured.stdout.text, stderr: captured.stderr.text };
}

function probe(file: string) {
  return JSON.parse(execFileSync(ffprobe, ['-v', 'error', '-show_entries', 'format=duration:stream=codec_name,width,height', '-of', 'json', file], { encoding: 'utf8' }));
}

describe.skipIf(!tools)('video-gallery CLI on the embedded default', () => {
  it('generate renders, re-hosts and thumbnails a video, then list/show/delete manage it', async () => {
    const dataDir = tempDir();
    const generated = await run(['generate', 'A paper boat on a lake', '--aspect-ratio', '9:16', '--resolution', '480p', '--duration', '2', '--data-dir', dataDir, '--json']);
    expect(generated.code).toBe(0);
    const entry = JSON.parse(generated.stdout);
    expect(entry).toMatchObject({ status: 'ready', request: { provider: 'local', aspectRatio: '9:16', durationSeconds: 2 } });
    expect(entry.videoPath.startsWith(join(dataDir, 'media'))).toBe(true);
    const p = probe(entry.videoPath);
    expect(p.streams[0]).toMatchObject({ codec_name: 'h264', width: 480, height: 854 });
    expect(Math.abs(Number(p.format.duration) - 2)).toBeLessThanOrEqual(0.1);
    expect(existsSync(entry.thumbnailPath)).toBe(true);

    const listed = await run(['list', '--data-dir', dataDir, '--status', 'ready', '--q', 'BOAT']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(entry.id);
    expect(listed.stdout).toContain('1 of 1');
    expect((await run(['list', '--data-dir', dataDir, '--q', 'zebra'])).stdout).toContain('0 of 0');

    const shown = await run(['show', entry.id, '--data-dir', dataDir]);
    expect(shown.stdout).toContain(entry.videoPath);

    expect((await run(['delete', entry.id, '--data-dir', dataDir])).code).toBe(0);
    expect(existsSync(entry.videoPath)).toBe(false);
    const again = await run(['show', entry.id, '--data-dir', dataDir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^error: no entry /m);
  }, 60_000);

  it('prints the entry id and the video path with a progress log when not --json', async () => {
    const dataDir = tempDir();
    const result = await run(['generate', 'lighthouse', '--duration', '1', '--resolution', '480p', '--data-dir', dataDir]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ready [0-9a-f-]{36}$/m);
    expect(result.stdout).toMatch(/^video: +\/.+\.mp4$/m);
    for (const state of ['queued', 'generating', 'ready']) expect(result.stderr).toContain(state);
  }, 60_000);

  it('takes --image for image-to-video', async () => {
    const dataDir = tempDir();
    const png = join(dataDir, 'in.png');
    execFileSync(tools![0], ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240', '-frames:v', '1', png]);
    const result = await run(['generate', 'zoom', '--image', png, '--aspect-ratio', '1:1', '--resolution', '480p', '--duration', '1', '--data-dir', dataDir, '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).request.image).toMatchObject({ mediaType: 'image/png' });
  }, 60_000);

  it('fails with a one-line reason and a non-zero exit code', async () => {
    const dataDir = tempDir();
    const invalid = await run(['generate', 'x', '--duration', '12', '--data-dir', dataDir]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr.trim()).toBe('error: invalid_input: durationSeconds: 12 is not supported by local-v1; use one of 1, 2, 3, 4, 5, 6, 7, 8, 9, 10.');
    expect((await run(['generate', 'x', '--duration', 'five', '--data-dir', dataDir])).code).toBe(2);
    expect((await run(['generate', '--data-dir', dataDir])).code).toBe(2);
    expect((await run(['frobnicate'])).code).toBe(2);
    const missing = await run(['generate', 'x', '--image', join(dataDir, 'nope.png'), '--data-dir', dataDir]);
    expect(missing.stderr).toMatch(/no such file/);
    writeFileSync(join(dataDir, 'notes.txt'), 'x');
    expect((await run(['generate', 'x', '--image', join(dataDir, 'notes.txt'), '--data-dir', dataDir])).stderr).toMatch(/\.png, \.jpg/);
  }, 60_000);

  it('Ctrl-C cancels the job cleanly (exit 130, entry cancelled)', async () => {
    const dataDir = tempDir();
    const result = await run(['generate', 'slow one', '--duration', '1', '--resolution', '480p', '--data-dir', dataDir], { VIDEO_GALLERY_LOCAL_LATENCY_MS: '60000' }, (fire) => setTimeout(fire, 300));
    expect(result.code).toBe(130);
    expect(result.stderr).toMatch(/cancelled [0-9a-f-]{36}/);
    const listed = await run(['list', '--data-dir', dataDir, '--status', 'cancelled', '--json']);
    expect(JSON.parse(listed.stdout).total).toBe(1);
  }, 60_000);
});

describe.skipIf(!tools)('video-gallery generate --provider <id> against each mock served on loopback', () => {
  const providers = [
    { id: 'dashscope', mock: () => createDashScopeMock({ pendingPolls: 2 }), env: (key: string, url: string) => ({ DASHSCOPE_API_KEY: key, DASHSCOPE_BASE_URL: url }) },
    { id: 'veo', mock: () => createVeoMock({ pendingPolls: 2 }), env: (key: string, url: string) => ({ GEMINI_API_KEY: key, VEO_BASE_URL: url }) },
    { id: 'kie', mock: () => createKieMock({ pendingPolls: 2 }), env: (key: string, url: string) => ({ KIE_API_KEY: key, KIE_BASE_URL: url, KIE_UPLOAD_BASE_URL: url }) },
  ];
  for (const { id, mock: make, env } of providers) {
    it(`${id}: reaches ready with a playable MP4 in storage`, async () => {
      const mock = make();
      const server = await mock.listen({ port: 0 });
      try {
        const dataDir = tempDir();
        const result = await run(['generate', 'A red fox in fresh snow', '--provider', id, '--data-dir', dataDir, '--json'], { ...env(mock.apiKey, server.baseURL), VIDEO_GALLERY_POLL_MS: '20' });
        expect(result.stderr).not.toMatch(/^error/m);
        expect(result.code).toBe(0);
        const entry = JSON.parse(result.stdout);
        expect(entry).toMatchObject({ status: 'ready', request: { provider: id } });
        const p = probe(entry.videoPath);
        expect(p.streams.map((s: { codec_name: string }) => s.codec_name)).toContain('h264');
        expect(Number(p.format.duration)).toBeGreaterThan(0.5);
        expect(entry.thumbnail).not.toBeNull();
      } finally {
        await server.close();
      }
    }, 60_000);
  }

  it('a provider error (wrong key) ends the command with its code', async () => {
    const mock = createDashScopeMock();
    const server = await mock.listen({ port: 0 });
    try {
      const result = await run(['generate', 'x', '--provider', 'dashscope', '--data-dir', tempDir()], { DASHSCOPE_API_KEY: 'sk-wrong', DASHSCOPE_BASE_URL: server.baseURL, VIDEO_GALLERY_POLL_MS: '20' });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^error: auth_failed: .*region/m);
    } finally {
      await server.close();
    }
  }, 60_000);
});
