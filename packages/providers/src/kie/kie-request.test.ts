import { describe, expect, it } from 'vitest';
import type { ProviderRequest } from '@video-gallery/core';
import { buildRequest } from './kie-request.js';
import { kieApiOf } from './kie-capabilities.js';
import veoText from './__fixtures__/request-veo-text.json' with { type: 'json' };
import veoFirstLast from './__fixtures__/request-veo-first-last.json' with { type: 'json' };
import kling from './__fixtures__/request-kling.json' with { type: 'json' };
import hailuoT2v from './__fixtures__/request-hailuo-t2v.json' with { type: 'json' };
import hailuoI2v from './__fixtures__/request-hailuo-i2v.json' with { type: 'json' };
import wan from './__fixtures__/request-wan.json' with { type: 'json' };

const IMAGE = { data: new Uint8Array([1, 2, 3]), mediaType: 'image/png' };

describe('kie buildRequest', () => {
  it('Veo text-to-video through the Veo API, with seeds and callBackUrl', () => {
    const built = buildRequest(
      { model: 'veo3_fast', mode: 'text', prompt: 'A dog playing in a park', aspectRatio: '16:9', resolution: '720p', durationSeconds: 8, seed: 12345 },
      { callbackUrl: 'https://example.com/api/gallery/webhooks/kie' },
    );
    expect(built.api).toBe('veo');
    expect(built.path).toBe('/api/v1/veo/generate');
    expect(built.body).toStrictEqual(veoText.body);
    expect(built.warnings).toEqual([]);
  });

  it('Veo first + last frame sends both URLs in order', () => {
    const built = buildRequest(
      { model: 'veo3', mode: 'first-last-frame', prompt: 'The kite rises over the dunes', aspectRatio: '9:16', resolution: '1080p', durationSeconds: 8, image: IMAGE, lastFrame: IMAGE },
      { imageUrls: { image: 'https://example.com/first.png', lastFrame: 'https://example.com/last.png' } },
    );
    expect(built.body).toStrictEqual(veoFirstLast.body);
  });

  it('Veo image-to-video sends one URL', () => {
    const built = buildRequest(
      { model: 'veo3_lite', mode: 'image', prompt: 'p', aspectRatio: '16:9', resolution: '720p', durationSeconds: 8, image: IMAGE },
      { imageUrls: { image: 'https://example.com/first.png' } },
    );
    expect(built.body).toMatchObject({ generationType: 'FIRST_AND_LAST_FRAMES_2_VIDEO', imageUrls: ['https://example.com/first.png'] });
  });

  it('Kling through the jobs API with a string duration and negative prompt', () => {
    const built = buildRequest(
      { model: 'kling/v2-1-standard', mode: 'image', prompt: 'The astronaut stands up and walks away', negativePrompt: 'blur, distortion', aspectRatio: 'auto', resolution: '720p', durationSeconds: 10, image: IMAGE },
      { imageUrls: { image: 'https://example.com/astronaut.png' } },
    );
    expect(built.api).toBe('jobs');
    expect(built.path).toBe('/api/v1/jobs/createTask');
    expect(built.body).toStrictEqual(kling.body);
  });

  it('Hailuo text and image (with end frame and upper-case tier)', () => {
    expect(buildRequest({ model: 'hailuo/02-text-to-video-standard', mode: 'text', prompt: 'A paper boat drifts down a rainy gutter', aspectRatio: '16:9', resolution: '768p', durationSeconds: 6 }).body)
      .toStrictEqual(hailuoT2v.body);
    expect(buildRequest(
      { model: 'hailuo/02-image-to-video-standard', mode: 'first-last-frame', prompt: 'The flower opens', aspectRatio: 'auto', resolution: '768p', durationSeconds: 10, image: IMAGE, lastFrame: IMAGE },
      { imageUrls: { image: 'https://example.com/bud.png', lastFrame: 'https://example.com/bloom.png' } },
    ).body).toStrictEqual(hailuoI2v.body);
  });

  it('Wan 2.6 text-to-video', () => {
    expect(buildRequest({ model: 'wan/2-6-text-to-video', mode: 'text', prompt: 'A knitted burger is sliced in half', aspectRatio: '16:9', resolution: '1080p', durationSeconds: 15 }).body)
      .toStrictEqual(wan.body);
  });

  it('an unknown jobs model gets a generic input and an unknown-model warning', () => {
    const built = buildRequest({ model: 'sora-2-text-to-video', mode: 'text', prompt: 'p', aspectRatio: '16:9', resolution: '720p', durationSeconds: 10 });
    expect(built.body).toStrictEqual({ model: 'sora-2-text-to-video', input: { prompt: 'p', duration: '10' } });
    expect(built.warnings).toEqual([expect.objectContaining({ type: 'unknown-model' })]);
  });

  it('refuses an image mode without an image URL', () => {
    const request: ProviderRequest = { model: 'veo3_fast', mode: 'image', prompt: 'p', aspectRatio: '16:9', resolution: '720p', durationSeconds: 8, image: IMAGE };
    expect(() => buildRequest(request)).toThrowError(expect.objectContaining({ code: 'invalid_input', field: 'image' }));
  });

  it('warns about options a model cannot take instead of sending them', () => {
    const built = buildRequest({ model: 'wan/2-6-text-to-video', mode: 'text', prompt: 'p', negativePrompt: 'n', seed: 5, aspectRatio: '16:9', resolution: '720p', durationSeconds: 5 });
    expect(built.body).toStrictEqual({ model: 'wan/2-6-text-to-video', input: { prompt: 'p', duration: '5', resolution: '720p' } });
    expect(built.warnings.map((w) => w.feature).sort()).toEqual(['negativePrompt', 'seed']);
  });

  it('routes veo3* ids to the Veo API and everything else to jobs', () => {
    expect(kieApiOf('veo3')).toBe('veo');
    expect(kieApiOf('veo3_fast')).toBe('veo');
    expect(kieApiOf('veo3_lite')).toBe('veo');
    expect(kieApiOf('kling/v2-1-standard')).toBe('jobs');
    expect(kieApiOf('veo3x')).toBe('jobs');
  });
});
