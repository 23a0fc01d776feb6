import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GalleryError, type ProviderImage, type ProviderRequest } from '@video-gallery/core';
import { base64ToBytes } from '../shared/encoding.js';
import { dashscopeCapabilities, dashscopeModels } from './dashscope-capabilities.js';
import { buildRequest, IMAGE_TO_VIDEO_PATH, requestKindOf, submitPathOf, t2vSize, VIDEO_GENERATION_PATH } from './dashscope-request.js';

interface FixtureImage {
  base64: string;
  mediaType: string;
  url?: string;
}

interface RequestFixture {
  description: string;
  options?: { workspaceId?: string };
  request: Omit<ProviderRequest, 'image' | 'lastFrame'> & { image?: FixtureImage; lastFrame?: FixtureImage };
  expected: {
    path: string;
    headers: Record<string, string>;
    body: unknown;
    warnings: { type: string; feature?: string }[];
  };
}

const fixturesDir = new URL('./__fixtures__/', import.meta.url);
const fixtures = readdirSync(fixturesDir)
  .filter((name) => name.startsWith('request-') && name.endsWith('.json'))
  .map((name) => ({ name, fixture: JSON.parse(readFileSync(new URL(name, fixturesDir), 'utf8')) as RequestFixture }));

function toImage(image: FixtureImage | undefined): ProviderImage | undefined {
  if (image === undefined) return undefined;
  return { data: base64ToBytes(image.base64), mediaType: image.mediaType, ...(image.url === undefined ? {} : { url: image.url }) };
}

function toRequest(fixture: RequestFixture['request']): ProviderRequest {
  const { image, lastFrame, ...rest } = fixture;
  const request: ProviderRequest = { ...rest };
  const first = toImage(image);
  const last = toImage(lastFrame);
  if (first !== undefined) request.image = first;
  if (last !== undefined) request.lastFrame = last;
  return request;
}

function baseRequest(overrides: Partial<ProviderRequest> = {}): ProviderRequest {
  return { model: 'wan2.2-t2v-plus', mode: 'text', prompt: 'A boat', aspectRatio: '16:9', resolution: '1080p', durationSeconds: 5, ...overrides };
}

