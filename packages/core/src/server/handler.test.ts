import { afterEach, describe, expect, it, vi } from 'vitest';
import type { GalleryEntry } from '../contracts/entry.js';
import { GalleryError } from '../errors.js';
import { createMemoryStorage } from '../memory-storage.js';
import { fakeVideoBytes } from '../testing/fake-provider.js';
import { createGalleryHandler } from './handler.js';
import { BASE, setupServer, THUMBNAIL, until, type ServerSetup } from './test-support.js';

const setups: ServerSetup[] = [];
function setup(options?: Parameters<typeof setupServer>[0]): ServerSetup {
  const s = setupServer(options);
  setups.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(setups.splice(0).map((s) => s.close()));
});

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 1, 2, 3]);
const WEBP = new Uint8Array([0x52, 0x49, 0x46, 0x46, 20, 0, 0, 0, 0x57, 0x45, 0x42, 0x50, 0x56, 0x50, 0x38, 0x20, 1, 2]);
const CUSTOM = { 'video-gallery-request': '1' };

async function errorOf(response: Response): Promise<{ code: string; message: string; field?: string }> {
  const body = (await response.json()) as { error: { code: string; message: string; field?: string } };
  expect(Object.keys(body)).toEqual(['error']);
  return body.error;
}

function multipart(fields: Record<string, string | Blob>): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  return form;
}

describe('createGalleryHandler: options', () => {
  it('requires authenticate and checks numeric options and basePath', () => {
    const { gallery } = setup();
    const code = (fn: () => unknown) => {
      try {
        fn();
        return 'ok';
      } catch (error) {
        return GalleryError.isInstance(error) ? `${error.code}:${error.field}` : String(error);
      }
    };
    expect(code(() => createGalleryHandler(gallery, {} as never))).toBe('invalid_input:authenticate');
    expect(code(() => createGalleryHandler(gallery, { authenticate: () => 'a', maxUploadBytes: -1 }))).toBe('invalid_input:maxUploadBytes');
    expect(code(() => createGalleryHandler(gallery, { authenticate: () => 'a', heartbeatMs: 0 }))).toBe('invalid_input:heartbeatMs');
    expect(code(() => createGalleryHandler(gallery, { authenticate: () => 'a', basePath: 'api' }))).toBe('invalid_input:basePath');
  });

  it('serves under a custom basePath (trailing slash ignored) and answers 404 outside it', async () => {
    const { gallery } = setup();
    const handler = createGalleryHandler(gallery, { authenticate: () => 'alice', basePath: '/v1/videos/' });
    expect((await handler(new Request('http://x/v1/videos/capabilities'))).status).toBe(200);
    expect((await handler(new Request('http://x/v1/videos/capabilities/'))).status).toBe(200);
    expect((await handler(new Request('http://x/api/gallery/capabilities'))).status).toBe(404);
    expect((await handler(new Request('http://x/v1/videosX/capabilities'))).status).toBe(404);
    expect((await handler(new Request('http://x/v1/videos//capabilities'))).status).toBe(404);
    handler.close();
  });
});

describe('GET /capabilities', () => {
  it('lists providers and models for an authenticated caller', async () => {
    const s = setup();
    const response = await s.call('GET', '/capabilities');
    expect(response.status).toBe(200);
    const body = (await response.json()) as { defaultProvider: string; providers: { id: string; models: { id: string }[] }[] };
    expect(body.defaultProvider).toBe('fake');
    expect(body.providers[0]!.models[0]!.id).toBe('fake-1');
  });

  it('401 without credentials; 405 for another method; HEAD has no body', async () => {
    const s = setup();
    const anonymous = await s.call('GET', '/capabilities', { user: null });
    expect(anonymous.status).toBe(401);
    expect((await errorOf(anonymous)).code).toBe('auth_failed');
    const post = await s.call('POST', '/capabilities', { json: {} });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    const head = await s.call('HEAD', '/capabilities');
    expect(head.status).toBe(200);
    expect(head.body).toBeNull();
  });

  it('allowAnonymous accepts a null owner, who then has entries of their own', async () => {
    const s = setup({ handler: { allowAnonymous: true } });
    const created = await s.call('POST', '/generations', { user: null, json: { prompt: 'anonymous fox' } });
    expect(created.status).toBe(202);
    expect(((await created.json()) as GalleryEntry).owner).toBeNull();
    const list = (await (await s.call('GET', '/generations', { user: null })).json()) as { total: number };
    expect(list.total).toBe(1);
    expect(((await (await s.call('GET', '/generations', { user: 'alice' })).json()) as { total: number }).total).toBe(0);
  });
});

