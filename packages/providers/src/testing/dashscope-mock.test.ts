import { afterEach, describe, expect, it } from 'vitest';
import { createDashScopeMock, manualClock, sampleVideoBytes, serveHandler, type DashScopeMock } from './index.js';
import { SAMPLE_VIDEO_BYTES } from './sample-video.js';

const KEY = 'sk-mock-strict';
const BASE = 'https://dashscope-intl.aliyuncs.com/api/v1';
const T2V = `${BASE}/services/aigc/video-generation/video-synthesis`;
const KF2V = `${BASE}/services/aigc/image2video/video-synthesis`;
const PNG_DATA_URI = 'data:image/png;base64,iVBORw0KGgo=';

function submit(mock: DashScopeMock, body: unknown, options: { url?: string; async?: boolean; key?: string | null } = {}): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.async !== false) headers['x-dashscope-async'] = 'enable';
  if (options.key !== null) headers.authorization = `Bearer ${options.key ?? KEY}`;
  return mock.handle(new Request(options.url ?? T2V, { method: 'POST', headers, body: JSON.stringify(body) }));
}

function get(mock: DashScopeMock, url: string, headers: Record<string, string> = { authorization: `Bearer ${KEY}` }): Promise<Response> {
  return mock.handle(new Request(url, { headers }));
}

const t2vBody = { model: 'wan2.2-t2v-plus', input: { prompt: 'A boat' }, parameters: { size: '1920*1080', duration: 5 } };
const i2vBody = (imgUrl: unknown): unknown => ({ model: 'wan2.2-i2v-flash', input: { prompt: 'Move', img_url: imgUrl }, parameters: { resolution: '720P', duration: 5 } });

async function errorOf(response: Response): Promise<{ status: number; code: unknown; message: unknown }> {
  const body = (await response.json()) as { code?: unknown; message?: unknown; output?: unknown };
  expect(body.output).toBeUndefined();
  return { status: response.status, code: body.code, message: body.message };
}

async function taskIdOf(response: Response): Promise<string> {
  expect(response.status).toBe(200);
  const body = (await response.json()) as { output: { task_id: string; task_status: string } };
  expect(body.output.task_status).toBe('PENDING');
  return body.output.task_id;
}

async function poll(mock: DashScopeMock, id: string): Promise<Record<string, unknown>> {
  const response = await get(mock, `${BASE}/tasks/${id}`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { output: Record<string, unknown> }).output;
}

