import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GalleryError } from '@video-gallery/core';
import { serveHandler, type ServedHandler } from '../testing/serve.js';
import { createHttpClient, httpStatusError, isTransportError, joinURL, parseRetryAfter, type HttpResponse } from './http.js';
import { isTransientReadError, withRetry } from './retry.js';

let served: ServedHandler;
const seen: { path: string; headers: Headers; body: string }[] = [];

beforeAll(async () => {
  served = await serveHandler(async (request) => {
    const url = new URL(request.url);
    seen.push({ path: url.pathname + url.search, headers: request.headers, body: await request.text() });
    switch (url.pathname) {
      case '/api/json':
        return Response.json({ ok: true }, { headers: { 'retry-after': '3' } });
      case '/api/html':
        return new Response(`<html>${'y'.repeat(2_000)}</html>`, { status: 502 });
      case '/api/empty':
        return new Response(null, { status: 204 });
      case '/api/slow':
        await new Promise<void>((resolve) => request.signal.addEventListener('abort', () => resolve(), { once: true }));
        return new Response('late');
      default:
        return new Response('not found', { status: 404 });
    }
  });
});

afterAll(() => served.close());

describe('parseRetryAfter', () => {
  it('reads delta seconds and HTTP dates, and ignores garbage', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('1.5', now)).toBe(1_500);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe('createHttpClient', () => {
  it('joins paths, sends query, JSON and per-request headers, and parses JSON with Retry-After', async () => {
    let key = 'first';
    const client = createHttpClient({ provider: 'Test', baseURL: () => `${served.url}/api/`, headers: () => ({ authorization: key }) });
    const first = await client.request({ method: 'POST', path: '/json', json: { a: 1 }, searchParams: { x: 1, skip: undefined } });
    key = 'rotated';
    await client.request({ method: 'GET', path: 'json' });
    expect(first).toMatchObject({ status: 200, ok: true, data: { ok: true }, malformed: false, retryAfterMs: 3_000 });
    const [post, get] = seen.slice(-2);
    expect(post?.path).toBe('/api/json?x=1');
    expect(post?.body).toBe('{"a":1}');
    expect(post?.headers.get('authorization')).toBe('first');
    expect(post?.headers.get('user-agent')).toMatch(/^Mozilla\/5\.0 .*video-gallery$/);
    expect(get?.headers.get('authorization')).toBe('rotated');
  });

  it('flags a body that is not JSON with a snippet of at most 500 characters, without throwing', async () => {
    const client = createHttpClient({ provider: 'Test', baseURL: `${served.url}/api` });
    const response = await client.request({ method: 'GET', path: 'html' });
    expect(response.status).toBe(502);
    expect(response.malformed).toBe(true);
    expect(response.snippet).toHaveLength(500);
    const empty = await client.request({ method: 'GET', path: 'empty' });
    expect(empty).toMatchObject({ status: 204, malformed: false, data: undefined, snippet: '' });
  });

  it('reports a timeout as retryable for GET and not retryable for POST', async () => {
    const client = createHttpClient({ provider: 'Test', baseURL: `${served.url}/api`, timeoutMs: 100 });
    const get = await client.request({ method: 'GET', path: 'slow' }).catch((error: unknown) => error);
    expect(GalleryError.isInstance(get) && get.code).toBe('timeout');
    expect(GalleryError.isInstance(get) && get.retryable).toBe(true);
    expect(isTransportError(get)).toBe(true);
    const post = await client.request({ method: 'POST', path: 'slow', json: {} }).catch((error: unknown) => error);
    expect(GalleryError.isInstance(post) && post.retryable).toBe(false);
    expect(GalleryError.isInstance(post) && post.message).toMatch(/may still have been processed/);
  });

  it('reports a refused connection as retryable even for POST (nothing was sent)', async () => {
    const closed = await serveHandler(async () => new Response('x'));
    await closed.close();
    const client = createHttpClient({ provider: 'Test', baseURL: closed.url });
    const error = await client.request({ method: 'POST', path: 'x', json: {} }).catch((reason: unknown) => reason);
    expect(GalleryError.isInstance(error) && error.code).toBe('provider_error');
    expect(GalleryError.isInstance(error) && error.retryable).toBe(true);
    expect(GalleryError.isInstance(error) && error.message).toContain('ECONNREFUSED');
  });

  it('rethrows the caller abort reason, not a timeout or provider error', async () => {
    const client = createHttpClient({ provider: 'Test', baseURL: `${served.url}/api` });
    const controller = new AbortController();
    const reason = new DOMException('stop', 'AbortError');
    const pending = client.request({ method: 'GET', path: 'slow', signal: controller.signal }).catch((error: unknown) => error);
    setTimeout(() => controller.abort(reason), 20);
    expect(await pending).toBe(reason);
  });

  it('lets headers() veto a request before anything is sent', async () => {
    const before = seen.length;
    const client = createHttpClient({
      provider: 'Test',
      baseURL: served.url,
      headers: () => {
        throw new GalleryError('auth_failed', 'no key');
      },
    });
    await expect(client.request({ method: 'GET', path: 'api/json' })).rejects.toMatchObject({ code: 'auth_failed' });
    expect(seen.length).toBe(before);
  });

  it('joins URLs with one slash and keeps absolute URLs', () => {
    expect(joinURL('https://a.example/api/v1/', '/tasks/1')).toBe('https://a.example/api/v1/tasks/1');
    expect(joinURL('https://a.example/api', 'https://b.example/x')).toBe('https://b.example/x');
  });
});

describe('httpStatusError and retries', () => {
  const response = (status: number, retryAfterMs?: number): HttpResponse => ({
    status,
    ok: false,
    headers: new Headers(),
    url: 'https://x.example/',
    data: undefined,
    malformed: false,
    snippet: '',
    retryAfterMs,
  });

  it('maps generic statuses', () => {
    expect(httpStatusError('P', response(401)).code).toBe('auth_failed');
    expect(httpStatusError('P', response(429, 2_000))).toMatchObject({ code: 'rate_limited', retryAfterMs: 2_000, retryable: true });
    expect(httpStatusError('P', response(429)).retryAfterMs).toBe(5_000);
    expect(httpStatusError('P', response(503))).toMatchObject({ code: 'provider_error', retryable: true, status: 503 });
    expect(httpStatusError('P', response(418))).toMatchObject({ code: 'provider_error', retryable: false });
  });

  it('withRetry repeats only what shouldRetry accepts, waiting what the error asks', async () => {
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls += 1;
        if (calls < 3) throw httpStatusError('P', response(503));
        return 'done';
      },
      { retries: 3, minTimeoutMs: 1, shouldRetry: (error) => isTransientReadError(error) },
    );
    expect(result).toBe('done');
    expect(calls).toBe(3);
    let refused = 0;
    await expect(
      withRetry(
        async () => {
          refused += 1;
          throw httpStatusError('P', response(400));
        },
        { retries: 3, minTimeoutMs: 1, shouldRetry: (error) => isTransientReadError(error) },
      ),
    ).rejects.toMatchObject({ status: 400 });
    expect(refused).toBe(1);
  });
});