describe('POST /generations', () => {
  it('202 + the queued entry without provider internals, with a Location', async () => {
    const s = setup();
    const response = await s.call('POST', '/generations', { json: { prompt: 'a fox in the snow', durationSeconds: 2 } });
    expect(response.status).toBe(202);
    const entry = (await response.json()) as Record<string, unknown>;
    expect(entry).toMatchObject({ status: 'queued', owner: 'alice', version: 1, request: { prompt: 'a fox in the snow', durationSeconds: 2 } });
    expect(entry).not.toHaveProperty('task');
    expect(entry).not.toHaveProperty('outputs');
    expect(response.headers.get('location')).toBe(`/api/gallery/generations/${entry.id as string}`);
    await s.settle();
    expect((await s.gallery.get(entry.id as string))?.status).toBe('ready');
  });

  it('the same Idempotency-Key returns the same entry and starts one job', async () => {
    const s = setup();
    const send = () => s.call('POST', '/generations', { json: { prompt: 'once' }, headers: { 'idempotency-key': 'key-123' } });
    const a = (await (await send()).json()) as { id: string };
    const second = await send();
    expect(second.status).toBe(202);
    expect(((await second.json()) as { id: string }).id).toBe(a.id);
    await s.settle();
    expect(s.provider.calls.start).toHaveLength(1);
    const bad = await s.call('POST', '/generations', { json: { prompt: 'x' }, headers: { 'idempotency-key': 'has space' } });
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).field).toBe('idempotencyKey');
  });

  it('400 with the field for invalid requests (model options included), malformed JSON and unknown fields', async () => {
    const s = setup();
    const cases: [unknown, string][] = [
      [{ prompt: '' }, 'prompt'],
      [{ prompt: 'x'.repeat(101) }, 'prompt'],
      [{ prompt: 'x', durationSeconds: 3 }, 'durationSeconds'],
      [{ prompt: 'x', aspectRatio: '4:3' }, 'aspectRatio'],
      [{ prompt: 'x', resolution: '720p', aspectRatio: '1:1', durationSeconds: 8 }, 'durationSeconds'],
      [{ prompt: 'x', colour: 'red' }, 'colour'],
      [{ prompt: 'x', image: 'not an object' }, 'image'],
      [{ prompt: 'x', image: { url: 'https://example.com/a.png' } }, 'image'],
      [{ prompt: 'x', image: { data: '!!notbase64', mediaType: 'image/png' } }, 'image'],
      [[1, 2], 'body'],
    ];
    for (const [json, field] of cases) {
      const response = await s.call('POST', '/generations', { json });
      expect(response.status, JSON.stringify(json)).toBe(400);
      const error = await errorOf(response);
      expect(error.code).toBe('invalid_input');
      expect(error.field, JSON.stringify(json)).toBe(field);
    }
    const malformed = await s.call('POST', '/generations', { body: '{"prompt":', headers: { 'content-type': 'application/json' } });
    expect(malformed.status).toBe(400);
    expect((await errorOf(malformed)).field).toBe('body');
    expect(await s.gallery.list({})).toMatchObject({ total: 0 });
  });

  it('accepts a small base64 image in JSON, sniffing its real type', async () => {
    const s = setup();
    const data = btoa(String.fromCharCode(...PNG));
    const response = await s.call('POST', '/generations', { json: { prompt: 'x', image: { data, mediaType: 'image/jpeg' } } });
    expect(response.status).toBe(202);
    expect(((await response.json()) as GalleryEntry).request.image).toMatchObject({ mediaType: 'image/png' });
  });

  it('image URLs only with allowImageUrls, and only public https ones', async () => {
    const s = setup({ handler: { allowImageUrls: true } });
    const local = await s.call('POST', '/generations', { json: { prompt: 'x', image: { url: 'http://127.0.0.1/a.png' } } });
    expect(local.status).toBe(400);
    const ok = await s.call('POST', '/generations', { json: { prompt: 'x', image: { url: 'https://example.com/a.png' } } });
    expect(ok.status).toBe(202);
  });

  it('413 for a JSON body over maxJsonBytes, with or without Content-Length', async () => {
    const s = setup({ handler: { maxJsonBytes: 100 } });
    const big = JSON.stringify({ prompt: 'x'.repeat(200) });
    const declared = await s.call('POST', '/generations', { body: big, headers: { 'content-type': 'application/json' } });
    expect(declared.status).toBe(413);
    expect((await errorOf(declared)).field).toBe('body');
    const streamed = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big));
        controller.close();
      },
    });
    const response = await s.handler(new Request(`${BASE}/generations`, {
      method: 'POST', body: streamed, headers: { authorization: 'Bearer alice', 'content-type': 'application/json' }, duplex: 'half',
    } as RequestInit));
    expect(response.status).toBe(413);
  });

  it('415 for a body that is neither JSON nor multipart (when the CSRF header is there)', async () => {
    const s = setup();
    const response = await s.call('POST', '/generations', { body: 'prompt=x', headers: { 'content-type': 'text/plain', ...CUSTOM } });
    expect(response.status).toBe(415);
    expect((await errorOf(response)).code).toBe('unsupported');
  });

  it('multipart: image (checked by magic bytes) and coerced fields', async () => {
    const s = setup();
    const form = multipart({ prompt: 'a boat', durationSeconds: '8', seed: '42', audio: 'true', image: new Blob([PNG], { type: 'application/octet-stream' }) });
    const response = await s.call('POST', '/generations', { body: form, headers: CUSTOM });
    expect(response.status).toBe(202);
    const entry = (await response.json()) as GalleryEntry;
    expect(entry.request).toMatchObject({ prompt: 'a boat', durationSeconds: 8, seed: 42, audio: true, image: { mediaType: 'image/png' } });
    const key = (entry.request.image as { key: string }).key;
    const stored = await s.storage.get(key);
    expect(new Uint8Array(await new Response(stored!.body).arrayBuffer())).toEqual(PNG);
  });

  it('multipart errors: 403 without the custom header, 415 bad type, 413 too big, 400 bad fields', async () => {
    const s = setup({ handler: { maxUploadBytes: 64 } });
    const noHeader = await s.call('POST', '/generations', { body: multipart({ prompt: 'x', image: new Blob([PNG]) }) });
    expect(noHeader.status).toBe(403);
    expect((await errorOf(noHeader)).code).toBe('forbidden');
    const gif = await s.call('POST', '/generations', { body: multipart({ prompt: 'x', image: new Blob([new TextEncoder().encode('GIF89a......')], { type: 'image/png' }) }), headers: CUSTOM });
    expect(gif.status).toBe(415);
    expect((await errorOf(gif)).field).toBe('image');
    const big = new Uint8Array(65);
    big.set(PNG);
    const tooBig = await s.call('POST', '/generations', { body: multipart({ prompt: 'x', image: new Blob([big]) }), headers: CUSTOM });
    expect(tooBig.status).toBe(413);
    expect((await errorOf(tooBig)).field).toBe('image');
    const cases: [Record<string, string | Blob>, string][] = [
      [{ prompt: 'x', durationSeconds: 'four' }, 'durationSeconds'],
      [{ prompt: 'x', audio: 'yes' }, 'audio'],
      [{ prompt: 'x', favourite: 'true' }, 'favourite'],
      [{ prompt: 'x', image: 'a string' }, 'image'],
      [{ prompt: new Blob(['x']) }, 'prompt'],
      // WebP is a valid upload, but fake-1 takes only PNG and JPEG: the model's own validation answers.
      [{ prompt: 'x', image: new Blob([WEBP]) }, 'image'],
    ];
    for (const [fields, field] of cases) {
      const response = await s.call('POST', '/generations', { body: multipart(fields), headers: CUSTOM });
      expect(response.status, field).toBe(400);
      expect((await errorOf(response)).field, field).toBe(field);
    }
    const many: Record<string, string> = {};
    for (let i = 0; i < 20; i++) many[`f${i}`] = 'x';
    const tooMany = await s.call('POST', '/generations', { body: multipart(many), headers: CUSTOM });
    expect(tooMany.status).toBe(400);
    expect((await errorOf(tooMany)).message).toMatch(/at most 16/);
    const broken = await s.call('POST', '/generations', { body: 'garbage', headers: { ...CUSTOM, 'content-type': 'multipart/form-data; boundary=zzz' } });
    expect(broken.status).toBe(400);
    expect(await s.gallery.list({})).toMatchObject({ total: 0 });
  });

  it('rateLimit: 429 with Retry-After before the body is read', async () => {
    const seen: (string | null)[] = [];
    const s = setup({ handler: { rateLimit: (_request, owner) => (seen.push(owner), owner === 'greedy' ? { ok: false, retryAfterMs: 2500 } : { ok: true }) } });
    const refused = await s.call('POST', '/generations', { user: 'greedy', json: { prompt: 'x' } });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('3');
    expect((await errorOf(refused)).code).toBe('rate_limited');
    expect((await s.call('POST', '/generations', { json: { prompt: 'x' } })).status).toBe(202);
    expect(seen).toEqual(['greedy', 'alice']);
  });
});

