import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { setupServer } from 'msw/node';
import { GalleryError } from '@video-gallery/core';
import type { JSONValue, ProviderOutput, ProviderRequest, ProviderStatus } from '@video-gallery/core';
import { looksLikeMp4 } from '@video-gallery/core/testing';
import { manualClock } from '../testing/mock-base.js';
import { createVeoMock } from '../testing/veo-mock.js';
import type { VeoMock } from '../testing/veo-mock.js';
import { createVeo, veo } from './veo-video-provider.js';
import { VEO_RESULT_TTL_SECONDS } from './veo-capabilities.js';
import textFixture from './__fixtures__/request-text.json' with { type: 'json' };
import firstLastFixture from './__fixtures__/request-first-last-frame.json' with { type: 'json' };
import veo2Fixture from './__fixtures__/request-veo2-image.json' with { type: 'json' };
import startResponse from './__fixtures__/start-response.json' with { type: 'json' };
import runningFixture from './__fixtures__/operation-running.json' with { type: 'json' };
import doneFixture from './__fixtures__/operation-done.json' with { type: 'json' };
import raiFixture from './__fixtures__/operation-rai-filtered.json' with { type: 'json' };
import errorFixture from './__fixtures__/operation-error.json' with { type: 'json' };
import { failed, fixedFetch, recordingFetch, rejection } from '../provider-test-support.js';

const KEY = 'test-gemini-key';
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]);

const textRequest: ProviderRequest = {
  model: 'veo-3.1-fast-generate-preview', mode: 'text', prompt: 'A slow dolly shot through a rainy neon alley',
  negativePrompt: 'cartoon, low quality', aspectRatio: '16:9', resolution: '720p', durationSeconds: 8,
};
const TASK = { provider: 'veo', operation: 'models/veo-3.1-fast-generate-preview/operations/2wuadveixogd', model: 'veo-3.1-fast-generate-preview' } as const;

describe('veo request shape (exact body and headers)', () => {
  it('text-to-video: POST models/{model}:predictLongRunning with x-goog-api-key and the fixture body', async () => {
    const mock = createVeoMock();
    const recorder = recordingFetch(mock);
    const provider = createVeo({ apiKey: KEY, fetch: recorder.fetch });
    const started = await provider.start(textRequest, { idempotencyKey: 'k1' });
    expect(recorder.requests).toHaveLength(1);
    const request = recorder.requests[0]!;
    expect(request.method).toBe('POST');
    expect(request.url).toBe(textFixture.url);
    expect(request.headers.get('x-goog-api-key')).toBe(textFixture.headers['x-goog-api-key']);
    expect(request.headers.get('content-type')).toBe(textFixture.headers['content-type']);
    expect(request.headers.get('authorization')).toBeNull();
    expect(await request.json()).toStrictEqual(textFixture.body);
    expect(started.task).toEqual({ provider: 'veo', operation: expect.stringMatching(/^models\/veo-3\.1-fast-generate-preview\/operations\/[a-z0-9]+$/), model: 'veo-3.1-fast-generate-preview' });
  });

  it('first + last frame with personGeneration and seed', async () => {
    const mock = createVeoMock();
    const recorder = recordingFetch(mock);
    const provider = createVeo({ apiKey: KEY, fetch: recorder.fetch, personGeneration: 'allow_adult' });
    await provider.start(
      { model: 'veo-3.1-generate-preview', mode: 'first-last-frame', prompt: 'The kite rises over the dunes', aspectRatio: '9:16', resolution: '1080p', durationSeconds: 8, seed: 42, image: { data: PNG, mediaType: 'image/png' }, lastFrame: { data: JPEG, mediaType: 'image/jpeg' } },
      { idempotencyKey: 'k2' },
    );
    const request = recorder.requests[0]!;
    expect(request.url).toBe(firstLastFixture.url);
    expect(await request.json()).toStrictEqual(firstLastFixture.body);
  });

  it('Veo 2 image-to-video leaves resolution out', async () => {
    const mock = createVeoMock();
    const recorder = recordingFetch(mock);
    const provider = createVeo({ apiKey: KEY, fetch: recorder.fetch });
    await provider.start(
      { model: 'veo-2.0-generate-001', mode: 'image', prompt: 'The cat turns its head and yawns', aspectRatio: '16:9', resolution: '720p', durationSeconds: 5, image: { data: PNG, mediaType: 'image/png' } },
      { idempotencyKey: 'k3' },
    );
    expect(recorder.requests[0]!.url).toBe(veo2Fixture.url);
    expect(await recorder.requests[0]!.json()).toStrictEqual(veo2Fixture.body);
  });

  it('polls GET {base}/{operation.name} with the key header', async () => {
    const mock = createVeoMock();
    const recorder = recordingFetch(mock);
    const provider = createVeo({ apiKey: KEY, fetch: recorder.fetch, baseURL: 'https://proxy.example/v1beta/' });
    const { task } = await provider.start(textRequest, { idempotencyKey: 'k4' });
    await provider.status(task, {});
    const poll = recorder.requests[1]!;
    expect(poll.method).toBe('GET');
    expect(poll.url).toBe(`https://proxy.example/v1beta/${(task as { operation: string }).operation}`);
    expect(poll.headers.get('x-goog-api-key')).toBe(KEY);
  });
});

