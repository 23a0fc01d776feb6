export { createVeo, veo, VEO_DEFAULT_BASE_URL } from './veo-video-provider.js';
export type { VeoProvider, VeoTask } from './veo-video-provider.js';
export type { VeoModelId, VeoPersonGeneration, VeoProviderSettings } from './veo-video-settings.js';
export { VEO_MODELS, VEO_RESULT_TTL_SECONDS, veoPersonGenerationValues } from './veo-capabilities.js';
export { buildRequest as buildVeoRequest } from './veo-request.js';
export type { VeoBuiltRequest, VeoBuildOptions, VeoImage, VeoInstance, VeoParameters } from './veo-request.js';
export { veoHttpError, veoOperationError, veoContentPolicyError } from './veo-error.js';