describe('GET /generations', () => {
  it('lists the owner\'s entries with filters, sort and cursor pagination', async () => {
    const s = setup();
    const ids: string[] = [];
    for (const prompt of ['red fox', 'blue whale', 'red panda']) ids.push((await s.ready('alice', prompt)).id);
    await s.ready('bob', 'red fox of bob');
    await s.call('PATCH', `/generations/${ids[1]!}`, { json: { favorite: true, visibility: 'published' } });
    const list = async (query: string) => {
      const response = await s.call('GET', `/generations${query}`);
      expect(response.status, query).toBe(200);
      return (await response.json()) as { items: GalleryEntry[]; total: number; nextCursor: string | null };
    };
    const all = await list('');
    expect(all.total).toBe(3);
    expect(all.items.map((e) => e.request.prompt)).toEqual(['red panda', 'blue whale', 'red fox']);
    expect(all.items[0]).not.toHaveProperty('task');
    expect((await list('?sort=oldest')).items.map((e) => e.request.prompt)).toEqual(['red fox', 'blue whale', 'red panda']);
    expect((await list('?q=RED')).total).toBe(2);
    expect((await list('?favorite=true')).items.map((e) => e.id)).toEqual([ids[1]]);
    expect((await list('?visibility=draft')).total).toBe(2);
    expect((await list('?status=ready,failed')).total).toBe(3);
    expect((await list('?status=queued')).total).toBe(0);
    const page1 = await list('?limit=2');
    expect(page1.items).toHaveLength(2);
    expect(page1.nextCursor).not.toBeNull();
    const page2 = await list(`?limit=2&cursor=${encodeURIComponent(page1.nextCursor!)}`);
    expect(page2.items.map((e) => e.id)).toEqual([ids[0]]);
    expect(page2.nextCursor).toBeNull();
  });

  it('400 for bad query values', async () => {
    const s = setup();
    for (const [query, field] of [
      ['?limit=0', 'limit'], ['?limit=101', 'limit'], ['?limit=abc', 'limit'], ['?status=done', 'status'], ['?favorite=maybe', 'favorite'],
      ['?visibility=public', 'visibility'], ['?sort=random', 'sort'], ['?cursor=not-a-cursor', 'cursor'], [`?q=${'x'.repeat(501)}`, 'q'],
    ]) {
      const response = await s.call('GET', `/generations${query!}`);
      expect(response.status, query).toBe(400);
      expect((await errorOf(response)).field, query).toBe(field);
    }
  });
});

