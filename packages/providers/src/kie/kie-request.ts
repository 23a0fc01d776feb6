import { GalleryError } from '@video-gallery/core';
import type { JSONObject, ProviderRequest, Warning } from '@video-gallery/core';
import { kieApiOf, kieModel } from './kie-capabilities.js';
import type { KieApi } from './kie-capabilities.js';

/** Public URLs of the request's images: given by the caller or returned by KIE's upload API. */
export interface KieImageUrls {
  image?: string;
  lastFrame?: string;
}

/** Options of {@link buildRequest}. */
export interface KieBuildOptions {
  imageUrls?: KieImageUrls;
  /** Sent as `callBackUrl` when set. */
  callbackUrl?: string;
}

/** Body of `POST /api/v1/veo/generate`. */
export interface KieVeoBody {
  prompt: string;
  model: string;
  generationType: 'TEXT_2_VIDEO' | 'FIRST_AND_LAST_FRAMES_2_VIDEO';
  /** Current OpenAPI name; older docs spell it `aspectRatio`. */
  aspect_ratio: string;
  resolution: string;
  imageUrls?: string[];
  seeds?: number;
  callBackUrl?: string;
}

/** Body of `POST /api/v1/jobs/createTask`. */
export interface KieJobsBody {
  model: string;
  input: JSONObject;
  callBackUrl?: string;
}

/** The pure result of {@link buildRequest}. */
export type KieBuiltRequest =
  | { api: 'veo'; path: '/api/v1/veo/generate'; body: KieVeoBody; warnings: Warning[] }
  | { api: 'jobs'; path: '/api/v1/jobs/createTask'; body: KieJobsBody; warnings: Warning[] };

function needUrl(url: string | undefined, field: 'image' | 'lastFrame'): string {
  if (url === undefined) {
    throw new GalleryError('invalid_input', `${field}: KIE needs a URL for the ${field === 'image' ? 'first frame' : 'last frame'}; upload it first.`, { field, retryable: false });
  }
  return url;
}

function buildVeo(request: ProviderRequest, options: KieBuildOptions, warnings: Warning[]): KieVeoBody {
  const body: KieVeoBody = {
    prompt: request.prompt,
    model: request.model,
    generationType: request.mode === 'text' ? 'TEXT_2_VIDEO' : 'FIRST_AND_LAST_FRAMES_2_VIDEO',
    aspect_ratio: request.aspectRatio,
    resolution: request.resolution,
  };
  if (request.mode === 'image') body.imageUrls = [needUrl(options.imageUrls?.image, 'image')];
  if (request.mode === 'first-last-frame') {
    body.imageUrls = [needUrl(options.imageUrls?.image, 'image'), needUrl(options.imageUrls?.lastFrame, 'lastFrame')];
  }
  if (request.seed !== undefined) body.seeds = request.seed;
  if (request.negativePrompt) {
    warnings.push({ type: 'unsupported', feature: 'negativePrompt', message: 'KIE Veo takes no negative prompt; it was not sent.' });
  }
  if (request.durationSeconds !== 8) {
    warnings.push({ type: 'unsupported', feature: 'durationSeconds', message: `KIE Veo makes 8-second clips; ${request.durationSeconds} s was not sent.` });
  }
  if (request.audio === false) {
    warnings.push({ type: 'unsupported', feature: 'audio', message: 'KIE Veo always generates audio; it cannot be switched off.' });
  }
  return body;
}

/** Upper-case resolution tier as Hailuo takes it (`768p` → `768P`). */
const upperTier = (resolution: string) => resolution.toUpperCase();

/** Input builders of the jobs models this adapter knows, each from the model's KIE page. */
const JOB_INPUTS: Record<string, (request: ProviderRequest, urls: KieImageUrls) => JSONObject> = {
  // https://docs.kie.ai/market/kling/v2-1-standard: image-to-video; duration is a string.
  'kling/v2-1-standard': (request, urls) => {
    const input: JSONObject = { prompt: request.prompt, image_url: needUrl(urls.image, 'image'), duration: String(request.durationSeconds) };
    if (request.negativePrompt) input.negative_prompt = request.negativePrompt;
    return input;
  },
  // https://docs.kie.ai/market/hailuo/02-text-to-video-standard: 768P, 6 or 10 s.
  'hailuo/02-text-to-video-standard': (request) => ({ prompt: request.prompt, duration: String(request.durationSeconds) }),
  // https://docs.kie.ai/market/hailuo/02-image-to-video-standard: 512P or 768P, optional end frame.
  'hailuo/02-image-to-video-standard': (request, urls) => {
    const input: JSONObject = {
      prompt: request.prompt,
      image_url: needUrl(urls.image, 'image'),
      duration: String(request.durationSeconds),
      resolution: upperTier(request.resolution),
    };
    if (request.mode === 'first-last-frame') input.end_image_url = needUrl(urls.lastFrame, 'lastFrame');
    return input;
  },
  // https://docs.kie.ai/market/wan/2-6-text-to-video: duration "5" | "10" | "15", resolution 720p | 1080p.
  'wan/2-6-text-to-video': (request) => ({ prompt: request.prompt, duration: String(request.durationSeconds), resolution: request.resolution }),
};

/** For a jobs model this adapter does not know: the fields most KIE video models share. */
function genericJobInput(request: ProviderRequest, urls: KieImageUrls): JSONObject {
  const input: JSONObject = { prompt: request.prompt, duration: String(request.durationSeconds) };
  if (request.mode !== 'text') input.image_url = needUrl(urls.image, 'image');
  if (request.mode === 'first-last-frame') input.end_image_url = needUrl(urls.lastFrame, 'lastFrame');
  return input;
}

function buildJobs(request: ProviderRequest, options: KieBuildOptions, warnings: Warning[]): KieJobsBody {
  const known = JOB_INPUTS[request.model];
  const urls = options.imageUrls ?? {};
  const input = known ? known(request, urls) : genericJobInput(request, urls);
  if (!known) {
    warnings.push({
      type: 'unknown-model',
      message: `KIE model ${JSON.stringify(request.model)} is not known to this adapter; it was sent to the jobs API with a generic input (prompt, duration${request.mode === 'text' ? '' : ', image_url'}). Check the model's KIE page for its fields.`,
    });
  }
  const caps = kieModel(request.model);
  if (request.seed !== undefined && (!caps || caps.seed === false)) {
    warnings.push({ type: 'unsupported', feature: 'seed', message: `${request.model} takes no seed through KIE; it was not sent.` });
  }
  if (request.negativePrompt && !('negative_prompt' in input)) {
    warnings.push({ type: 'unsupported', feature: 'negativePrompt', message: `${request.model} takes no negative prompt through KIE; it was not sent.` });
  }
  return { model: request.model, input };
}

/**
 * Builds the create request for one validated gallery request. Pure: images must already have URLs
 * (the provider uploads local bytes before calling this).
 */
export function buildRequest(request: ProviderRequest, options: KieBuildOptions = {}): KieBuiltRequest {
  const warnings: Warning[] = [];
  const api: KieApi = kieApiOf(request.model);
  if (api === 'veo') {
    const body = buildVeo(request, options, warnings);
    if (options.callbackUrl) body.callBackUrl = options.callbackUrl;
    return { api, path: '/api/v1/veo/generate', body, warnings };
  }
  const body = buildJobs(request, options, warnings);
  if (options.callbackUrl) body.callBackUrl = options.callbackUrl;
  return { api, path: '/api/v1/jobs/createTask', body, warnings };
}
