import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { setupServer } from 'msw/node';
import { GalleryError } from '@video-gallery/core';
import type { JSONValue, ProviderOutput, ProviderRequest, ProviderStatus } from '@video-gallery/core';
import { looksLikeMp4 } from '@video-gallery/core/testing';
import { manualClock } from '../testing/mock-base.js';
import { createKieMock } from '../testing/kie-mock.js';
import type { KieMock, KieMockOptions } from '../testing/kie-mock.js';
import { createKie, kie } from './kie-video-provider.js';
import type { KieProviderSettings } from './kie-video-settings.js';
import { KIE_RESULT_TTL_SECONDS } from './kie-capabilities.js';
import veoText from './__fixtures__/request-veo-text.json' with { type: 'json' };
import kling from './__fixtures__/request-kling.json' with { type: 'json' };
import createResponse from './__fixtures__/create-response.json' with { type: 'json' };
import generating from './__fixtures__/record-info-generating.json' with { type: 'json' };
import success from './__fixtures__/record-info-success.json' with { type: 'json' };
import successLegacy from './__fixtures__/record-info-success-legacy.json' with { type: 'json' };
import failedFlag3 from './__fixtures__/record-info-failed.json' with { type: 'json' };
import recordNull from './__fixtures__/record-info-null.json' with { type: 'json' };
import jobsGenerating from './__fixtures__/jobs-record-generating.json' with { type: 'json' };
import jobsSuccess from './__fixtures__/jobs-record-success.json' with { type: 'json' };
import jobsFail from './__fixtures__/jobs-record-fail.json' with { type: 'json' };
import uploadResponse from './__fixtures__/upload-response.json' with { type: 'json' };
import error401 from './__fixtures__/error-401.json' with { type: 'json' };
import error402 from './__fixtures__/error-402.json' with { type: 'json' };
import error429 from './__fixtures__/error-429.json' with { type: 'json' };
import { failed, fixedFetch, recordingFetch, rejection } from '../provider-test-support.js';

const KEY = 'test-kie-key';
const PNG = new Uint8Array([1, 2, 3]);
const veoRequest: ProviderRequest = { model: 'veo3_fast', mode: 'text', prompt: 'A dog playing in a park', aspectRatio: '16:9', resolution: '720p', durationSeconds: 8 };
const wanRequest: ProviderRequest = { model: 'wan/2-6-text-to-video', mode: 'text', prompt: 'A knitted burger', aspectRatio: '16:9', resolution: '720p', durationSeconds: 5 };
const VEO_TASK = { provider: 'kie', api: 'veo', taskId: 'veo_task_abcdef123456', model: 'veo3_fast', submittedAt: '2020-01-01T00:00:00.000Z' };
const JOBS_TASK = { provider: 'kie', api: 'jobs', taskId: 'task_12345678', model: 'kling/v2-1-standard', submittedAt: '2020-01-01T00:00:00.000Z' };