describe('GET / PATCH / DELETE /generations/:id', () => {
  it('ETag from id + version; If-None-Match → 304; a change gives a new ETag', async () => {
    const s = setup();
    const { id } = await s.ready('alice');
    const first = await s.call('GET', `/generations/${id}`);
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag')!;
    const version = ((await first.json()) as GalleryEntry).version;
    expect(etag).toBe(`"${id}.${version}"`);
    expect(first.headers.get('cache-control')).toBe('private, no-cache');
    const cached = await s.call('GET', `/generations/${id}`, { headers: { 'if-none-match': `"other", ${etag}` } });
    expect(cached.status).toBe(304);
    expect(await cached.text()).toBe('');
    const patched = await s.call('PATCH', `/generations/${id}`, { json: { caption: 'Snowy', favorite: true } });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({ caption: 'Snowy', favorite: true, version: version + 1 });
    const after = await s.call('GET', `/generations/${id}`, { headers: { 'if-none-match': etag } });
    expect(after.status).toBe(200);
    expect(after.headers.get('etag')).toBe(`"${id}.${version + 1}"`);
  });

  it('404 for unknown and malformed ids', async () => {
    const s = setup();
    for (const id of ['nope', 'a%2Fb', 'x'.repeat(129), '%E0%A4%A', 'a b']) {
      const response = await s.call('GET', `/generations/${id}`);
      expect(response.status, id).toBe(404);
      expect((await errorOf(response)).code).toBe('not_found');
    }
    expect((await s.call('GET', '/generations/nope/video')).status).toBe(404);
    expect((await s.call('GET', '/generations/nope/other')).status).toBe(404);
    expect((await s.call('GET', '/generations/nope/video/extra')).status).toBe(404);
    expect((await s.call('GET', '/nothing')).status).toBe(404);
  });

  it('PATCH validates fields (400) and needs a JSON body (415)', async () => {
    const s = setup();
    const { id } = await s.ready('alice');
    for (const [json, field] of [[{ status: 'ready' }, 'status'], [{ favorite: 'yes' }, 'favorite'], [{ visibility: 'public' }, 'visibility'], [{ caption: 'x'.repeat(2001) }, 'caption']] as const) {
      const response = await s.call('PATCH', `/generations/${id}`, { json });
      expect(response.status, field).toBe(400);
      expect((await errorOf(response)).field).toBe(field);
    }
    const text = await s.call('PATCH', `/generations/${id}`, { body: 'favorite=true', headers: { 'content-type': 'text/plain', ...CUSTOM } });
    expect(text.status).toBe(415);
    expect((await s.call('PUT', `/generations/${id}`, { json: {} })).status).toBe(405);
  });

  it('DELETE → 204 and the entry, its video and thumbnail are gone', async () => {
    const s = setup();
    const { id } = await s.ready('alice');
    const entry = (await s.gallery.get(id))!;
    const response = await s.call('DELETE', `/generations/${id}`, { headers: CUSTOM });
    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
    expect((await s.call('GET', `/generations/${id}`)).status).toBe(404);
    expect(await s.storage.head(entry.video!.key)).toBeNull();
    expect(await s.storage.head(entry.thumbnail!.key)).toBeNull();
    expect((await s.call('DELETE', `/generations/${id}`, { headers: CUSTOM })).status).toBe(404);
  });
});