describe('DashScope mock strictness (like the real service)', () => {
  const mock = createDashScopeMock({ apiKey: KEY });
  afterEach(() => mock.reset());

  it('rejects a submission without X-DashScope-Async with 403 AccessDenied', async () => {
    const error = await errorOf(await submit(mock, t2vBody, { async: false }));
    expect(error).toMatchObject({ status: 403, code: 'AccessDenied' });
    expect(error.message).toContain('synchronous');
    expect(mock.control.startCount()).toBe(0);
  });

  it('rejects a raw base64 image and accepts a data URI or a public URL', async () => {
    const raw = await errorOf(await submit(mock, i2vBody('iVBORw0KGgo=')));
    expect(raw).toMatchObject({ status: 400, code: 'InvalidParameter' });
    await taskIdOf(await submit(mock, i2vBody(PNG_DATA_URI)));
    await taskIdOf(await submit(mock, i2vBody('https://example.com/cat.png')));
    const broken = await errorOf(await submit(mock, i2vBody('data:image/png;base64,@@@')));
    expect(broken.code).toBe('InvalidParameter');
  });

  it('rejects a tier, a ratio or an x-separated size as a text-to-video size', async () => {
    for (const size of ['720P', '16:9', '1280x720', '1234*567']) {
      const error = await errorOf(await submit(mock, { ...t2vBody, parameters: { size, duration: 5 } }));
      expect(error).toMatchObject({ status: 400, code: 'InvalidParameter' });
    }
  });

  it('rejects a duration sent as a string or not offered by the model', async () => {
    expect((await errorOf(await submit(mock, { ...t2vBody, parameters: { size: '1920*1080', duration: '5' } }))).code).toBe('InvalidParameter');
    expect((await errorOf(await submit(mock, { ...t2vBody, parameters: { size: '1920*1080', duration: 10 } }))).code).toBe('InvalidParameter');
  });

  it('rejects a kf2v model on the video-generation route and accepts it on image2video', async () => {
    const body = { model: 'wanx2.1-kf2v-plus', input: { prompt: 'Rise', first_frame_url: PNG_DATA_URI, last_frame_url: PNG_DATA_URI }, parameters: { resolution: '720P' } };
    expect((await errorOf(await submit(mock, body))).message).toContain('url error');
    await taskIdOf(await submit(mock, body, { url: KF2V }));
  });

  it('answers 404 ModelNotFound for an unknown model and 401 for a missing or wrong key', async () => {
    expect(await errorOf(await submit(mock, { ...t2vBody, model: 'wan-nope' }))).toMatchObject({ status: 404, code: 'ModelNotFound' });
    expect(await errorOf(await submit(mock, t2vBody, { key: null }))).toMatchObject({ status: 401, code: 'InvalidApiKey', message: 'No API-key provided.' });
    expect(await errorOf(await submit(mock, t2vBody, { key: 'sk-other' }))).toMatchObject({ status: 401, code: 'InvalidApiKey', message: 'Invalid API-key provided.' });
  });

  it('steps PENDING → RUNNING → SUCCEEDED and answers UNKNOWN for an unknown id', async () => {
    const id = await taskIdOf(await submit(mock, { ...t2vBody, input: { prompt: 'A boat' } }));
    expect((await poll(mock, id)).task_status).toBe('PENDING');
    expect((await poll(mock, id)).task_status).toBe('RUNNING');
    const done = await poll(mock, id);
    expect(done.task_status).toBe('SUCCEEDED');
    expect(done.orig_prompt).toBe('A boat');
    expect(done.end_time).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/);
    expect((await poll(mock, 'no-such-task')).task_status).toBe('UNKNOWN');
  });

  it('cancels only while PENDING', async () => {
    const cancel = (id: string): Promise<Response> => mock.handle(new Request(`${BASE}/tasks/${id}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` } }));
    const first = await taskIdOf(await submit(mock, t2vBody));
    expect((await cancel(first)).status).toBe(200);
    expect((await poll(mock, first)).task_status).toBe('CANCELED');
    const second = await taskIdOf(await submit(mock, t2vBody));
    await poll(mock, second);
    const refused = await errorOf(await cancel(second));
    expect(refused.status).toBe(400);
    expect((await poll(mock, second)).task_status).toBe('RUNNING');
  });

  it('fails moderation at submit or at poll on request, and steers by prompt markers', async () => {
    mock.failNext('moderation-submit');
    expect((await errorOf(await submit(mock, t2vBody))).code).toBe('DataInspectionFailed');
    mock.failNext('moderation-poll');
    const id = await taskIdOf(await submit(mock, t2vBody));
    let output = await poll(mock, id);
    while (output.task_status === 'PENDING' || output.task_status === 'RUNNING') output = await poll(mock, id);
    expect(output).toMatchObject({ task_status: 'FAILED', code: 'DataInspectionFailed' });
    expect((await errorOf(await submit(mock, { ...t2vBody, input: { prompt: 'x [mock:blocked]' } }))).code).toBe('DataInspectionFailed');
  });

  it('answers 429 with Retry-After, and 5xx then recovers', async () => {
    mock.failNext('rate-limit');
    const limited = await submit(mock, t2vBody);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    mock.failNext('unavailable');
    expect((await submit(mock, t2vBody)).status).toBe(503);
    await taskIdOf(await submit(mock, t2vBody));
  });

  it('lists tasks filtered by model and time window in the list envelope', async () => {
    await taskIdOf(await submit(mock, t2vBody));
    await taskIdOf(await submit(mock, i2vBody(PNG_DATA_URI)));
    const response = await get(mock, `${BASE}/tasks?model_name=wan2.2-t2v-plus&page_no=1&page_size=10&start_time=20000101000000&end_time=20991231235959`);
    const body = (await response.json()) as { data: { model_name: string; gmt_create: number; status: string }[]; total: number; total_page: number };
    expect(body.total).toBe(1);
    expect(body.data[0]).toMatchObject({ model_name: 'wan2.2-t2v-plus', status: 'PENDING' });
    expect(typeof body.data[0]?.gmt_create).toBe('number');
    const outside = await get(mock, `${BASE}/tasks?start_time=20000101000000&end_time=20000102000000`);
    expect(((await outside.json()) as { total: number }).total).toBe(0);
  });
});

