import { describe, expect, it } from 'vitest';
import type { ProviderRequest } from '@video-gallery/core';
import { buildRequest } from './veo-request.js';
import textFixture from './__fixtures__/request-text.json' with { type: 'json' };
import firstLastFixture from './__fixtures__/request-first-last-frame.json' with { type: 'json' };
import veo2Fixture from './__fixtures__/request-veo2-image.json' with { type: 'json' };

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]);

const text: ProviderRequest = {
  model: 'veo-3.1-fast-generate-preview', mode: 'text', prompt: 'A slow dolly shot through a rainy neon alley',
  negativePrompt: 'cartoon, low quality', aspectRatio: '16:9', resolution: '720p', durationSeconds: 8,
};

describe('veo buildRequest', () => {
  it('builds a text-to-video body exactly as the fixture', () => {
    const built = buildRequest(text);
    expect(built.path).toBe('models/veo-3.1-fast-generate-preview:predictLongRunning');
    expect(built.body).toStrictEqual(textFixture.body);
    expect(built.warnings).toEqual([]);
  });

  it('builds first + last frame with both images, personGeneration for image modes and the seed', () => {
    const built = buildRequest(
      {
        model: 'veo-3.1-generate-preview', mode: 'first-last-frame', prompt: 'The kite rises over the dunes', aspectRatio: '9:16',
        resolution: '1080p', durationSeconds: 8, seed: 42, image: { data: PNG, mediaType: 'image/png' }, lastFrame: { data: JPEG, mediaType: 'image/jpeg' },
      },
      { personGeneration: 'allow_adult' },
    );
    expect(built.body).toStrictEqual(firstLastFixture.body);
    expect(built.warnings).toEqual([]);
  });

  it('leaves resolution out for Veo 2, which takes none', () => {
    const built = buildRequest({
      model: 'veo-2.0-generate-001', mode: 'image', prompt: 'The cat turns its head and yawns', aspectRatio: '16:9',
      resolution: '720p', durationSeconds: 5, image: { data: PNG, mediaType: 'image/png' },
    });
    expect(built.path).toBe('models/veo-2.0-generate-001:predictLongRunning');
    expect(built.body).toStrictEqual(veo2Fixture.body);
  });

  it('only ever sends vetted parameter names', () => {
    const built = buildRequest({ ...text, seed: 7, audio: true }, { personGeneration: 'allow_all' });
    const allowed = ['aspectRatio', 'resolution', 'durationSeconds', 'negativePrompt', 'personGeneration', 'sampleCount', 'seed'];
    for (const key of Object.keys(built.body.parameters)) expect(allowed).toContain(key);
    expect(Object.keys(built.body.instances[0]).sort()).toEqual(['prompt']);
  });

  it('drops a personGeneration value the model and mode refuse, with a warning', () => {
    const built = buildRequest(
      { ...text, mode: 'image', image: { data: PNG, mediaType: 'image/png' } },
      { personGeneration: 'allow_all' },
    );
    expect(built.body.parameters.personGeneration).toBeUndefined();
    expect(built.warnings).toEqual([expect.objectContaining({ type: 'unsupported', feature: 'personGeneration' })]);
  });

  it('drops the seed with a warning when configured to', () => {
    const built = buildRequest({ ...text, seed: 99 }, { seed: 'drop' });
    expect(built.body.parameters.seed).toBeUndefined();
    expect(built.warnings).toEqual([expect.objectContaining({ type: 'unsupported', feature: 'seed' })]);
  });

  it('warns that Veo 3 sound cannot be switched off', () => {
    const built = buildRequest({ ...text, audio: false });
    expect(built.warnings).toEqual([expect.objectContaining({ feature: 'audio' })]);
  });

  it('refuses an image mode without an image', () => {
    expect(() => buildRequest({ ...text, mode: 'image' })).toThrowError(expect.objectContaining({ code: 'invalid_input', field: 'image' }));
  });
});
