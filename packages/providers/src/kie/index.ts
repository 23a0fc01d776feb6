export { createKie, kie, KIE_DEFAULT_BASE_URL, KIE_DEFAULT_UPLOAD_BASE_URL } from './kie-video-provider.js';
export type { KieProvider, KieTask } from './kie-video-provider.js';
export type { KieModelId, KieProviderSettings } from './kie-video-settings.js';
export { KIE_MODELS, KIE_RESULT_TTL_SECONDS, kieApiOf } from './kie-capabilities.js';
export type { KieApi } from './kie-capabilities.js';
export { buildRequest as buildKieRequest } from './kie-request.js';
export type { KieBuiltRequest, KieBuildOptions, KieImageUrls, KieVeoBody, KieJobsBody } from './kie-request.js';
export { kieError, kieTaskFailure } from './kie-error.js';
export { kieWebhookSignature, KIE_SIGNATURE_HEADER, KIE_TIMESTAMP_HEADER } from './kie-webhook.js';