describe('veo status mapping (wire fixtures)', () => {
  const statusWith = (body: unknown, status = 200) => createVeo({ apiKey: KEY, fetch: fixedFetch(status, body) }).status(TASK, {});

  it('reads the operation name from the start response', async () => {
    const provider = createVeo({ apiKey: KEY, fetch: fixedFetch(200, startResponse) });
    const started = await provider.start(textRequest, { idempotencyKey: 'k' });
    expect(started.task).toEqual(TASK);
  });

  it('done left out → pending', async () => {
    expect(await statusWith(runningFixture)).toEqual({ state: 'pending' });
    expect(await statusWith({ ...runningFixture, done: false, metadata: {} })).toEqual({ state: 'pending' });
  });

  it('done + samples → succeeded with the URI, the key header and a 2-day expiry', async () => {
    const before = Date.now();
    const status = await statusWith(doneFixture);
    expect(status.state).toBe('succeeded');
    if (status.state !== 'succeeded') return;
    const output = status.outputs[0] as Extract<ProviderOutput, { url: string }>;
    expect(output.url).toBe('https://generativelanguage.googleapis.com/v1beta/files/9awrnhhzmich:download?alt=media');
    expect(output.headers).toEqual({ 'x-goog-api-key': KEY });
    const expires = Date.parse(output.expiresAt ?? '');
    expect(expires).toBeGreaterThanOrEqual(before + VEO_RESULT_TTL_SECONDS * 1000);
    expect(expires).toBeLessThanOrEqual(Date.now() + VEO_RESULT_TTL_SECONDS * 1000);
  });

  it('never sends the key to a result host it was not configured with', async () => {
    const body = structuredClone(doneFixture);
    body.response.generateVideoResponse.generatedSamples[0]!.video.uri = 'https://storage.example.com/v.mp4';
    const status = await statusWith(body);
    expect(status.state === 'succeeded' && status.outputs[0]).toEqual({ url: 'https://storage.example.com/v.mp4', expiresAt: expect.any(String) });
  });

  it('done + RAI filter and no samples → content_policy carrying the reasons (not success)', async () => {
    const error = failed(await statusWith(raiFixture));
    expect(error).toMatchObject({ code: 'content_policy', retryable: false });
    expect(error.message).toContain('We encountered an issue with the audio for your prompt');
  });

  it('done + error (numeric gRPC code 3) → invalid_input', async () => {
    const error = failed(await statusWith(errorFixture));
    expect(error).toMatchObject({ code: 'invalid_input', providerCode: 'INVALID_ARGUMENT', retryable: false });
    expect(error.message).toContain('Unsupported image aspect ratio.');
  });

  it('done + error code 8 → rate_limited, 14 → retryable provider_error', async () => {
    expect(failed(await statusWith({ name: TASK.operation, done: true, error: { code: 8, message: 'quota' } }))).toMatchObject({ code: 'rate_limited', retryable: true });
    expect(failed(await statusWith({ name: TASK.operation, done: true, error: { code: 14, message: 'unavailable' } }))).toMatchObject({ code: 'provider_error', retryable: true });
  });

  it('done with neither samples nor a reason → retryable provider_error, never success', async () => {
    const error = failed(await statusWith({ name: TASK.operation, done: true, response: { generateVideoResponse: {} } }));
    expect(error).toMatchObject({ code: 'provider_error', retryable: true });
  });

  it('inline encodedVideo bytes become an opener output', async () => {
    const status = await statusWith({ name: TASK.operation, done: true, response: { generateVideoResponse: { generatedSamples: [{ video: { encodedVideo: 'AAAAGGZ0eXBpc29t', encoding: 'video/mp4' } }] } } });
    expect(status.state).toBe('succeeded');
    if (status.state !== 'succeeded') return;
    const output = status.outputs[0]!;
    if (output.url !== undefined) throw new Error('expected an opener');
    const opened = await output.open({});
    expect(opened.contentType).toBe('video/mp4');
    expect(looksLikeMp4(new Uint8Array(await new Response(opened.body).arrayBuffer()))).toBe(true);
  });

  it('rejects a task that is not a Veo operation, including path escapes', async () => {
    const provider = createVeo({ apiKey: KEY, fetch: fixedFetch(200, runningFixture) });
    expect(await rejection(provider.status({ provider: 'veo', operation: 'models/x/operations/../../files/abc', model: 'x' }, {}))).toMatchObject({ code: 'invalid_input' });
    expect(await rejection(provider.status('models/x/operations/y', {}))).toMatchObject({ code: 'invalid_input' });
  });
});