describe('retry and cancel', () => {
  it('retry re-queues a failed job (202, attempt + 1); retrying a ready one is 409', async () => {
    const s = setup({ provider: { script: [{ state: 'failed', error: new GalleryError('content_policy', 'refused') }] } });
    const created = (await (await s.call('POST', '/generations', { json: { prompt: 'x' } })).json()) as GalleryEntry;
    await s.settle();
    const failed = (await (await s.call('GET', `/generations/${created.id}`)).json()) as GalleryEntry;
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'content_policy' } });
    const retried = await s.call('POST', `/generations/${created.id}/retry`, { headers: CUSTOM });
    expect(retried.status).toBe(202);
    expect(await retried.json()).toMatchObject({ status: 'queued', attempt: 2 });
    await s.settle();
    expect((await s.call('GET', `/generations/${created.id}/retry`)).status).toBe(405);

    const t = setup();
    const { id } = await t.ready('alice');
    const conflict = await t.call('POST', `/generations/${id}/retry`, { headers: CUSTOM });
    expect(conflict.status).toBe(409);
    expect((await errorOf(conflict)).code).toBe('conflict');
  });

  it('cancel answers the entry with providerCancelled; cancelling a finished job is 409', async () => {
    const s = setup({ provider: { script: [{ state: 'pending' }] } });
    const created = (await (await s.call('POST', '/generations', { json: { prompt: 'x' } })).json()) as GalleryEntry;
    await until(async () => (await s.gallery.get(created.id))?.status === 'generating', 'generating');
    const cancelled = await s.call('POST', `/generations/${created.id}/cancel`, { headers: CUSTOM });
    expect(cancelled.status).toBe(200);
    expect(await cancelled.json()).toMatchObject({ status: 'cancelled', providerCancelled: true });
    const again = await s.call('POST', `/generations/${created.id}/cancel`, { headers: CUSTOM });
    expect(again.status).toBe(409);
  });
});

