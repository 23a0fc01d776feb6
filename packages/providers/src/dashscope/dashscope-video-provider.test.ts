import { readFileSync } from 'node:fs';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { GalleryError, type JSONValue, type ProviderRequest } from '@video-gallery/core';
import { createDashScopeMock, manualClock, type DashScopeMock } from '../testing/index.js';
import { DEFAULT_USER_AGENT } from '../shared/http.js';
import { createDashScope, dashscope, formatListTime, parseDashScopeTime, resultExpiry, type DashScopeProvider } from './index.js';

const KEY = 'sk-test-dashscope-provider';
const INTL = 'https://dashscope-intl.aliyuncs.com/api/v1';
const CN = 'https://dashscope.aliyuncs.com/api/v1';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());

let mock: DashScopeMock;
let provider: DashScopeProvider;
const clock = manualClock(Date.UTC(2026, 2, 1, 12, 0, 0));

function request(overrides: Partial<ProviderRequest> = {}): ProviderRequest {
  return { model: 'wan2.2-t2v-plus', mode: 'text', prompt: 'A paper boat on a lake', aspectRatio: '16:9', resolution: '1080p', durationSeconds: 5, ...overrides };
}

function make(settings: Parameters<typeof createDashScope>[0] = {}): DashScopeProvider {
  return createDashScope({ apiKey: KEY, now: clock.now, retry: { statusMinTimeoutMs: 1 }, ...settings });
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

async function galleryRejection(promise: Promise<unknown>): Promise<GalleryError> {
  const error = await rejection(promise);
  if (!GalleryError.isInstance(error)) throw new Error(`expected a GalleryError, got ${String(error)}`);
  return error;
}

function routeCalls(route: string): number {
  return mock.calls.filter((call) => call.route === route).length;
}

function taskWith(id: string): JSONValue {
  return { provider: 'dashscope', taskId: id, model: 'wan2.2-t2v-plus', submittedAt: new Date(clock.now()).toISOString() };
}

function answerStatus(output: Record<string, unknown>, extra: Record<string, unknown> = {}): void {
  server.use(http.get(`${INTL}/tasks/:id`, ({ params }) => HttpResponse.json({ request_id: 'r-1', output: { task_id: params.id, ...output }, ...extra })));
}

beforeEach(async () => {
  // Hermetic: a DASHSCOPE_BASE_URL in the developer's shell must not redirect these tests.
  vi.stubEnv('DASHSCOPE_BASE_URL', '');
  clock.set(Date.UTC(2026, 2, 1, 12, 0, 0));
  mock = createDashScopeMock({ apiKey: KEY, retryAfterSeconds: 0, now: clock.now });
  server.use(...(await mock.msw()));
  provider = make();
});

afterEach(() => {
  server.resetHandlers();
  mock.reset();
  vi.unstubAllEnvs();
});

describe('configuration', () => {
  it('sends the key, the async header and a browser-like User-Agent on submit, and no async header on polls', async () => {
    const { task } = await provider.start(request(), { idempotencyKey: 'k1' });
    await provider.status(task, {});
    const [submit, poll] = mock.calls;
    expect(submit?.route).toBe('submit');
    expect(submit?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(submit?.headers['x-dashscope-async']).toBe('enable');
    expect(submit?.headers['user-agent']).toBe(DEFAULT_USER_AGENT);
    expect(submit?.url).toBe(`${INTL}/services/aigc/video-generation/video-synthesis`);
    expect(submit?.body).toEqual({ model: 'wan2.2-t2v-plus', input: { prompt: 'A paper boat on a lake' }, parameters: { size: '1920*1080', duration: 5 } });
    expect(poll?.route).toBe('status');
    expect(poll?.headers['x-dashscope-async']).toBeUndefined();
    expect(poll?.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it('sends X-DashScope-WorkSpace on every call when a workspace is set', async () => {
    const withWorkspace = make({ workspaceId: 'ws-77' });
    const { task } = await withWorkspace.start(request(), { idempotencyKey: 'k' });
    await withWorkspace.status(task, {});
    await withWorkspace.cancel(task);
    expect(mock.calls.map((call) => call.headers['x-dashscope-workspace'])).toEqual(['ws-77', 'ws-77', 'ws-77']);
  });

  it('reads DASHSCOPE_API_KEY at call time, not at import time', async () => {
    vi.stubEnv('DASHSCOPE_API_KEY', KEY);
    vi.stubEnv('DASHSCOPE_BASE_URL', '');
    const { task } = await dashscope.start(request(), { idempotencyKey: 'env' });
    expect(mock.calls[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(task).toMatchObject({ provider: 'dashscope' });
  });

  it('fails with auth_failed naming DASHSCOPE_API_KEY when no key is set, before sending anything', async () => {
    vi.stubEnv('DASHSCOPE_API_KEY', '');
    const error = await galleryRejection(dashscope.start(request(), { idempotencyKey: 'nokey' }));
    expect(error.code).toBe('auth_failed');
    expect(error.message).toContain('DASHSCOPE_API_KEY');
    expect(mock.calls).toHaveLength(0);
  });

  it('switches region with DASHSCOPE_BASE_URL or the region option, and trusts that origin', async () => {
    const beijing = createDashScopeMock({ apiKey: KEY, region: 'cn' });
    server.use(...(await beijing.msw()));
    vi.stubEnv('DASHSCOPE_API_KEY', KEY);
    vi.stubEnv('DASHSCOPE_BASE_URL', CN);
    await dashscope.start(request(), { idempotencyKey: 'cn' });
    expect(beijing.calls[0]?.url).toBe(`${CN}/services/aigc/video-generation/video-synthesis`);
    expect(dashscope.trustedOrigins?.()).toEqual(['https://dashscope.aliyuncs.com']);
    expect(make({ region: 'cn' }).baseURL()).toBe(CN);
    expect(make({ region: 'us' }).trustedOrigins?.()).toEqual(['https://dashscope-us.aliyuncs.com']);
    expect(make().trustedOrigins?.()).toEqual(['https://dashscope.aliyuncs.com']);
    vi.stubEnv('DASHSCOPE_BASE_URL', '');
    expect(make().trustedOrigins?.()).toEqual(['https://dashscope-intl.aliyuncs.com']);
    expect(make({ baseURL: 'http://127.0.0.1:8787/api/v1/' }).baseURL()).toBe('http://127.0.0.1:8787/api/v1');
  });
});

describe('status mapping', () => {
  it('maps PENDING and RUNNING to pending, then SUCCEEDED to an output with expiry and usage', async () => {
    const { task } = await provider.start(request(), { idempotencyKey: 'k' });
    expect(await provider.status(task, {})).toEqual({ state: 'pending' });
    expect(await provider.status(task, {})).toEqual({ state: 'pending' });
    const done = await provider.status(task, {});
    expect(done.state).toBe('succeeded');
    if (done.state !== 'succeeded') return;
    const output = done.outputs[0];
    expect(output?.url).toMatch(/^https:\/\/dashscope-intl\.aliyuncs\.com\/mock-oss\/.+\.mp4\?Expires=\d+&/);
    expect(output?.expiresAt).toBe(new Date(clock.now() + 24 * 3600 * 1000).toISOString());
    expect(done.usage).toEqual({ duration: 5, video_count: 1, SR: 1080 });
    const statuses = mock.calls.filter((call) => call.route === 'status');
    expect(statuses).toHaveLength(3);
  });

  it('maps SUSPENDED to pending', async () => {
    answerStatus({ task_status: 'SUSPENDED' });
    expect(await provider.status(taskWith('t-s'), {})).toEqual({ state: 'pending' });
  });

  it('reads the fixture SUCCEEDED answer: expiry from the OSS Expires parameter, usage passed through', async () => {
    const fixture = JSON.parse(readFileSync(new URL('./__fixtures__/status-succeeded.json', import.meta.url), 'utf8')) as { output: Record<string, unknown>; usage: unknown };
    answerStatus(fixture.output, { usage: fixture.usage });
    const status = await provider.status(taskWith('af6efbc0'), {});
    expect(status).toEqual({
      state: 'succeeded',
      outputs: [{ url: fixture.output.video_url, expiresAt: new Date(1_760_266_939_000).toISOString() }],
      usage: { duration: 5, video_count: 1, SR: 720 },
    });
  });

  it('takes the expiry from end_time (server time, UTC+8) when the URL has no Expires', async () => {
    clock.set(Date.parse('2025-09-25T03:30:00Z'));
    answerStatus({ task_status: 'SUCCEEDED', end_time: '2025-09-25 11:09:11.650', video_url: 'https://example.com/v.mp4' });
    const status = await provider.status(taskWith('t-end'), {});
    expect(status.state === 'succeeded' && status.outputs[0]?.expiresAt).toBe('2025-09-26T03:09:11.650Z');
    expect(resultExpiry('https://example.com/v.mp4', undefined, Date.parse('2025-01-01T00:00:00Z'))).toBe('2025-01-02T00:00:00.000Z');
  });

  it('maps FAILED DataInspectionFailed (fixture) and IPInfringementSuspect to content_policy', async () => {
    const fixture = JSON.parse(readFileSync(new URL('./__fixtures__/status-failed-moderation.json', import.meta.url), 'utf8')) as { output: Record<string, unknown> };
    answerStatus(fixture.output);
    const moderated = await provider.status(taskWith('t-m'), {});
    expect(moderated.state === 'failed' && moderated.error.code).toBe('content_policy');
    expect(moderated.state === 'failed' && moderated.error.providerCode).toBe('DataInspectionFailed');
    expect(moderated.state === 'failed' && moderated.error.retryable).toBe(false);
    answerStatus({ task_status: 'FAILED', code: 'IPInfringementSuspect', message: 'The input may infringe.' });
    const infringing = await provider.status(taskWith('t-ip'), {});
    expect(infringing.state === 'failed' && infringing.error.code).toBe('content_policy');
  });

  it('maps a moderation failure scripted at poll time', async () => {
    mock.failNext('moderation-poll');
    const { task } = await provider.start(request(), { idempotencyKey: 'k' });
    let status = await provider.status(task, {});
    while (status.state === 'pending') status = await provider.status(task, {});
    expect(status.state === 'failed' && status.error.code).toBe('content_policy');
  });

  it('maps other FAILED codes to a provider_error that is not retryable, keeping the code', async () => {
    answerStatus({ task_status: 'FAILED', code: 'InternalError.Algo', message: 'Video generation failed.' });
    const status = await provider.status(taskWith('t-f'), {});
    expect(status.state).toBe('failed');
    if (status.state !== 'failed') return;
    expect(status.error.code).toBe('provider_error');
    expect(status.error.retryable).toBe(false);
    expect(status.error.providerCode).toBe('InternalError.Algo');
    expect(status.error.message).toContain('Video generation failed.');
  });

  it('maps CANCELED to cancelled', async () => {
    answerStatus({ task_status: 'CANCELED' });
    const status = await provider.status(taskWith('t-c'), {});
    expect(status.state === 'failed' && status.error.code).toBe('cancelled');
  });

  it('maps UNKNOWN (unknown id or past 24 h) to expired at once', async () => {
    const status = await provider.status(taskWith('never-existed'), {});
    expect(status.state).toBe('failed');
    if (status.state !== 'failed') return;
    expect(status.error.code).toBe('expired');
    expect(status.error.retryable).toBe(false);
    expect(status.error.message).toContain('24 h');
    expect(routeCalls('status')).toBe(1);
  });

  it('maps a task older than the mock retention to expired', async () => {
    const { task } = await provider.start(request(), { idempotencyKey: 'k' });
    clock.advance(24 * 3600 * 1000 + 1);
    const status = await provider.status(task, {});
    expect(status.state === 'failed' && status.error.code).toBe('expired');
  });

  it('throws a retryable provider_error for a task_status it does not know', async () => {
    answerStatus({ task_status: 'WARMING_UP' });
    const error = await galleryRejection(provider.status(taskWith('t-x'), {}));
    expect(error.code).toBe('provider_error');
    expect(error.message).toContain('WARMING_UP');
  });

  it('rejects a task reference of another provider with invalid_input', async () => {
    const error = await galleryRejection(provider.status({ provider: 'veo', name: 'x' }, {}));
    expect(error.code).toBe('invalid_input');
    expect(mock.calls).toHaveLength(0);
  });
});

describe('submit error mapping', () => {
  it('maps 401 InvalidApiKey to auth_failed that names the region and base URL', async () => {
    mock.failNext('bad-key');
    const error = await galleryRejection(provider.start(request(), { idempotencyKey: 'k' }));
    expect(error.code).toBe('auth_failed');
    expect(error.providerCode).toBe('InvalidApiKey');
    expect(error.status).toBe(401);
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('region');
    expect(error.message).toContain(INTL);
  });

  it('gives a key from another region the same auth_failed explanation', async () => {
    mock.failNext('wrong-region');
    const error = await galleryRejection(provider.start(request(), { idempotencyKey: 'k' }));
    expect(error.code).toBe('auth_failed');
    expect(error.message).toMatch(/another region/);
    const wrongKey = await galleryRejection(make({ apiKey: 'sk-from-beijing' }).start(request(), { idempotencyKey: 'k' }));
    expect(wrongKey.code).toBe('auth_failed');
    expect(mock.control.startCount()).toBe(0);
  });

  it('maps 400 Arrearage to quota_exceeded', async () => {
    mock.failNext('arrearage');
    const error = await galleryRejection(provider.start(request(), { idempotencyKey: 'k' }));
    expect(error.code).toBe('quota_exceeded');
    expect(error.providerCode).toBe('Arrearage');
  });

  it('maps 400 DataInspectionFailed at submit to content_policy', async () => {
    mock.failNext('moderation-submit');
    const error = await galleryRejection(provider.start(request(), { idempotencyKey: 'k' }));
    expect(error.code).toBe('content_policy');
    expect(error.retryable).toBe(false);
    expect(mock.control.startCount()).toBe(0);
  });

  it('maps 400 InvalidParameter to invalid_input', async () => {
    mock.failNext('invalid-parameter');
    const error = await galleryRejection(provider.start(request(), { idempotencyKey: 'k' }));
    expect(error.code).toBe('invalid_input');
    expect(error.providerCode).toBe('InvalidParameter');
  });

  it('maps 404 ModelNotFound to unsupported naming the model and the base URL', async () => {
    const error = await galleryRejection(provider.start(request({ model: 'wan9-t2v-imaginary' }), { idempotencyKey: 'k' }));
    expect(error.code).toBe('unsupported');
    expect(error.message).toContain('wan9-t2v-imaginary');
    expect(error.message).toContain(INTL);
  });

  it('maps 403 AccessDenied (a proxy stripped the async header) to provider_error mentioning the header', async () => {
    const stripping: typeof fetch = async (input, init) => {
      const original = new Request(input, init);
      const headers = new Headers(original.headers);
      headers.delete('x-dashscope-async');
      return fetch(new Request(original, { headers }));
    };
    const error = await galleryRejection(make({ fetch: stripping }).start(request(), { idempotencyKey: 'k' }));
    expect(error.code).toBe('provider_error');
    expect(error.providerCode).toBe('AccessDenied');
    expect(error.message).toContain('X-DashScope-Async');
    expect(error.retryable).toBe(false);
  });

  it('maps 429 to rate_limited with retryAfterMs from Retry-After', async () => {
    const slow = createDashScopeMock({ apiKey: KEY, retryAfterSeconds: 7 });
    server.use(...(await slow.msw()));
    slow.failNext('rate-limit');
    const error = await galleryRejection(make({ retry: { submitRateLimitRetries: 0 } }).start(request(), { idempotencyKey: 'k' }));
    expect(error.code).toBe('rate_limited');
    expect(error.retryAfterMs).toBe(7_000);
    expect(error.retryable).toBe(true);
  });

  it('uses a 5 s default wait for a 429 without Retry-After', async () => {
    server.use(http.post(`${INTL}/services/aigc/video-generation/video-synthesis`, () => HttpResponse.json({ code: 'Throttling', message: 'Too many.' }, { status: 429 })));
    const error = await galleryRejection(make({ retry: { submitRateLimitRetries: 0 } }).start(request(), { idempotencyKey: 'k' }));
    expect(error.code).toBe('rate_limited');
    expect(error.retryAfterMs).toBe(5_000);
  });

  it('repeats a throttled submission (rejected before any task exists) and creates exactly one task', async () => {
    mock.failNext('rate-limit', { route: 'submit' });
    const { task } = await provider.start(request(), { idempotencyKey: 'k' });
    expect(task).toMatchObject({ provider: 'dashscope' });
    expect(routeCalls('submit')).toBe(2);
    expect(mock.control.startCount()).toBe(1);
  });

  it('does not wait out a Retry-After longer than maxSubmitRetryWaitMs', async () => {
    const slow = createDashScopeMock({ apiKey: KEY, retryAfterSeconds: 60 });
    server.use(...(await slow.msw()));
    slow.failNext('rate-limit');
    const error = await galleryRejection(provider.start(request(), { idempotencyKey: 'k' }));
    expect(error.code).toBe('rate_limited');
    expect(slow.calls.filter((call) => call.route === 'submit')).toHaveLength(1);
  });

  it('never repeats a submission after a 500 (it could pay twice)', async () => {
    mock.failNext('server-error', { route: 'submit' });
    const error = await galleryRejection(provider.start(request(), { idempotencyKey: 'k' }));
    expect(error.code).toBe('provider_error');
    expect(error.status).toBe(500);
    expect(error.retryable).toBe(true);
    expect(routeCalls('submit')).toBe(1);
  });

  it('does not repeat a submission after a timeout and marks it not retryable', async () => {
    mock.failNext('timeout', { route: 'submit' });
    const error = await galleryRejection(make({ timeoutMs: 150 }).start(request(), { idempotencyKey: 'k' }));
    expect(error.code).toBe('timeout');
    expect(error.retryable).toBe(false);
    expect(routeCalls('submit')).toBe(1);
  });

  it('does not repeat a submission after a dropped connection', async () => {
    server.use(http.post(`${INTL}/services/aigc/video-generation/video-synthesis`, () => HttpResponse.error()));
    const error = await galleryRejection(provider.start(request(), { idempotencyKey: 'k' }));
    expect(error.code).toBe('provider_error');
    expect(error.retryable).toBe(false);
  });

  it('maps a malformed 200 answer to a non-retryable provider_error with a raw snippet', async () => {
    mock.failNext('malformed', { route: 'submit' });
    const error = await galleryRejection(provider.start(request(), { idempotencyKey: 'k' }));
    expect(error.code).toBe('provider_error');
    expect(error.retryable).toBe(false);
    expect(error.raw).toContain('"output":{"task_id":"');
  });

  it('cuts the raw snippet of a huge malformed answer to 500 characters', async () => {
    server.use(http.post(`${INTL}/services/aigc/video-generation/video-synthesis`, () => new HttpResponse(`<html>${'x'.repeat(5_000)}`, { status: 502 })));
    const error = await galleryRejection(provider.start(request(), { idempotencyKey: 'k' }));
    expect(error.code).toBe('provider_error');
    expect(error.status).toBe(502);
    expect(error.raw?.length).toBe(500);
  });
});

describe('status retries', () => {
  it('retries a status GET after 503 and then answers', async () => {
    const { task } = await provider.start(request(), { idempotencyKey: 'k' });
    mock.failNext('unavailable', { route: 'status' });
    expect(await provider.status(task, {})).toEqual({ state: 'pending' });
    expect(routeCalls('status')).toBe(2);
  });

  it('gives up after the configured attempts of 503 with a retryable error', async () => {
    const { task } = await provider.start(request(), { idempotencyKey: 'k' });
    mock.failNext('unavailable', { route: 'status', times: 5 });
    const error = await galleryRejection(provider.status(task, {}));
    expect(error.status).toBe(503);
    expect(error.retryable).toBe(true);
    expect(routeCalls('status')).toBe(3);
  });

  it('retries a status GET after a network error and after a timeout', async () => {
    const { task } = await provider.start(request(), { idempotencyKey: 'k' });
    server.use(http.get(`${INTL}/tasks/:id`, () => HttpResponse.error(), { once: true }));
    expect(await provider.status(task, {})).toEqual({ state: 'pending' });
    mock.failNext('timeout', { route: 'status' });
    expect(await make({ timeoutMs: 150 }).status(task, {})).toEqual({ state: 'pending' });
  });

  it('does not retry a status GET after 400', async () => {
    const { task } = await provider.start(request(), { idempotencyKey: 'k' });
    mock.failNext('invalid-parameter', { route: 'status' });
    const error = await galleryRejection(provider.status(task, {}));
    expect(error.code).toBe('invalid_input');
    expect(routeCalls('status')).toBe(1);
  });

  it('does not retry a status GET after 500 or 429 (the poller decides)', async () => {
    const { task } = await provider.start(request(), { idempotencyKey: 'k' });
    mock.failNext('server-error', { route: 'status' });
    const serverError = await galleryRejection(provider.status(task, {}));
    expect(serverError.retryable).toBe(true);
    mock.failNext('rate-limit', { route: 'status' });
    const limited = await galleryRejection(provider.status(task, {}));
    expect(limited.code).toBe('rate_limited');
    expect(routeCalls('status')).toBe(2);
  });

  it('maps a malformed status answer to a retryable provider_error with a raw snippet', async () => {
    const { task } = await provider.start(request(), { idempotencyKey: 'k' });
    mock.failNext('malformed', { route: 'status' });
    const error = await galleryRejection(make({ retry: { statusRetries: 0 } }).status(task, {}));
    expect(error.code).toBe('provider_error');
    expect(error.retryable).toBe(true);
    expect(error.raw).toMatch(/^\{"request_id"/);
  });
});

describe('abort', () => {
  it('rejects start with the abort reason before sending when the signal is already aborted', async () => {
    const error = await rejection(provider.start(request(), { idempotencyKey: 'k', signal: AbortSignal.abort() }));
    expect((error as Error).name).toBe('AbortError');
    expect(mock.calls).toHaveLength(0);
  });

  it('rejects an in-flight status call when aborted, without retrying', async () => {
    const { task } = await provider.start(request(), { idempotencyKey: 'k' });
    const arrived = mock.control.stallNext?.();
    const controller = new AbortController();
    const pending = rejection(provider.status(task, { signal: controller.signal }));
    await arrived;
    controller.abort();
    expect(((await pending) as Error).name).toBe('AbortError');
    expect(routeCalls('status')).toBe(1);
  });

  it('rejects a throttled submission waiting for its retry when aborted', async () => {
    const slow = createDashScopeMock({ apiKey: KEY, retryAfterSeconds: 5 });
    server.use(...(await slow.msw()));
    slow.failNext('rate-limit');
    const controller = new AbortController();
    const pending = rejection(provider.start(request(), { idempotencyKey: 'k', signal: controller.signal }));
    await vi.waitFor(() => expect(slow.calls).toHaveLength(1));
    controller.abort();
    expect(((await pending) as Error).name).toBe('AbortError');
    expect(slow.control.startCount()).toBe(0);
  });
});

describe('cancel', () => {
  it('cancels a PENDING task, which then reads as cancelled', async () => {
    const { task } = await provider.start(request(), { idempotencyKey: 'k' });
    expect(await provider.cancel(task)).toEqual({ cancelled: true });
    const status = await provider.status(task, {});
    expect(status.state === 'failed' && status.error.code).toBe('cancelled');
  });

  it('answers cancelled: false for a RUNNING task, which goes on to succeed', async () => {
    const { task } = await provider.start(request(), { idempotencyKey: 'k' });
    expect(await provider.status(task, {})).toEqual({ state: 'pending' });
    expect(await provider.cancel(task)).toEqual({ cancelled: false });
    let status = await provider.status(task, {});
    while (status.state === 'pending') status = await provider.status(task, {});
    expect(status.state).toBe('succeeded');
  });

  it('answers cancelled: false for an unknown task and throws for a bad key', async () => {
    expect(await provider.cancel(taskWith('nope'))).toEqual({ cancelled: false });
    mock.failNext('bad-key', { route: 'cancel' });
    const error = await galleryRejection(provider.cancel(taskWith('nope')));
    expect(error.code).toBe('auth_failed');
  });
});

describe('lookup (no idempotency key at DashScope)', () => {
  it('finds the one task submitted around submittedAt', async () => {
    const submittedAt = new Date(clock.now()).toISOString();
    const { task } = await provider.start(request(), { idempotencyKey: 'k' });
    clock.advance(30_000);
    const found = await provider.lookup('k', { request: request(), submittedAt });
    expect(found?.task).toMatchObject({ provider: 'dashscope', taskId: (task as { taskId: string }).taskId });
    const list = mock.calls.find((call) => call.route === 'list');
    const query = new URL(list?.url ?? 'http://x').searchParams;
    expect(query.get('model_name')).toBe('wan2.2-t2v-plus');
    expect(query.get('start_time')).toMatch(/^\d{14}$/);
    expect(query.get('end_time')).toMatch(/^\d{14}$/);
  });

  it('returns null when no task of the model was created in the window', async () => {
    const submittedAt = new Date(clock.now()).toISOString();
    await provider.start(request({ model: 'wan2.5-t2v-preview', resolution: '720p' }), { idempotencyKey: 'other-model' });
    expect(await provider.lookup('k', { request: request(), submittedAt })).toBeNull();
  });

  it('ignores a task created well before submittedAt', async () => {
    await provider.start(request(), { idempotencyKey: 'earlier' });
    clock.advance(60 * 60 * 1000);
    expect(await provider.lookup('k', { request: request(), submittedAt: new Date(clock.now()).toISOString() })).toBeNull();
  });

  it('picks the finished task whose prompt matches when several are in the window', async () => {
    const submittedAt = new Date(clock.now()).toISOString();
    mock.script('succeed', { pendingPolls: 0 });
    mock.script('succeed', { pendingPolls: 0 });
    await provider.start(request({ prompt: 'Somebody else’s prompt' }), { idempotencyKey: 'a' });
    const { task } = await provider.start(request(), { idempotencyKey: 'b' });
    const found = await provider.lookup('b', { request: request(), submittedAt });
    expect(found?.task).toMatchObject({ taskId: (task as { taskId: string }).taskId });
  });

  it('refuses to guess between several unfinished tasks (conflict, not null)', async () => {
    const submittedAt = new Date(clock.now()).toISOString();
    await provider.start(request(), { idempotencyKey: 'a' });
    await provider.start(request(), { idempotencyKey: 'b' });
    const error = await galleryRejection(provider.lookup('b', { request: request(), submittedAt }));
    expect(error.code).toBe('conflict');
    expect(error.retryable).toBe(false);
  });

  it('throws instead of returning null when the list call fails', async () => {
    mock.failNext('bad-key', { route: 'list' });
    const error = await galleryRejection(provider.lookup('k', { request: request(), submittedAt: new Date(clock.now()).toISOString() }));
    expect(error.code).toBe('auth_failed');
  });
});

describe('time helpers', () => {
  it('reads and writes DashScope server time (UTC+8)', () => {
    expect(parseDashScopeTime('2025-09-25 11:09:11.650')).toBe(Date.parse('2025-09-25T03:09:11.650Z'));
    expect(parseDashScopeTime(1_760_266_939)).toBe(1_760_266_939_000);
    expect(parseDashScopeTime('nonsense')).toBeUndefined();
    expect(formatListTime(Date.parse('2025-09-25T03:09:11Z'))).toBe('20250925110911');
  });
});