describe('veo against the msw mock', () => {
  const server = setupServer();
  let mock: VeoMock;
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterEach(() => {
    server.resetHandlers();
    mock?.reset();
  });
  afterAll(() => server.close());

  async function setup(options: Parameters<typeof createVeoMock>[0] = {}, settings: Parameters<typeof createVeo>[0] = {}) {
    mock = createVeoMock(options);
    server.use(...(await mock.msw()));
    return createVeo({ apiKey: mock.apiKey, ...settings });
  }

  async function runToEnd(provider: ReturnType<typeof createVeo>, task: JSONValue): Promise<ProviderStatus> {
    for (let i = 0; i < 20; i++) {
      const status = await provider.status(task, {});
      if (status.state !== 'pending') return status;
    }
    throw new Error('still pending');
  }

  it('runs pending → succeeded, and the output downloads as an MP4 through the 302 with the key header', async () => {
    const provider = await setup({ pendingPolls: 2 });
    const { task } = await provider.start(textRequest, { idempotencyKey: 'k' });
    expect((await provider.status(task, {})).state).toBe('pending');
    const status = await runToEnd(provider, task);
    expect(status.state).toBe('succeeded');
    if (status.state !== 'succeeded') return;
    const output = status.outputs[0] as Extract<ProviderOutput, { url: string }>;
    const response = await fetch(output.url, { headers: output.headers ?? {} });
    expect(response.status).toBe(200);
    expect(response.redirected).toBe(true);
    expect(new URL(response.url).pathname).toMatch(/^\/blob\//);
    expect(looksLikeMp4(new Uint8Array(await response.arrayBuffer()))).toBe(true);
  });

  it('a missing key fails before any request, naming GEMINI_API_KEY', async () => {
    const saved = process.env.GEMINI_API_KEY;
    delete process.env.GEMINI_API_KEY;
    try {
      await setup();
      const provider = createVeo();
      const error = await rejection(provider.start(textRequest, { idempotencyKey: 'k' }));
      expect(error).toMatchObject({ code: 'auth_failed', retryable: false });
      expect(error.message).toContain('GEMINI_API_KEY');
      expect(mock.calls).toHaveLength(0);
    } finally {
      if (saved !== undefined) process.env.GEMINI_API_KEY = saved;
    }
  });

  it('a wrong key (400 API_KEY_INVALID) → auth_failed', async () => {
    const provider = await setup();
    const wrong = createVeo({ apiKey: 'not-the-key' });
    expect(await rejection(wrong.start(textRequest, { idempotencyKey: 'k' }))).toMatchObject({ code: 'auth_failed', status: 400 });
    mock.failNext('bad-key');
    expect(await rejection(provider.start(textRequest, { idempotencyKey: 'k' }))).toMatchObject({ code: 'auth_failed' });
  });

  it('400 FAILED_PRECONDITION (no paid tier) → quota_exceeded explaining billing', async () => {
    const provider = await setup();
    mock.failNext('paid-tier');
    const error = await rejection(provider.start(textRequest, { idempotencyKey: 'k' }));
    expect(error).toMatchObject({ code: 'quota_exceeded', retryable: false, providerCode: 'FAILED_PRECONDITION' });
    expect(error.message).toMatch(/billing/);
  });

  it('429 RESOURCE_EXHAUSTED → rate_limited with the RetryInfo delay, at start and while polling', async () => {
    const provider = await setup();
    mock.failNext('rate-limit', { route: 'submit' });
    expect(await rejection(provider.start(textRequest, { idempotencyKey: 'k' }))).toMatchObject({ code: 'rate_limited', retryable: true, retryAfterMs: 7000 });
    expect(mock.control.startCount()).toBe(0);
    const { task } = await provider.start(textRequest, { idempotencyKey: 'k' });
    mock.failNext('rate-limit', { route: 'poll' });
    expect(await rejection(provider.status(task, {}))).toMatchObject({ code: 'rate_limited', retryable: true });
    expect(mock.control.startCount()).toBe(1);
  });

  it('a refused prompt at submit → content_policy; RAI filtering while polling → content_policy', async () => {
    const provider = await setup();
    mock.failNext('moderation-submit');
    expect(await rejection(provider.start(textRequest, { idempotencyKey: 'k' }))).toMatchObject({ code: 'content_policy', retryable: false });
    const { task } = await provider.start(textRequest, { idempotencyKey: 'k' });
    mock.failNext('moderation-poll');
    expect(failed(await provider.status(task, {}))).toMatchObject({ code: 'content_policy' });
  });

  it('5xx while polling throws a retryable provider_error (the poll is retried, never the generation)', async () => {
    const provider = await setup();
    const { task } = await provider.start(textRequest, { idempotencyKey: 'k' });
    mock.failNext('server-error', { route: 'poll' });
    expect(await rejection(provider.status(task, {}))).toMatchObject({ code: 'provider_error', retryable: true, status: 500 });
    mock.failNext('unavailable', { route: 'poll' });
    expect(await rejection(provider.status(task, {}))).toMatchObject({ code: 'provider_error', retryable: true, status: 503 });
    expect((await provider.status(task, {})).state).toBe('pending');
    expect(mock.control.startCount()).toBe(1);
  });

  it('an operation Google no longer knows (404) → failed expired', async () => {
    const provider = await setup();
    const { task } = await provider.start(textRequest, { idempotencyKey: 'k' });
    mock.failNext('expired');
    expect(failed(await provider.status(task, {}))).toMatchObject({ code: 'expired', retryable: false });
  });

  it('a generic operation failure → retryable provider_error', async () => {
    const provider = await setup();
    mock.control.script('fail-generic', { pendingPolls: 0 });
    const { task } = await provider.start(textRequest, { idempotencyKey: 'k' });
    expect(failed(await provider.status(task, {}))).toMatchObject({ code: 'provider_error', retryable: true, providerCode: 'INTERNAL' });
  });

  it('malformed JSON: at start not retryable (a task may exist), while polling retryable', async () => {
    const provider = await setup();
    mock.failNext('malformed', { route: 'submit' });
    expect(await rejection(provider.start(textRequest, { idempotencyKey: 'k' }))).toMatchObject({ code: 'provider_error', retryable: false, raw: expect.stringContaining('{"name"') });
    const { task } = await provider.start(textRequest, { idempotencyKey: 'k' });
    mock.failNext('malformed', { route: 'poll' });
    expect(await rejection(provider.status(task, {}))).toMatchObject({ code: 'provider_error', retryable: true });
  });

  it('no answer within timeoutMs → timeout (retryable only for the poll)', async () => {
    const provider = await setup({ stallMaxMs: 5_000 }, { timeoutMs: 150 });
    const { task } = await provider.start(textRequest, { idempotencyKey: 'k' });
    mock.failNext('timeout', { route: 'poll' });
    expect(await rejection(provider.status(task, {}))).toMatchObject({ code: 'timeout', retryable: true });
    mock.failNext('timeout', { route: 'submit' });
    expect(await rejection(provider.start(textRequest, { idempotencyKey: 'k' }))).toMatchObject({ code: 'timeout', retryable: false });
  });

  it('an unknown model → unsupported', async () => {
    const provider = await setup();
    const error = await rejection(provider.start({ ...textRequest, model: 'veo-9-ultra' }, { idempotencyKey: 'k' }));
    expect(error).toMatchObject({ code: 'unsupported', status: 404, retryable: false });
  });

  it('the 8-second rule and duration bounds come back as invalid_input naming durationSeconds', async () => {
    const provider = await setup();
    const rule = await rejection(provider.start({ ...textRequest, resolution: '1080p', durationSeconds: 6 }, { idempotencyKey: 'k' }));
    expect(rule).toMatchObject({ code: 'invalid_input', field: 'durationSeconds', status: 400 });
    expect(rule.message).toContain('must be 8');
    const bound = await rejection(provider.start({ ...textRequest, durationSeconds: 12 }, { idempotencyKey: 'k' }));
    expect(bound.message).toContain('between 4 and 8, inclusive');
    expect(mock.control.startCount()).toBe(0);
  });

  it('cancel is honest: the Gemini API cannot cancel, so cancelled is false and the task runs on', async () => {
    const provider = await setup();
    const { task } = await provider.start(textRequest, { idempotencyKey: 'k' });
    expect(await provider.cancel(task)).toEqual({ cancelled: false });
    expect((await runToEnd(provider, task)).state).toBe('succeeded');
  });

  it('trustedOrigins is the origin of the base URL', async () => {
    expect(createVeo({ apiKey: KEY }).trustedOrigins()).toEqual(['https://generativelanguage.googleapis.com']);
    expect(createVeo({ apiKey: KEY, baseURL: 'http://127.0.0.1:8788/v1beta' }).trustedOrigins()).toEqual(['http://127.0.0.1:8788']);
  });
});

describe('veo mock downloads', () => {
  it('needs the key (header or ?key=), redirects to the blob, and forgets files after the TTL', async () => {
    const clock = manualClock();
    const mock = createVeoMock({ clock, pendingPolls: 0, fileTtlMs: 60_000 });
    const served = await mock.listen();
    try {
      const provider = createVeo({ apiKey: mock.apiKey, baseURL: served.baseURL });
      const { task } = await provider.start(textRequest, { idempotencyKey: 'k' });
      const status = await provider.status(task, {});
      if (status.state !== 'succeeded' || status.outputs[0]?.url === undefined) throw new Error('expected success');
      const url = status.outputs[0].url;
      expect(url.startsWith(served.url)).toBe(true);
      expect(status.outputs[0].headers).toEqual({ 'x-goog-api-key': mock.apiKey });
      expect((await fetch(url)).status).toBe(403);
      const viaHeader = await fetch(url, { headers: { 'x-goog-api-key': mock.apiKey }, redirect: 'manual' });
      expect(viaHeader.status).toBe(302);
      expect(viaHeader.headers.get('location')).toMatch(/\/blob\/[a-z0-9]+$/);
      const viaQuery = await fetch(`${url}&key=${mock.apiKey}`);
      expect(viaQuery.status).toBe(200);
      expect(viaQuery.headers.get('content-type')).toBe('video/mp4');
      expect(looksLikeMp4(new Uint8Array(await viaQuery.arrayBuffer()))).toBe(true);
      clock.advance(60_000);
      expect((await fetch(url, { headers: { 'x-goog-api-key': mock.apiKey } })).status).toBe(404);
    } finally {
      await served.close();
    }
  });
});

describe('veo default instance', () => {
  it('reads GEMINI_API_KEY and VEO_BASE_URL at call time', async () => {
    const mock = createVeoMock({ apiKey: 'env-key', pendingPolls: 0 });
    const served = await mock.listen();
    const saved = { key: process.env.GEMINI_API_KEY, base: process.env.VEO_BASE_URL };
    try {
      process.env.GEMINI_API_KEY = 'env-key';
      process.env.VEO_BASE_URL = served.baseURL;
      expect(veo.trustedOrigins()).toEqual([served.url]);
      const { task } = await veo.start(textRequest, { idempotencyKey: 'k' });
      expect((await veo.status(task, {})).state).toBe('succeeded');
      expect(mock.calls[0]?.headers['x-goog-api-key']).toBe('env-key');
    } finally {
      for (const [name, value] of [['GEMINI_API_KEY', saved.key], ['VEO_BASE_URL', saved.base]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      await served.close();
    }
  });
});