describe('DashScope mock result URLs', () => {
  it('serves the sample MP4 (with Range) until the signed URL expires, then answers 403 like OSS', async () => {
    const clock = manualClock();
    const mock = createDashScopeMock({ apiKey: KEY, now: clock.now, pendingPolls: 0, urlTtlMs: 60_000 });
    const id = await taskIdOf(await submit(mock, t2vBody));
    const output = await poll(mock, id);
    const url = String(output.video_url);
    expect(url).toMatch(/\?Expires=\d+&OSSAccessKeyId=[^&]+&Signature=[0-9a-f]+$/);

    const whole = await mock.handle(new Request(url));
    expect(whole.headers.get('content-type')).toBe('video/mp4');
    const bytes = new Uint8Array(await whole.arrayBuffer());
    expect(bytes).toEqual(sampleVideoBytes());
    expect(String.fromCharCode(...bytes.subarray(4, 8))).toBe('ftyp');

    const part = await mock.handle(new Request(url, { headers: { range: 'bytes=0-99' } }));
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 0-99/${SAMPLE_VIDEO_BYTES}`);
    expect((await part.arrayBuffer()).byteLength).toBe(100);

    const tampered = await mock.handle(new Request(url.replace(/Signature=[0-9a-f]+/, 'Signature=00')));
    expect(tampered.status).toBe(403);
    expect(await tampered.text()).toContain('SignatureDoesNotMatch');

    clock.advance(60_001);
    const expired = await mock.handle(new Request(url));
    expect(expired.status).toBe(403);
    expect(await expired.text()).toContain('<Code>AccessDenied</Code>');
  });

  it('answers UNKNOWN once a task is older than its retention', async () => {
    const clock = manualClock();
    const mock = createDashScopeMock({ apiKey: KEY, now: clock.now, taskTtlMs: 1_000 });
    const id = await taskIdOf(await submit(mock, t2vBody));
    clock.advance(1_000);
    expect((await poll(mock, id)).task_status).toBe('UNKNOWN');
  });
});

describe('serving the mock on loopback', () => {
  it('answers over real HTTP with streaming bodies and a result URL on its own origin', async () => {
    const mock = createDashScopeMock({ apiKey: KEY, pendingPolls: 0 });
    const served = await mock.listen();
    try {
      expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const created = await fetch(`${served.baseURL}/services/aigc/video-generation/video-synthesis`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'x-dashscope-async': 'enable', 'content-type': 'application/json' },
        body: JSON.stringify(t2vBody),
      });
      const id = await taskIdOf(created);
      const status = (await (await fetch(`${served.baseURL}/tasks/${id}`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as { output: { video_url: string } };
      expect(status.output.video_url.startsWith(`${served.url}/`)).toBe(true);
      const video = await fetch(status.output.video_url);
      expect(new Uint8Array(await video.arrayBuffer()).byteLength).toBe(SAMPLE_VIDEO_BYTES);
      const missingHeader = await fetch(`${served.baseURL}/services/aigc/video-generation/video-synthesis`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(t2vBody),
      });
      expect(missingHeader.status).toBe(403);
    } finally {
      await served.close();
    }
  });

  it('serveHandler streams a request body to the handler and a response body back', async () => {
    const served = await serveHandler(async (request) => {
      const text = await request.text();
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(`${request.method} `));
          controller.enqueue(new TextEncoder().encode(text.toUpperCase()));
          controller.close();
        },
      });
      return new Response(stream, { status: 201, headers: { 'x-echo': new URL(request.url).pathname } });
    });
    try {
      const response = await fetch(`${served.url}/echo/path?q=1`, { method: 'PUT', body: 'hello stream' });
      expect(response.status).toBe(201);
      expect(response.headers.get('x-echo')).toBe('/echo/path');
      expect(await response.text()).toBe('PUT HELLO STREAM');
    } finally {
      await served.close();
    }
  });
});
