import { describe, expect, it } from 'vitest';
import { createKieMock } from './kie-mock.js';

const API = 'https://api.kie.ai';

function post(mock: ReturnType<typeof createKieMock>, path: string, body: unknown, headers: Record<string, string> = { authorization: `Bearer ${mock.apiKey}` }) {
  return mock.handle(new Request(`${API}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }));
}

describe('kie mock strictness', () => {
  it('rejects a request without a key: code 401 "You do not have access permissions"', async () => {
    const mock = createKieMock();
    const response = await post(mock, '/api/v1/veo/generate', { prompt: 'p' }, {});
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ code: 401, msg: 'You do not have access permissions', data: null });
    expect(mock.control.startCount()).toBe(0);
  });

  it('sends that error as HTTP 200 when configured to, with the code only in the body', async () => {
    const mock = createKieMock({ errorStatus: 200 });
    const response = await post(mock, '/api/v1/jobs/createTask', { model: 'wan/2-6-text-to-video', input: { prompt: 'p' } }, { authorization: 'Bearer wrong' });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { code: number }).code).toBe(401);
  });

  it('accepts both aspectRatio and aspect_ratio, and validates their values', async () => {
    const mock = createKieMock();
    expect(((await (await post(mock, '/api/v1/veo/generate', { prompt: 'p', aspectRatio: '9:16' })).json()) as { code: number }).code).toBe(200);
    expect(((await (await post(mock, '/api/v1/veo/generate', { prompt: 'p', aspect_ratio: '9:16' })).json()) as { code: number }).code).toBe(200);
    const bad = await post(mock, '/api/v1/veo/generate', { prompt: 'p', aspect_ratio: '4:3' });
    expect(bad.status).toBe(422);
    expect(await bad.json()).toMatchObject({ code: 422, msg: expect.stringContaining('aspect_ratio') });
  });

  it('validates jobs inputs per model (string durations, required image_url)', async () => {
    const mock = createKieMock();
    expect((await post(mock, '/api/v1/jobs/createTask', { model: 'kling/v2-1-standard', input: { prompt: 'p', duration: '5' } })).status).toBe(422);
    expect((await post(mock, '/api/v1/jobs/createTask', { model: 'kling/v2-1-standard', input: { prompt: 'p', image_url: 'https://example.com/a.png', duration: 5 } })).status).toBe(422);
    expect((await post(mock, '/api/v1/jobs/createTask', { model: 'kling/v2-1-standard', input: { prompt: 'p', image_url: 'https://example.com/a.png', duration: '5' } })).status).toBe(200);
  });

  it('answers Cloudflare\'s 403 "error code: 1010" to requests without a browser-like User-Agent when asked to', async () => {
    const mock = createKieMock({ requireUserAgent: true });
    const response = await post(mock, '/api/v1/veo/generate', { prompt: 'p' });
    expect(response.status).toBe(403);
    expect(await response.text()).toBe('error code: 1010');
    const ok = await post(mock, '/api/v1/veo/generate', { prompt: 'p' }, { authorization: `Bearer ${mock.apiKey}`, 'user-agent': 'Mozilla/5.0 test' });
    expect(ok.status).toBe(200);
  });

  it('serves uploads at their downloadUrl and flags URLs to missing uploads with 451', async () => {
    const mock = createKieMock();
    const upload = await post(mock, '/api/file-base64-upload', { base64Data: 'data:image/png;base64,AQID', uploadPath: 'x', fileName: 'a.png' });
    const { data } = (await upload.json()) as { data: { downloadUrl: string } };
    const file = await mock.handle(new Request(data.downloadUrl));
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(new Uint8Array([1, 2, 3]));
    const missing = await post(mock, '/api/v1/veo/generate', { prompt: 'p', imageUrls: [`${API}/files/x/nope.png`] });
    expect(await missing.json()).toMatchObject({ code: 451 });
  });

  it('lets a prompt marker steer the outcome (for demos and the CLI)', async () => {
    const mock = createKieMock({ pendingPolls: 0 });
    expect(await (await post(mock, '/api/v1/veo/generate', { prompt: '[mock:blocked]' })).json()).toMatchObject({ code: 422 });
    const created = (await (await post(mock, '/api/v1/jobs/createTask', { model: 'wan/2-6-text-to-video', input: { prompt: 'x [mock:fail-generic]' } })).json()) as { data: { taskId: string } };
    const record = await mock.handle(new Request(`${API}/api/v1/jobs/recordInfo?taskId=${created.data.taskId}`, { headers: { authorization: `Bearer ${mock.apiKey}` } }));
    expect(await record.json()).toMatchObject({ code: 200, data: { state: 'fail', failCode: '500' } });
  });
});