function thrown(run: () => unknown): GalleryError {
  try {
    run();
  } catch (error) {
    if (GalleryError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a GalleryError');
}

describe('buildRequest against JSON fixtures', () => {
  it('has fixtures to check', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(8);
  });

  for (const { name, fixture } of fixtures) {
    it(`${name}: ${fixture.description}`, () => {
      const request = toRequest(fixture.request);
      const capabilities = dashscopeCapabilities(request.model);
      const built = buildRequest(request, { ...(capabilities === undefined ? {} : { capabilities }), ...(fixture.options ?? {}) });
      expect(built.path).toBe(fixture.expected.path);
      expect(built.headers).toEqual(fixture.expected.headers);
      expect(built.body).toEqual(fixture.expected.body);
      expect(built.warnings.map((warning) => ({ type: warning.type, ...(warning.feature === undefined ? {} : { feature: warning.feature }) }))).toEqual(
        fixture.expected.warnings,
      );
      for (const warning of built.warnings) expect(warning.message).toMatch(/\S/);
    });
  }
});

describe('buildRequest rules', () => {
  it('maps every tier/ratio of every known text model to a W*H size', () => {
    for (const model of dashscopeModels().filter((candidate) => candidate.modes.includes('text'))) {
      for (const resolution of model.resolutions) {
        const allowed = model.rules?.find((rule) => rule.when.resolution?.includes(resolution))?.allow.aspectRatio ?? model.aspectRatios;
        for (const aspectRatio of allowed) {
          expect(t2vSize(resolution, aspectRatio)).toMatch(/^\d+\*\d+$/);
        }
      }
    }
  });

  it('never sends the "720P" tier or a ratio as a text-to-video size', () => {
    const built = buildRequest(baseRequest({ model: 'wan2.5-t2v-preview', resolution: '720p', aspectRatio: '9:16' }));
    expect(built.body.parameters.size).toBe('720*1280');
    expect(built.body.parameters).not.toHaveProperty('resolution');
  });

  it('rejects a tier/ratio pair with no size (480p 4:3) as invalid_input on aspectRatio', () => {
    const error = thrown(() => buildRequest(baseRequest({ model: 'wanx2.1-t2v-turbo', resolution: '480p', aspectRatio: '4:3' })));
    expect(error.code).toBe('invalid_input');
    expect(error.field).toBe('aspectRatio');
    expect(error.message).toContain('16:9');
  });

  it('rejects a fractional duration rather than rounding it', () => {
    const error = thrown(() => buildRequest(baseRequest({ durationSeconds: 4.5 })));
    expect(error.code).toBe('invalid_input');
    expect(error.field).toBe('durationSeconds');
  });

  it('rejects seeds outside 0..2147483647', () => {
    expect(thrown(() => buildRequest(baseRequest({ seed: -1 }))).field).toBe('seed');
    expect(thrown(() => buildRequest(baseRequest({ seed: 2_147_483_648 }))).field).toBe('seed');
    expect(buildRequest(baseRequest({ seed: 2_147_483_647 })).body.parameters.seed).toBe(2_147_483_647);
  });

  it('requires an image for image-to-video and both frames for kf2v', () => {
    expect(thrown(() => buildRequest(baseRequest({ model: 'wan2.2-i2v-plus', mode: 'image' }))).field).toBe('image');
    const first = { data: new Uint8Array([1, 2, 3]), mediaType: 'image/png' };
    expect(thrown(() => buildRequest(baseRequest({ model: 'wanx2.1-kf2v-plus', mode: 'first-last-frame', resolution: '720p', image: first }))).field).toBe('lastFrame');
  });

  it('rejects a mode the model cannot take', () => {
    const error = thrown(() => buildRequest(baseRequest({ model: 'wan2.2-t2v-plus', mode: 'image', image: { data: new Uint8Array([1]), mediaType: 'image/png' } })));
    expect(error.code).toBe('invalid_input');
    expect(error.field).toBe('mode');
  });

  it('sends a non-http image URL as a data URI instead', () => {
    const built = buildRequest(
      baseRequest({ model: 'wan2.2-i2v-flash', mode: 'image', resolution: '480p', image: { data: new Uint8Array([255, 216, 255]), mediaType: 'image/jpeg', url: 'file:///tmp/a.jpg' } }),
    );
    expect(built.body.input.img_url).toBe('data:image/jpeg;base64,/9j/');
  });

  it('puts the async header only on the submit call and the workspace header only when set', () => {
    expect(buildRequest(baseRequest()).headers).toEqual({ 'Content-Type': 'application/json', 'X-DashScope-Async': 'enable' });
    expect(buildRequest(baseRequest(), { workspaceId: '' }).headers).not.toHaveProperty('X-DashScope-WorkSpace');
  });

  it('picks the route and protocol from the model name like the official SDKs', () => {
    expect(submitPathOf('wanx2.1-kf2v-plus')).toBe(IMAGE_TO_VIDEO_PATH);
    expect(submitPathOf('wan2.2-kf2v-flash')).toBe(IMAGE_TO_VIDEO_PATH);
    expect(submitPathOf('wan2.6-i2v')).toBe(VIDEO_GENERATION_PATH);
    expect(requestKindOf('wan2.7-i2v-2026-04-25')).toBe('media');
    expect(requestKindOf('wanx2.1-t2v-turbo')).toBe('t2v');
    expect(requestKindOf('something-else')).toBeUndefined();
  });

  it('keeps duration and seed integers in the JSON body', () => {
    const built = buildRequest(baseRequest({ seed: 42 }));
    expect(JSON.stringify(built.body)).toContain('"duration":5');
    expect(JSON.stringify(built.body)).toContain('"seed":42');
  });
});

describe('DashScope capabilities', () => {
  it('lists the default model first and keeps each model consistent', () => {
    const models = dashscopeModels();
    expect(models[0]?.id).toBe('wan2.2-t2v-plus');
    for (const model of models) {
      expect(model.resolutions).toContain(model.defaults.resolution);
      expect(model.durations).toContain(model.defaults.durationSeconds);
      expect(model.seed).toEqual({ min: 0, max: 2_147_483_647 });
      expect(model.negativePrompt).toEqual({ maxLength: 500 });
      expect(model.resultUrlTtlSeconds).toBe(86_400);
    }
  });

  it('states the documented limits of representative models', () => {
    expect(dashscopeCapabilities('wan2.5-t2v-preview')).toMatchObject({ durations: [5, 10], maxPromptLength: 1500, audio: 'optional', resolutions: ['480p', '720p', '1080p'] });
    expect(dashscopeCapabilities('wan2.2-t2v-plus')).toMatchObject({ durations: [5], maxPromptLength: 800, audio: false, resolutions: ['480p', '1080p'] });
    expect(dashscopeCapabilities('wanx2.1-kf2v-plus')).toMatchObject({ modes: ['first-last-frame'], resolutions: ['720p'], durations: [5] });
    expect(dashscopeCapabilities('wanx2.1-i2v-turbo')?.durations).toEqual([3, 4, 5]);
    expect(dashscopeCapabilities('wanx2.1-t2v-turbo')?.rules?.[0]).toMatchObject({ when: { resolution: ['480p'] }, allow: { aspectRatio: ['16:9', '9:16', '1:1'] } });
  });

  it('returns undefined for unknown ids and copies that callers may change', () => {
    expect(dashscopeCapabilities('not-a-model')).toBeUndefined();
    const copy = dashscopeCapabilities('wan2.2-t2v-plus');
    copy?.durations.push(99);
    expect(dashscopeCapabilities('wan2.2-t2v-plus')?.durations).toEqual([5]);
  });
});