describe('kie request shape (exact body and headers)', () => {
  it('Veo: POST /api/v1/veo/generate with Bearer key, JSON, a browser-like User-Agent and the fixture body', async () => {
    const mock = createKieMock();
    const recorder = recordingFetch(mock);
    const provider = createKie({ apiKey: KEY, fetch: recorder.fetch, callbackUrl: 'https://example.com/api/gallery/webhooks/kie' });
    const started = await provider.start({ ...veoRequest, seed: 12345 }, { idempotencyKey: 'k1' });
    expect(recorder.requests).toHaveLength(1);
    const request = recorder.requests[0]!;
    expect(request.method).toBe('POST');
    expect(request.url).toBe(veoText.url);
    expect(request.headers.get('authorization')).toBe(veoText.headers.authorization);
    expect(request.headers.get('content-type')).toBe(veoText.headers['content-type']);
    expect(request.headers.get('user-agent')).toMatch(/^Mozilla\//);
    expect(await request.json()).toStrictEqual(veoText.body);
    expect(started.task).toEqual({ provider: 'kie', api: 'veo', taskId: expect.any(String), model: 'veo3_fast', submittedAt: expect.any(String) });
  });

  it('jobs API: a public image URL is used as is (no upload)', async () => {
    const mock = createKieMock();
    const recorder = recordingFetch(mock);
    const provider = createKie({ apiKey: KEY, fetch: recorder.fetch });
    const started = await provider.start(
      { model: 'kling/v2-1-standard', mode: 'image', prompt: 'The astronaut stands up and walks away', negativePrompt: 'blur, distortion', aspectRatio: 'auto', resolution: '720p', durationSeconds: 10, image: { data: PNG, mediaType: 'image/png', url: 'https://example.com/astronaut.png' } },
      { idempotencyKey: 'k2' },
    );
    expect(recorder.requests.map((r) => r.url)).toEqual([kling.url]);
    expect(await recorder.requests[0]!.json()).toStrictEqual(kling.body);
    expect(started.task).toMatchObject({ api: 'jobs', model: 'kling/v2-1-standard' });
  });

  it('local image bytes are uploaded first (file-base64-upload), then the downloadUrl is sent', async () => {
    const mock = createKieMock();
    const recorder = recordingFetch(mock);
    const provider = createKie({ apiKey: KEY, fetch: recorder.fetch });
    await provider.start(
      { model: 'hailuo/02-image-to-video-standard', mode: 'first-last-frame', prompt: 'The flower opens', aspectRatio: 'auto', resolution: '768p', durationSeconds: 6, image: { data: PNG, mediaType: 'image/png' }, lastFrame: { data: new Uint8Array([4, 5]), mediaType: 'image/jpeg' } },
      { idempotencyKey: 'job:42' },
    );
    const [first, last, create] = recorder.requests;
    expect(first!.url).toBe('https://kieai.redpandaai.co/api/file-base64-upload');
    expect(first!.headers.get('authorization')).toBe(`Bearer ${KEY}`);
    expect(await first!.json()).toStrictEqual({ base64Data: 'data:image/png;base64,AQID', uploadPath: 'video-gallery', fileName: 'job_42-first.png' });
    expect(await last!.json()).toStrictEqual({ base64Data: 'data:image/jpeg;base64,BAU=', uploadPath: 'video-gallery', fileName: 'job_42-last.jpg' });
    expect(create!.url).toBe('https://api.kie.ai/api/v1/jobs/createTask');
    expect(await create!.json()).toStrictEqual({
      model: 'hailuo/02-image-to-video-standard',
      input: {
        prompt: 'The flower opens',
        image_url: 'https://kieai.redpandaai.co/files/video-gallery/job_42-first.png',
        end_image_url: 'https://kieai.redpandaai.co/files/video-gallery/job_42-last.jpg',
        duration: '6',
        resolution: '768P',
      },
    });
    expect([...mock.files.keys()].sort()).toEqual(['video-gallery/job_42-first.png', 'video-gallery/job_42-last.jpg']);
  });

  it('uses downloadUrl from the upload response (fixture)', async () => {
    const seen: string[] = [];
    const fetchFn: typeof fetch = async (input, init) => {
      const request = new Request(input, init);
      seen.push(request.url);
      if (request.url.endsWith('/api/file-base64-upload')) return new Response(JSON.stringify(uploadResponse), { status: 200 });
      expect((await request.json() as { imageUrls: string[] }).imageUrls).toEqual([uploadResponse.data.downloadUrl]);
      return new Response(JSON.stringify(createResponse), { status: 200 });
    };
    const provider = createKie({ apiKey: KEY, fetch: fetchFn });
    const started = await provider.start({ ...veoRequest, mode: 'image', image: { data: PNG, mediaType: 'image/png' } }, { idempotencyKey: 'k1' });
    expect(started.task).toMatchObject({ api: 'veo', taskId: 'veo_task_abcdef123456' });
    expect(seen).toHaveLength(2);
  });

  it('polls GET record-info (Veo) or recordInfo (jobs) with the taskId query', async () => {
    const urls: string[] = [];
    const fetchFn: typeof fetch = async (input, init) => {
      urls.push(new Request(input, init).url);
      return new Response(JSON.stringify(generating), { status: 200 });
    };
    const provider = createKie({ apiKey: KEY, fetch: fetchFn, baseURL: 'https://proxy.example/' });
    await provider.status(VEO_TASK, {});
    await provider.status(JOBS_TASK, {});
    expect(urls).toEqual(['https://proxy.example/api/v1/veo/record-info?taskId=veo_task_abcdef123456', 'https://proxy.example/api/v1/jobs/recordInfo?taskId=task_12345678']);
  });
});

describe('kie status mapping (wire fixtures)', () => {
  const statusWith = (task: JSONValue, body: unknown, settings: KieProviderSettings = {}, httpStatus = 200) =>
    createKie({ apiKey: KEY, fetch: fixedFetch(httpStatus, body), ...settings }).status(task, {});

  it('successFlag 0 → pending', async () => {
    expect(await statusWith(VEO_TASK, generating)).toEqual({ state: 'pending' });
  });

  it('successFlag 1 → the response.resultUrls array, expiring in 20 minutes', async () => {
    const now = Date.UTC(2026, 0, 1);
    const status = await statusWith(VEO_TASK, success, { now: () => now });
    expect(status).toEqual({
      state: 'succeeded',
      outputs: [{ url: 'https://tempfile.aiquickdraw.com/v/abc_1749711595.mp4', expiresAt: new Date(now + KIE_RESULT_TTL_SECONDS * 1000).toISOString() }],
      usage: { resolution: '720p' },
    });
  });

  it('successFlag 1 with the quickstart shape (stringified top-level resultUrls) still succeeds', async () => {
    const status = await statusWith(VEO_TASK, successLegacy);
    expect(status.state === 'succeeded' && status.outputs.map((o) => o.url)).toEqual(['https://tempfile.aiquickdraw.com/v/legacy.mp4']);
  });

  it('successFlag 3 with a flagged prompt → content_policy; 2 with errorCode 500 → retryable provider_error', async () => {
    expect(failed(await statusWith(VEO_TASK, failedFlag3))).toMatchObject({ code: 'content_policy', retryable: false, providerCode: '400' });
    const flag2 = structuredClone(failedFlag3);
    Object.assign(flag2.data, { successFlag: 2, errorCode: 500, errorMessage: 'Internal error or timeout' });
    expect(failed(await statusWith(VEO_TASK, flag2))).toMatchObject({ code: 'provider_error', retryable: true, providerCode: '500' });
    Object.assign(flag2.data, { errorCode: 400, errorMessage: 'Only English prompts are supported' });
    expect(failed(await statusWith(VEO_TASK, flag2))).toMatchObject({ code: 'invalid_input' });
  });

  it('422 "record is null" → not_found, except just after the submission (pending)', async () => {
    expect(failed(await statusWith(VEO_TASK, recordNull))).toMatchObject({ code: 'not_found', providerCode: '422' });
    const now = Date.UTC(2026, 0, 1);
    const fresh = { ...VEO_TASK, submittedAt: new Date(now - 5_000).toISOString() };
    expect(await statusWith(fresh, recordNull, { now: () => now })).toEqual({ state: 'pending', retryAfterMs: 5_000 });
  });

  it('422 "within 14 days" → expired', async () => {
    expect(failed(await statusWith(VEO_TASK, { code: 422, msg: 'Temporarily supports records within 14 days', data: null }))).toMatchObject({ code: 'expired', retryable: false });
  });

  it('jobs: generating (envelope with "message") → pending with progress', async () => {
    expect(await statusWith(JOBS_TASK, jobsGenerating)).toEqual({ state: 'pending', progress: 0.4 });
  });

  it('jobs: success → the URLs parsed from the stringified resultJson', async () => {
    const status = await statusWith(JOBS_TASK, jobsSuccess);
    expect(status.state).toBe('succeeded');
    if (status.state !== 'succeeded') return;
    expect(status.outputs.map((o) => o.url)).toEqual(['https://tempfile.aiquickdraw.com/k/out.mp4']);
    expect(status.usage).toEqual({ costTimeMs: 15000 });
  });

  it('jobs: fail → failCode / failMsg mapping; a resultJson that is not JSON → provider_error', async () => {
    const error = failed(await statusWith(JOBS_TASK, jobsFail));
    expect(error).toMatchObject({ code: 'provider_error', retryable: true, providerCode: '500' });
    expect(error.message).toContain('Internal Error, Please try again later.');
    const broken = structuredClone(jobsSuccess);
    broken.data.resultJson = '{"resultUrls":[';
    expect(failed(await statusWith(JOBS_TASK, broken))).toMatchObject({ code: 'provider_error', raw: '{"resultUrls":[' });
  });

  it('checks HTTP status and body code: 401 / 402 / 429 in the body of an HTTP 200, and as real statuses', async () => {
    expect(await rejection(statusWith(VEO_TASK, error401))).toMatchObject({ code: 'auth_failed', status: 200 });
    expect(await rejection(statusWith(VEO_TASK, error402, {}, 402))).toMatchObject({ code: 'quota_exceeded', status: 402 });
    expect(await rejection(statusWith(VEO_TASK, error429, {}, 429))).toMatchObject({ code: 'rate_limited', retryable: true, retryAfterMs: 10_000 });
    expect(await rejection(statusWith(VEO_TASK, 'error code: 1010', {}, 403))).toMatchObject({ code: 'auth_failed', providerCode: 'cloudflare-1010' });
    expect(await rejection(statusWith(VEO_TASK, '<html>bad gateway</html>', {}, 502))).toMatchObject({ code: 'provider_error', retryable: true, status: 502 });
  });

  it('rejects a task that is not a KIE task', async () => {
    const provider = createKie({ apiKey: KEY, fetch: fixedFetch(200, generating) });
    expect(await rejection(provider.status({ api: 'veo', taskId: '../x' }, {}))).toMatchObject({ code: 'invalid_input' });
    expect(await rejection(provider.status({ taskId: 'abc' }, {}))).toMatchObject({ code: 'invalid_input' });
  });
});

describe.each([
  ['errors with matching HTTP statuses', 'mirror'],
  ['errors as HTTP 200 with a body code', 200],
] as const)('kie against the msw mock (%s)', (_label, errorStatus) => {
  const server = setupServer();
  let mock: KieMock;
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterEach(() => {
    server.resetHandlers();
    mock?.reset();
  });
  afterAll(() => server.close());

  async function setup(options: KieMockOptions = {}, settings: KieProviderSettings = {}) {
    mock = createKieMock({ errorStatus, ...options });
    server.use(...(await mock.msw()));
    return createKie({ apiKey: mock.apiKey, ...settings });
  }

  async function runToEnd(provider: ReturnType<typeof createKie>, task: JSONValue): Promise<{ status: ProviderStatus; seen: ProviderStatus[] }> {
    const seen: ProviderStatus[] = [];
    for (let i = 0; i < 20; i++) {
      const status = await provider.status(task, {});
      if (status.state !== 'pending') return { status, seen };
      seen.push(status);
    }
    throw new Error('still pending');
  }

  it('Veo API: successFlag 0 → 1, and the result downloads as an MP4', async () => {
    const provider = await setup();
    const { task } = await provider.start(veoRequest, { idempotencyKey: 'k' });
    const { status, seen } = await runToEnd(provider, task);
    expect(seen.length).toBe(2);
    expect(status.state).toBe('succeeded');
    if (status.state !== 'succeeded') return;
    const response = await fetch((status.outputs[0] as Extract<ProviderOutput, { url: string }>).url);
    expect(looksLikeMp4(new Uint8Array(await response.arrayBuffer()))).toBe(true);
  });

  it('jobs API: waiting → generating with progress → success', async () => {
    const provider = await setup({ pendingPolls: 3 });
    const { task } = await provider.start(wanRequest, { idempotencyKey: 'k' });
    expect(task).toMatchObject({ api: 'jobs' });
    const { status, seen } = await runToEnd(provider, task);
    expect(seen).toEqual([{ state: 'pending' }, { state: 'pending', progress: 0.33 }, { state: 'pending', progress: 0.67 }]);
    expect(status.state).toBe('succeeded');
  });

  it('successFlag 3 / jobs fail: generic failures are retryable provider_errors', async () => {
    const provider = await setup();
    mock.script('fail-generic', { pendingPolls: 0 });
    const veoTask = (await provider.start(veoRequest, { idempotencyKey: 'k' })).task;
    expect(failed(await provider.status(veoTask, {}))).toMatchObject({ code: 'provider_error', retryable: true, providerCode: '501' });
    mock.script('fail-generic', { pendingPolls: 0 });
    const jobsTask = (await provider.start(wanRequest, { idempotencyKey: 'k' })).task;
    expect(failed(await provider.status(jobsTask, {}))).toMatchObject({ code: 'provider_error', providerCode: '500' });
  });

  it('moderation at submit and while polling → content_policy', async () => {
    const provider = await setup();
    mock.failNext('moderation-submit');
    expect(await rejection(provider.start(veoRequest, { idempotencyKey: 'k' }))).toMatchObject({ code: 'content_policy', retryable: false });
    for (const request of [veoRequest, wanRequest]) {
      const { task } = await provider.start(request, { idempotencyKey: 'k' });
      mock.failNext('moderation-poll');
      expect(failed(await provider.status(task, {}))).toMatchObject({ code: 'content_policy' });
    }
  });

  it('a missing key fails before any request, naming KIE_API_KEY; a wrong key → auth_failed', async () => {
    const saved = process.env.KIE_API_KEY;
    delete process.env.KIE_API_KEY;
    try {
      await setup();
      const error = await rejection(createKie().start(veoRequest, { idempotencyKey: 'k' }));
      expect(error).toMatchObject({ code: 'auth_failed', retryable: false });
      expect(error.message).toContain('KIE_API_KEY');
      expect(mock.calls).toHaveLength(0);
    } finally {
      if (saved !== undefined) process.env.KIE_API_KEY = saved;
    }
    const wrong = createKie({ apiKey: 'nope' });
    expect(await rejection(wrong.start(veoRequest, { idempotencyKey: 'k' }))).toMatchObject({ code: 'auth_failed', providerCode: '401' });
  });

  it('402 insufficient credits → quota_exceeded', async () => {
    const provider = await setup({ credits: 1 });
    await provider.start(veoRequest, { idempotencyKey: 'k' });
    expect(await rejection(provider.start(veoRequest, { idempotencyKey: 'k' }))).toMatchObject({ code: 'quota_exceeded', retryable: false });
    expect(mock.control.startCount()).toBe(1);
  });

  it('the 21st create within 10 s → HTTP 429 rate_limited with a full 10 s window; it passes once the window moves', async () => {
    const clock = manualClock();
    const provider = await setup({ clock });
    for (let i = 0; i < 20; i++) await provider.start(veoRequest, { idempotencyKey: `k${i}` });
    const error = await rejection(provider.start(veoRequest, { idempotencyKey: 'k20' }));
    expect(error).toMatchObject({ code: 'rate_limited', retryable: true, retryAfterMs: 10_000, status: 429 });
    expect(mock.control.startCount()).toBe(20);
    clock.advance(10_000);
    await provider.start(veoRequest, { idempotencyKey: 'k21' });
    expect(mock.control.startCount()).toBe(21);
  });

  it('451 image fetch → invalid_input on image; 455 maintenance → retryable provider_error', async () => {
    const provider = await setup();
    mock.failNext('image-fetch');
    expect(await rejection(provider.start(veoRequest, { idempotencyKey: 'k' }))).toMatchObject({ code: 'invalid_input', field: 'image' });
    mock.failNext('maintenance');
    expect(await rejection(provider.start(veoRequest, { idempotencyKey: 'k' }))).toMatchObject({ code: 'provider_error', retryable: true, providerCode: '455' });
  });

  it('server errors and malformed bodies while polling throw retryable errors; the task is not resubmitted', async () => {
    const provider = await setup();
    const { task } = await provider.start(veoRequest, { idempotencyKey: 'k' });
    mock.failNext('server-error', { route: 'poll' });
    expect(await rejection(provider.status(task, {}))).toMatchObject({ code: 'provider_error', retryable: true, providerCode: '500' });
    mock.failNext('malformed', { route: 'poll' });
    expect(await rejection(provider.status(task, {}))).toMatchObject({ code: 'provider_error', retryable: true });
    expect((await provider.status(task, {})).state).toBe('pending');
    expect(mock.control.startCount()).toBe(1);
    mock.failNext('malformed', { route: 'create' });
    expect(await rejection(provider.start(veoRequest, { idempotencyKey: 'k' }))).toMatchObject({ code: 'provider_error', retryable: false });
  });

  it('records past 14 days → failed expired; unknown task ids → failed not_found', async () => {
    const provider = await setup();
    const { task } = await provider.start(veoRequest, { idempotencyKey: 'k' });
    mock.failNext('expired');
    expect(failed(await provider.status(task, {}))).toMatchObject({ code: 'expired' });
    expect(failed(await provider.status({ ...VEO_TASK, taskId: 'unknown_task' }, {}))).toMatchObject({ code: 'not_found' });
  });

  it('Cloudflare 403 "error code: 1010" → auth_failed explaining the User-Agent', async () => {
    const provider = await setup({ requireUserAgent: true }, { headers: { 'User-Agent': 'curl/8.5.0' } });
    const error = await rejection(provider.start(veoRequest, { idempotencyKey: 'k' }));
    expect(error).toMatchObject({ code: 'auth_failed', status: 403, providerCode: 'cloudflare-1010' });
    expect(error.message).toContain('User-Agent');
    const browserLike = createKie({ apiKey: mock.apiKey });
    await browserLike.start(veoRequest, { idempotencyKey: 'k' });
    expect(mock.control.startCount()).toBe(1);
  });

  it('no answer within timeoutMs → timeout', async () => {
    const provider = await setup({ stallMaxMs: 5_000 }, { timeoutMs: 150 });
    const { task } = await provider.start(veoRequest, { idempotencyKey: 'k' });
    mock.failNext('timeout', { route: 'poll' });
    expect(await rejection(provider.status(task, {}))).toMatchObject({ code: 'timeout', retryable: true });
  });

  it('cancel is honest (KIE has no cancel API) and trustedOrigins lists both hosts', async () => {
    const provider = await setup();
    const { task } = await provider.start(veoRequest, { idempotencyKey: 'k' });
    expect(await provider.cancel(task)).toEqual({ cancelled: false });
    expect((await runToEnd(provider, task)).status.state).toBe('succeeded');
    expect(provider.trustedOrigins()).toEqual(['https://api.kie.ai', 'https://kieai.redpandaai.co']);
  });
});

describe('kie default instance', () => {
  it('reads KIE_API_KEY, KIE_BASE_URL and KIE_UPLOAD_BASE_URL at call time', async () => {
    const mock = createKieMock({ apiKey: 'env-key', pendingPolls: 0 });
    const served = await mock.listen();
    const names = ['KIE_API_KEY', 'KIE_BASE_URL', 'KIE_UPLOAD_BASE_URL'] as const;
    const saved = names.map((name) => process.env[name]);
    try {
      process.env.KIE_API_KEY = 'env-key';
      process.env.KIE_BASE_URL = served.baseURL;
      process.env.KIE_UPLOAD_BASE_URL = served.baseURL;
      expect(kie.trustedOrigins()).toEqual([served.url]);
      const { task } = await kie.start({ ...veoRequest, mode: 'image', image: { data: PNG, mediaType: 'image/png' } }, { idempotencyKey: 'k' });
      expect(mock.calls.map((call) => call.route)).toEqual(['upload', 'create']);
      expect((await kie.status(task, {})).state).toBe('succeeded');
    } finally {
      names.forEach((name, index) => {
        const value = saved[index];
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      });
      await served.close();
    }
  });
});
