import { GalleryError } from '@video-gallery/core';
import type { ProviderImage, ProviderRequest, Warning } from '@video-gallery/core';
import { bytesToBase64 } from '../shared/encoding.js';
import { veoModel, veoPersonGenerationValues, veoTakesResolution } from './veo-capabilities.js';
import type { VeoPersonGeneration } from './veo-video-settings.js';

/** Options of {@link buildRequest} that come from the provider settings. */
export interface VeoBuildOptions {
  personGeneration?: VeoPersonGeneration;
  seed?: 'send' | 'drop';
}

/** The pure result of {@link buildRequest}: where to send it, what to send, and what was left out. */
export interface VeoBuiltRequest {
  /** Path relative to the API root, for example `models/veo-3.1-fast-generate-preview:predictLongRunning`. */
  path: string;
  body: {
    instances: [VeoInstance];
    parameters: VeoParameters;
  };
  warnings: Warning[];
}

/** One image as the REST API takes it (the SDK's shape; the docs' `inlineData` shape is equivalent). */
export interface VeoImage {
  bytesBase64Encoded: string;
  mimeType: string;
}

export interface VeoInstance {
  prompt: string;
  image?: VeoImage;
  lastFrame?: VeoImage;
}

/**
 * The only parameter names this adapter ever sends. The Gemini API rejects unknown JSON names with
 * 400 INVALID_ARGUMENT, so nothing outside this list can reach `parameters`.
 */
export interface VeoParameters {
  aspectRatio: string;
  resolution?: string;
  durationSeconds: number;
  negativePrompt?: string;
  personGeneration?: VeoPersonGeneration;
  sampleCount: 1;
  seed?: number;
}

function veoImage(image: ProviderImage): VeoImage {
  return { bytesBase64Encoded: bytesToBase64(image.data), mimeType: image.mediaType };
}

/**
 * Builds the `predictLongRunning` request for one validated gallery request. Pure: no I/O, no clock.
 * Anything the model cannot take is left out with a warning rather than sent.
 */
export function buildRequest(request: ProviderRequest, options: VeoBuildOptions = {}): VeoBuiltRequest {
  const warnings: Warning[] = [];
  const caps = veoModel(request.model);

  if (request.mode !== 'text' && !request.image) {
    throw new GalleryError('invalid_input', `image: mode ${request.mode} needs an image (the first frame).`, { field: 'image', retryable: false });
  }
  if (request.mode === 'first-last-frame' && !request.lastFrame) {
    throw new GalleryError('invalid_input', 'lastFrame: mode first-last-frame needs a last frame.', { field: 'lastFrame', retryable: false });
  }

  const instance: VeoInstance = { prompt: request.prompt };
  if (request.mode !== 'text' && request.image) instance.image = veoImage(request.image);
  if (request.mode === 'first-last-frame' && request.lastFrame) instance.lastFrame = veoImage(request.lastFrame);
  if (request.mode === 'text' && request.image) {
    warnings.push({ type: 'other', feature: 'image', message: 'An image was given in text mode; it was not sent.' });
  }

  const parameters: VeoParameters = {
    aspectRatio: request.aspectRatio,
    durationSeconds: request.durationSeconds,
    sampleCount: 1,
  };
  if (veoTakesResolution(request.model)) {
    parameters.resolution = request.resolution;
  } else if (request.resolution !== '720p') {
    warnings.push({ type: 'unsupported', feature: 'resolution', message: `${request.model} takes no resolution and renders 720p; ${request.resolution} was not sent.` });
  }
  if (request.negativePrompt !== undefined && request.negativePrompt !== '') parameters.negativePrompt = request.negativePrompt;

  if (options.personGeneration !== undefined) {
    const allowed = veoPersonGenerationValues(request.model, request.mode);
    if (allowed.includes(options.personGeneration)) {
      parameters.personGeneration = options.personGeneration;
    } else {
      warnings.push({
        type: 'unsupported',
        feature: 'personGeneration',
        message: `personGeneration ${options.personGeneration} is not accepted by ${request.model} in ${request.mode} mode (accepted: ${allowed.join(', ')}); it was not sent, so the API default applies.`,
      });
    }
  }

  if (request.seed !== undefined) {
    if (options.seed === 'drop') {
      warnings.push({ type: 'unsupported', feature: 'seed', message: 'seed was not sent: the provider is configured with seed: "drop".' });
    } else {
      parameters.seed = request.seed;
    }
  }

  const makesSound = caps ? caps.audio !== false : !request.model.startsWith('veo-2.');
  if (request.audio === false && makesSound) {
    warnings.push({ type: 'unsupported', feature: 'audio', message: `${request.model} always generates audio; it cannot be switched off.` });
  } else if (request.audio === true && !makesSound) {
    warnings.push({ type: 'unsupported', feature: 'audio', message: `${request.model} makes silent video.` });
  }

  return {
    path: `models/${encodeURIComponent(request.model)}:predictLongRunning`,
    body: { instances: [instance], parameters },
    warnings,
  };
}
