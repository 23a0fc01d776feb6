import { describe, expect, it } from 'vitest';
import { createVeoMock } from './veo-mock.js';

const BASE = 'https://generativelanguage.googleapis.com/v1beta';
const IMAGE_B64 = 'iVBORw0KGgo=';

function submit(mock: ReturnType<typeof createVeoMock>, body: unknown, options: { model?: string; headers?: Record<string, string>; query?: string } = {}) {
  const model = options.model ?? 'veo-3.1-fast-generate-preview';
  return mock.handle(new Request(`${BASE}/models/${model}:predictLongRunning${options.query ?? ''}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-goog-api-key': mock.apiKey, ...options.headers },
    body: JSON.stringify(body),
  }));
}

async function errorOf(response: Response): Promise<{ code: number; status: string; message: string }> {
  return ((await response.json()) as { error: { code: number; status: string; message: string } }).error;
}

describe('veo mock strictness', () => {
  it('rejects an unknown parameter name with 400 INVALID_ARGUMENT, as Google does', async () => {
    const mock = createVeoMock();
    const response = await submit(mock, { instances: [{ prompt: 'p' }], parameters: { aspectRatio: '16:9', fps: 24 } });
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error.status).toBe('INVALID_ARGUMENT');
    expect(error.message).toBe('Invalid JSON payload received. Unknown name "fps" at \'parameters\': Cannot find field.');
    expect(mock.control.startCount()).toBe(0);
  });

  it('rejects unknown names in an instance and at the top level too', async () => {
    const mock = createVeoMock();
    expect((await errorOf(await submit(mock, { instances: [{ prompt: 'p', style: 'x' }] }))).message).toContain('Unknown name "style" at \'instances[0]\'');
    expect((await errorOf(await submit(mock, { instances: [{ prompt: 'p' }], config: {} }))).message).toContain('Unknown name "config"');
  });

  it('accepts both image shapes and both count names', async () => {
    const mock = createVeoMock();
    const sdkShape = await submit(mock, { instances: [{ prompt: 'p', image: { bytesBase64Encoded: IMAGE_B64, mimeType: 'image/png' } }], parameters: { sampleCount: 1 } });
    expect(sdkShape.status).toBe(200);
    const docsShape = await submit(mock, { instances: [{ prompt: 'p', image: { inlineData: { mimeType: 'image/png', data: IMAGE_B64 } } }], parameters: { numberOfVideos: 1, personGeneration: 'allow_adult' } });
    expect(docsShape.status).toBe(200);
    expect(await docsShape.json()).toEqual({ name: expect.stringMatching(/^models\/veo-3\.1-fast-generate-preview\/operations\//) });
    expect(mock.control.startCount()).toBe(2);
  });

  it('enforces durationSeconds bounds, the allowed set and the 8-second rule', async () => {
    const mock = createVeoMock();
    expect((await errorOf(await submit(mock, { instances: [{ prompt: 'p' }], parameters: { durationSeconds: 10 } }))).message)
      .toBe('The number value for `durationSeconds` is out of bound. Please provide a value between 4 and 8, inclusive.');
    expect((await submit(mock, { instances: [{ prompt: 'p' }], parameters: { durationSeconds: 5 } })).status).toBe(400);
    expect((await errorOf(await submit(mock, { instances: [{ prompt: 'p' }], parameters: { durationSeconds: 4, resolution: '4k' } }))).message).toContain('must be 8');
    expect((await submit(mock, { instances: [{ prompt: 'p' }], parameters: { durationSeconds: 5 } }, { model: 'veo-2.0-generate-001' })).status).toBe(200);
    expect((await submit(mock, { instances: [{ prompt: 'p' }], parameters: { resolution: '720p' } }, { model: 'veo-2.0-generate-001' })).status).toBe(400);
  });

  it('checks personGeneration per mode, lastFrame needing image, and 1080p 16:9 on Veo 3', async () => {
    const mock = createVeoMock();
    expect((await submit(mock, { instances: [{ prompt: 'p', image: { bytesBase64Encoded: IMAGE_B64, mimeType: 'image/png' } }], parameters: { personGeneration: 'allow_all' } })).status).toBe(400);
    expect((await errorOf(await submit(mock, { instances: [{ prompt: 'p', lastFrame: { bytesBase64Encoded: IMAGE_B64, mimeType: 'image/png' } }] }))).message).toBe('`lastFrame` requires `image`.');
    expect((await submit(mock, { instances: [{ prompt: 'p' }], parameters: { resolution: '1080p', aspectRatio: '9:16' } }, { model: 'veo-3.0-generate-001' })).status).toBe(400);
  });

  it('requires the key: 403 without one, 400 API_KEY_INVALID for a wrong one, ?key= accepted', async () => {
    const mock = createVeoMock();
    const body = { instances: [{ prompt: 'p' }] };
    expect((await submit(mock, body, { headers: { 'x-goog-api-key': '' } })).status).toBe(403);
    const wrong = await submit(mock, body, { headers: { 'x-goog-api-key': 'nope' } });
    expect(wrong.status).toBe(400);
    expect(JSON.stringify(await wrong.json())).toContain('API_KEY_INVALID');
    expect((await submit(mock, body, { headers: { 'x-goog-api-key': '' }, query: `?key=${mock.apiKey}` })).status).toBe(200);
  });

  it('records calls and forgets everything on reset', async () => {
    const mock = createVeoMock();
    await submit(mock, { instances: [{ prompt: 'p' }] });
    expect(mock.calls).toHaveLength(1);
    expect(mock.calls[0]).toMatchObject({ method: 'POST', route: 'submit', body: { instances: [{ prompt: 'p' }] } });
    mock.reset();
    expect(mock.calls).toHaveLength(0);
    expect(mock.control.startCount()).toBe(0);
  });

  it('lets a prompt marker steer the outcome (for demos and the CLI)', async () => {
    const mock = createVeoMock({ pendingPolls: 0 });
    expect((await errorOf(await submit(mock, { instances: [{ prompt: 'a [mock:blocked] prompt' }] }))).message).toContain('Responsible AI');
    const started = await submit(mock, { instances: [{ prompt: 'a [mock:fail-moderation] prompt' }] });
    const { name } = (await started.json()) as { name: string };
    const polled = await mock.handle(new Request(`${BASE}/${name}`, { headers: { 'x-goog-api-key': mock.apiKey } }));
    expect(await polled.json()).toMatchObject({ done: true, response: { generateVideoResponse: { raiMediaFilteredCount: 1 } } });
  });
});