describe('video and thumbnail', () => {
  it('streams the video with validators, caching by ?v= and a safe download name', async () => {
    const s = setup();
    const { id, attempt } = await s.ready('alice', 'A "fox"/in\nthe snow ü');
    const response = await s.call('GET', `/generations/${id}/video`);
    expect(response.status).toBe(200);
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(fakeVideoBytes());
    expect(response.headers.get('content-type')).toBe('video/mp4');
    expect(response.headers.get('accept-ranges')).toBe('bytes');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('etag')).toMatch(new RegExp(`^"${id}\\.1\\.`));
    expect(response.headers.get('cache-control')).toBe('private, no-cache');
    const versioned = await s.call('GET', `/generations/${id}/video?v=${attempt}&download=1`);
    expect(versioned.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
    expect(versioned.headers.get('content-disposition')).toBe(`attachment; filename="A fox in the snow u.mp4"; filename*=UTF-8''A%20fox%20in%20the%20snow%20%C3%BC.mp4`);
    await versioned.body?.cancel();
    const stale = await s.call('GET', `/generations/${id}/video?v=${attempt + 1}`);
    expect(stale.headers.get('cache-control')).toBe('private, no-cache');
    await stale.body?.cancel();
  });

  it('thumbnail: image type, ETag with the attempt that changes when a retry overwrites it', async () => {
    const s = setup();
    const { id } = await s.ready('alice');
    const first = await s.call('GET', `/generations/${id}/thumbnail?v=1`);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('image/jpeg');
    expect(new Uint8Array(await first.arrayBuffer())).toEqual(THUMBNAIL);
    expect(first.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
    const etag = first.headers.get('etag')!;
    expect((await s.call('GET', `/generations/${id}/thumbnail`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    // Make the entry retryable, retry, and let the job overwrite the same keys.
    const entry = (await s.gallery.get(id))!;
    await s.gallery.store.update(id, { status: 'failed', error: { code: 'provider_error', message: 'x', retryable: true } }, { expectVersion: entry.version });
    expect((await s.call('POST', `/generations/${id}/retry`, { headers: CUSTOM })).status).toBe(202);
    await s.settle();
    const after = await s.call('GET', `/generations/${id}/thumbnail`, { headers: { 'if-none-match': etag } });
    expect(after.status).toBe(200);
    expect(after.headers.get('etag')).not.toBe(etag);
    expect(after.headers.get('etag')).toMatch(new RegExp(`^"${id}\\.2\\.`));
    expect((await s.call('GET', `/generations/${id}/thumbnail?v=1`)).headers.get('cache-control')).toBe('private, no-cache');
  });

  it('404 before the job stored anything, and when storage lost the file', async () => {
    const s = setup({ provider: { script: [{ state: 'pending' }] } });
    const created = (await (await s.call('POST', '/generations', { json: { prompt: 'x' } })).json()) as GalleryEntry;
    const early = await s.call('GET', `/generations/${created.id}/video`);
    expect(early.status).toBe(404);
    expect((await errorOf(early)).message).toMatch(/no video yet/);
    expect((await s.call('GET', `/generations/${created.id}/thumbnail`)).status).toBe(404);
    await s.gallery.cancel(created.id);

    const t = setup();
    const { id } = await t.ready('alice');
    const entry = (await t.gallery.get(id))!;
    await t.storage.delete(entry.video!.key);
    expect((await t.call('GET', `/generations/${id}/video`)).status).toBe(404);
  });

  it('never serves a stored non-video type as such (no HTML from storage)', async () => {
    const s = setup();
    const { id } = await s.ready('alice');
    const entry = (await s.gallery.get(id))!;
    await s.storage.put(entry.video!.key, new TextEncoder().encode('<script>alert(1)</script>'), { contentType: 'text/html' });
    const response = await s.call('GET', `/generations/${id}/video`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('redirectToSignedUrls answers 302 to storage.url()', async () => {
    const storage = createMemoryStorage();
    const signed = Object.assign(Object.create(storage) as typeof storage, { url: async (key: string, o?: { downloadName?: string }) => `https://cdn.example.com/${key}?sig=1${o?.downloadName ? '&dl=1' : ''}` });
    const s = setup({ storage: signed, handler: { redirectToSignedUrls: true } });
    const { id } = await s.ready('alice');
    const response = await s.call('GET', `/generations/${id}/video?download=1`);
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(`https://cdn.example.com/videos/${id}.mp4?sig=1&dl=1`);
    expect(response.headers.get('cache-control')).toBe('private, no-store');
  });
});

describe('owner isolation', () => {
  it('another owner gets 404 for every route on the entry, and nothing changes', async () => {
    const s = setup({ provider: { script: [{ state: 'pending' }, { state: 'succeeded' }] } });
    const { id } = await s.ready('alice');
    const before = (await s.gallery.get(id))!;
    const attempts: [string, string, Parameters<ServerSetup['call']>[2]][] = [
      ['GET', `/generations/${id}`, {}],
      ['HEAD', `/generations/${id}`, {}],
      ['GET', `/generations/${id}/video`, {}],
      ['GET', `/generations/${id}/video`, { headers: { range: 'bytes=0-9' } }],
      ['HEAD', `/generations/${id}/video`, {}],
      ['GET', `/generations/${id}/thumbnail`, {}],
      ['PATCH', `/generations/${id}`, { json: { favorite: true, visibility: 'published' } }],
      ['POST', `/generations/${id}/retry`, { headers: CUSTOM }],
      ['POST', `/generations/${id}/cancel`, { headers: CUSTOM }],
      ['DELETE', `/generations/${id}`, { headers: CUSTOM }],
    ];
    const missing = await s.call('GET', '/generations/does-not-exist', { user: 'bob' });
    const missingBody = await missing.text();
    for (const [method, path, init] of attempts) {
      const response = await s.call(method, path, { ...init, user: 'bob' });
      expect(response.status, `${method} ${path}`).toBe(404);
      if (method === 'GET' && path === `/generations/${id}`) {
        // Indistinguishable from a missing entry except for the id in the message.
        expect((await response.text()).replace(id, 'does-not-exist')).toBe(missingBody);
      }
    }
    const list = (await (await s.call('GET', '/generations', { user: 'bob' })).json()) as { total: number; items: unknown[] };
    expect(list).toEqual({ items: [], total: 0, nextCursor: null });
    const after = (await s.gallery.get(id))!;
    expect(after).toEqual(before);
    expect(await s.storage.head(after.video!.key)).not.toBeNull();
  });
});

describe('CSRF rule', () => {
  it('refuses simple (form-like) mutations with 403 and a clear message, accepts JSON or the custom header', async () => {
    const s = setup();
    const { id } = await s.ready('alice');
    const simple: [string, string, Record<string, string>, string | null][] = [
      ['POST', '/generations', { 'content-type': 'application/x-www-form-urlencoded' }, 'prompt=x'],
      ['POST', '/generations', { 'content-type': 'text/plain' }, '{"prompt":"x"}'],
      ['PATCH', `/generations/${id}`, { 'content-type': 'text/plain' }, '{"favorite":true}'],
      ['DELETE', `/generations/${id}`, {}, null],
      ['POST', `/generations/${id}/retry`, {}, null],
      ['POST', `/generations/${id}/cancel`, {}, null],
    ];
    for (const [method, path, headers, body] of simple) {
      const response = await s.call(method, path, { headers, body });
      expect(response.status, `${method} ${path}`).toBe(403);
      const error = await errorOf(response);
      expect(error.code).toBe('forbidden');
      expect(error.message).toMatch(/Video-Gallery-Request: 1/);
    }
    expect((await s.gallery.get(id))?.favorite).toBe(false);
    expect((await s.call('POST', `/generations/${id}/cancel`, { headers: { 'x-requested-with': 'XMLHttpRequest' } })).status).toBe(409);
    expect((await s.call('DELETE', `/generations/${id}`, { headers: { 'content-type': 'application/json' } })).status).toBe(204);
  });
});

describe('GET /feed', () => {
  it('lists published, ready entries of every owner without owner data, and serves their media without auth', async () => {
    const s = setup();
    const a = await s.ready('alice', 'published fox');
    const b = await s.ready('bob', 'published whale');
    await s.ready('alice', 'draft');
    await s.call('PATCH', `/generations/${a.id}`, { user: 'alice', json: { visibility: 'published', caption: 'Fox' } });
    await s.call('PATCH', `/generations/${b.id}`, { user: 'bob', json: { visibility: 'published' } });
    const response = await s.call('GET', '/feed', { user: null });
    expect(response.status).toBe(200);
    const feed = (await response.json()) as { items: Record<string, unknown>[]; total: number };
    expect(feed.total).toBe(2);
    const text = JSON.stringify(feed);
    for (const secret of ['alice', 'bob', 'owner', 'idempotencyKey', 'task', 'outputs', '"error"', 'videos/', 'thumbnails/', 'warnings', 'favorite']) {
      expect(text, secret).not.toContain(secret);
    }
    expect(feed.items.map((e) => (e.request as { prompt: string }).prompt).sort()).toEqual(['published fox', 'published whale']);
    const video = await s.call('GET', `/feed/${a.id}/video`, { user: null, headers: { range: 'bytes=0-3' } });
    expect(video.status).toBe(206);
    expect(new Uint8Array(await video.arrayBuffer())).toEqual(fakeVideoBytes().slice(0, 4));
    const thumb = await s.call('GET', `/feed/${a.id}/thumbnail?v=1`, { user: null });
    expect(thumb.status).toBe(200);
    expect(thumb.headers.get('cache-control')).toBe('public, max-age=3600');
    await thumb.body?.cancel();
    const list = (await (await s.call('GET', '/generations')).json()) as { items: GalleryEntry[] };
    const draft = list.items.find((e) => e.visibility === 'draft')!;
    expect((await s.call('GET', `/feed/${draft.id}/video`, { user: null })).status).toBe(404);
    expect((await s.call('GET', `/feed/${draft.id}`, { user: null })).status).toBe(404);
    expect((await s.call('POST', '/feed', { json: {} })).status).toBe(405);
    expect((await s.call('GET', '/feed?limit=1', { user: null }).then((r) => r.json()) as { items: unknown[] }).items).toHaveLength(1);
    expect((await s.call('GET', '/feed?limit=-1', { user: null })).status).toBe(400);
  });
});

describe('POST /webhooks/:provider', () => {
  it('verifies, finds the entry by its task and pokes it; 403 unverified; 404 unknown provider', async () => {
    const s = setup({ provider: { script: [{ state: 'pending' }] } });
    let verdict: { task: unknown } | null = null;
    (s.provider as { verifyWebhook?: (request: Request) => Promise<unknown> }).verifyWebhook = async (request) => {
      await request.text();
      return verdict;
    };
    const created = (await (await s.call('POST', '/generations', { json: { prompt: 'x' } })).json()) as GalleryEntry;
    await until(async () => (await s.gallery.get(created.id))?.task !== null, 'the task');
    const task = (await s.gallery.get(created.id))!.task as { id: string };
    const poke = vi.spyOn(s.gallery, 'poke');
    const post = () => s.handler(new Request(`${BASE}/webhooks/fake`, { method: 'POST', body: '{"event":"done"}', headers: { 'content-type': 'text/plain' } }));
    const unverified = await post();
    expect(unverified.status).toBe(403);
    expect(poke).not.toHaveBeenCalled();
    verdict = { task: { id: task.id } };
    const ok = await post();
    expect(ok.status).toBe(202);
    expect(await ok.json()).toEqual({ received: true });
    expect(poke).toHaveBeenCalledWith(created.id);
    verdict = { task: { id: 'task-unknown' } };
    poke.mockClear();
    expect((await post()).status).toBe(202);
    expect(poke).not.toHaveBeenCalled();
    expect((await s.handler(new Request(`${BASE}/webhooks/other`, { method: 'POST', body: '{}' }))).status).toBe(404);
    expect((await s.handler(new Request(`${BASE}/webhooks/fake`))).status).toBe(405);
    await s.gallery.cancel(created.id);
  });

  it('404 for a provider without verifyWebhook', async () => {
    const s = setup();
    expect((await s.handler(new Request(`${BASE}/webhooks/fake`, { method: 'POST', body: '{}' }))).status).toBe(404);
  });
});

describe('error mapping', () => {
  it('server-side failures are 5xx with a generic message: no details, stack or keys', async () => {
    const logged: string[] = [];
    const s = setup({ handler: { logger: { warn: (m) => logged.push(m), error: (m) => logged.push(m) } } });
    const { id } = await s.ready('alice');
    const cases: [unknown, number, string][] = [
      [new GalleryError('storage_failed', 'EACCES /srv/secret/path'), 500, 'storage_failed'],
      [new GalleryError('auth_failed', 'provider key sk-SECRET rejected'), 502, 'auth_failed'],
      [new GalleryError('provider_error', 'upstream said sk-SECRET'), 502, 'provider_error'],
      [new GalleryError('quota_exceeded', 'sk-SECRET quota', { retryAfterMs: 60_000 }), 503, 'quota_exceeded'],
      [new GalleryError('timeout', 'sk-SECRET slow'), 504, 'timeout'],
      [new Error('sk-SECRET kaboom'), 500, 'internal_error'],
    ];
    for (const [thrown, status, code] of cases) {
      const spy = vi.spyOn(s.gallery, 'get').mockRejectedValueOnce(thrown);
      const response = await s.call('GET', `/generations/${id}`);
      spy.mockRestore();
      expect(response.status, code).toBe(status);
      const text = await response.text();
      expect(text).not.toMatch(/SECRET|secret|stack|at .*\.ts/);
      expect(JSON.parse(text)).toMatchObject({ error: { code } });
    }
    expect(logged.filter((m) => m.includes('SECRET') || m.includes('secret'))).toHaveLength(cases.length);
  });

  it('authenticate failures: GalleryError keeps its status, anything else is a generic 500', async () => {
    const s = setup({ handler: { authenticate: () => { throw new Error('session db down at 10.0.0.5'); } } });
    const response = await s.call('GET', '/generations');
    expect(response.status).toBe(500);
    expect(await response.text()).not.toContain('10.0.0.5');
    const t = setup({ handler: { authenticate: () => { throw new GalleryError('rate_limited', 'slow down', { retryAfterMs: 1500 }); } } });
    const limited = await t.call('GET', '/generations');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
  });
});

describe('CORS', () => {
  it('answers preflights and echoes allowed origins with credentials; ignores others', async () => {
    const s = setup({ handler: { corsOrigins: ['https://app.example.com'] } });
    const preflight = await s.handler(new Request(`${BASE}/generations`, {
      method: 'OPTIONS', headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, idempotency-key' },
    }));
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Idempotency-Key/);
    const get = await s.call('GET', '/capabilities', { headers: { origin: 'https://app.example.com' } });
    expect(get.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(get.headers.get('access-control-expose-headers')).toMatch(/Content-Range/);
    expect(get.headers.get('vary')).toMatch(/Origin/);
    const other = await s.call('GET', '/capabilities', { headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const otherPreflight = await s.handler(new Request(`${BASE}/generations`, { method: 'OPTIONS', headers: { origin: 'https://evil.example' } }));
    expect(otherPreflight.headers.get('access-control-allow-methods')).toBeNull();
  });
});
