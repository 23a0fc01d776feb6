// Unit tests of the client's HTTP layer against scripted fetch functions: retry policy, error mapping, timeouts.
// The end-to-end behaviour against the real handler is in remote-gallery.test.ts.
import { describe, expect, it } from 'vitest';
import { GalleryError } from '../errors.js';
import { codeForStatus, DEFAULT_RETRY, errorFromResponse, Http, joinUrl, parseRetryAfter, type FetchLike } from './http.js';

function scripted(answers: (Response | Error)[]) {
  const calls: { url: string; init: RequestInit | undefined }[] = [];
  const fetch: FetchLike = async (url, init) => {
    calls.push({ url, init });
    const next = answers.shift();
    if (!next) throw new Error('no more scripted answers');
    if (next instanceof Error) throw next;
    return next;
  };
  return { fetch, calls };
}

function http(fetch: FetchLike, overrides: Partial<ConstructorParameters<typeof Http>[0]> = {}) {
  return new Http({ baseUrl: 'http://gallery.test/api/gallery/', fetch, headers: undefined, credentials: 'same-origin', retry: { ...DEFAULT_RETRY, delayMs: 1 }, timeoutMs: 5000, ...overrides });
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

describe('client HTTP layer', () => {
  it('joins relative and absolute base URLs without a document base', () => {
    expect(joinUrl('/api/gallery/', '/generations', new URLSearchParams({ limit: '5' }))).toBe('/api/gallery/generations?limit=5');
    expect(joinUrl('https://x.test/g', '/events')).toBe('https://x.test/g/events');
  });

  it('retries an idempotent request on 503 and network errors, then returns the answer', async () => {
    const s = scripted([json(503, { error: { code: 'storage_failed', message: 'busy' } }), new TypeError('fetch failed'), json(200, { ok: true })]);
    const response = await http(s.fetch).send({ method: 'GET', path: '/capabilities', idempotent: true });
    expect(await response.json()).toEqual({ ok: true });
    expect(s.calls).toHaveLength(3);
    expect(s.calls[0]!.url).toBe('http://gallery.test/api/gallery/capabilities');
  });

  it('never retries a non-idempotent request', async () => {
    const s = scripted([json(503, { error: { code: 'storage_failed', message: 'busy' } }), json(202, {})]);
    const error = await http(s.fetch).send({ method: 'POST', path: '/generations/a/retry', idempotent: false }).catch((e: unknown) => e);
    expect(GalleryError.isInstance(error) && error.code).toBe('storage_failed');
    expect(s.calls).toHaveLength(1);
  });

  it('does not retry a 4xx answer, and maps its JSON body to a GalleryError with code, message, field and status', async () => {
    const s = scripted([json(400, { error: { code: 'invalid_input', message: 'prompt: too long', field: 'prompt' } })]);
    const error = await http(s.fetch).send({ method: 'GET', path: '/generations', idempotent: true }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'GalleryError', code: 'invalid_input', message: 'prompt: too long', field: 'prompt', status: 400, retryable: false });
    expect(s.calls).toHaveLength(1);
  });

  it('gives up instead of waiting when Retry-After is longer than maxDelayMs, and reports it on the error', async () => {
    const s = scripted([json(429, { error: { code: 'rate_limited', message: 'slow down' } }, { 'retry-after': '60' })]);
    const error = await http(s.fetch).send({ method: 'GET', path: '/generations', idempotent: true }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'rate_limited', status: 429, retryAfterMs: 60_000, retryable: true });
    expect(s.calls).toHaveLength(1);
  });

  it('returns a 404 that answers a retried DELETE (the first attempt deleted it) but throws it on the first attempt', async () => {
    const gone = () => json(404, { error: { code: 'not_found', message: 'No entry a.' } });
    const retried = scripted([new TypeError('socket hang up'), gone()]);
    const response = await http(retried.fetch).send({ method: 'DELETE', path: '/generations/a', idempotent: true, passStatusesOnRetry: [404] });
    expect(response.status).toBe(404);
    const first = scripted([gone()]);
    await expect(http(first.fetch).send({ method: 'DELETE', path: '/generations/a', idempotent: true, passStatusesOnRetry: [404] })).rejects.toMatchObject({ code: 'not_found', status: 404 });
  });

  it('maps a non-JSON error page by status and keeps a JSON message whose code is not a GalleryError code', async () => {
    const html = await errorFromResponse(new Response('<h1>Bad gateway</h1>', { status: 502, headers: { 'content-type': 'text/html' } }), 'GET /x');
    expect(html).toMatchObject({ code: 'storage_failed', status: 502, retryable: true });
    expect(html.message).toMatch(/HTTP 502.*baseUrl/);
    const internal = await errorFromResponse(json(500, { error: { code: 'internal_error', message: 'The server failed unexpectedly.' } }), 'GET /x');
    expect(internal).toMatchObject({ code: 'storage_failed', status: 500, message: 'The server failed unexpectedly.' });
    expect([401, 403, 404, 405, 409, 413, 429, 504].map(codeForStatus)).toEqual(['auth_failed', 'forbidden', 'not_found', 'unsupported', 'conflict', 'invalid_input', 'rate_limited', 'timeout']);
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });

  it('turns a network failure into a retryable storage_failed without a status, naming the URL', async () => {
    const s = scripted([new TypeError('fetch failed')]);
    const error = await http(s.fetch, { retry: { ...DEFAULT_RETRY, limit: 0 } }).send({ method: 'GET', path: '/generations', idempotent: true }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'storage_failed', retryable: true });
    expect((error as GalleryError).status).toBeUndefined();
    expect((error as Error).message).toContain('http://gallery.test/api/gallery/generations');
  });

  it('times out an attempt with `timeout` and aborts with `cancelled` when the caller aborts', async () => {
    const hanging: FetchLike = (_url, init) => new Promise((_, reject) => {
      init?.signal?.addEventListener('abort', () => reject(init.signal!.reason));
    });
    await expect(http(hanging, { timeoutMs: 20, retry: { ...DEFAULT_RETRY, limit: 0 } }).send({ method: 'GET', path: '/x', idempotent: true }))
      .rejects.toMatchObject({ code: 'timeout', retryable: true });
    const controller = new AbortController();
    let started!: () => void;
    const fetchStarted = new Promise<void>((resolve) => (started = resolve));
    const pending = http((url, init) => {
      started();
      return hanging(url, init);
    }).send({ method: 'GET', path: '/x', idempotent: true, signal: controller.signal });
    await fetchStarted;
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'cancelled', retryable: false });
  });

  it('sends the configured headers (a function is called per request), credentials and the CSRF header on writes only', async () => {
    let token = 0;
    const s = scripted([json(200, {}), json(200, {})]);
    const client = http(s.fetch, { headers: () => ({ Authorization: `Bearer t${++token}` }), credentials: 'include' });
    await client.send({ method: 'GET', path: '/a', idempotent: true });
    await client.send({ method: 'PATCH', path: '/a', json: { favorite: true }, idempotent: true });
    const [get, patch] = s.calls.map((c) => ({ headers: c.init?.headers as Record<string, string>, credentials: c.init?.credentials, body: c.init?.body }));
    expect(get).toMatchObject({ headers: { Authorization: 'Bearer t1' }, credentials: 'include' });
    expect(get!.headers['Video-Gallery-Request']).toBeUndefined();
    expect(patch).toMatchObject({ headers: { Authorization: 'Bearer t2', 'Video-Gallery-Request': '1', 'Content-Type': 'application/json' }, body: '{"favorite":true}' });
  });
});
