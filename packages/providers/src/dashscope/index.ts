/**
 * `@video-gallery/providers/dashscope`: Alibaba Cloud DashScope (Model Studio) Wan video models.
 *
 * ```ts
 * import { dashscope, createDashScope } from '@video-gallery/providers/dashscope';
 * // `dashscope` reads DASHSCOPE_API_KEY / DASHSCOPE_BASE_URL when it is used, not when it is imported.
 * const beijing = createDashScope({ region: 'cn', apiKey: process.env.DASHSCOPE_CN_KEY });
 * ```
 */
import { createDashScope, type DashScopeProvider } from './dashscope-video-provider.js';

export { createDashScope, formatListTime, parseDashScopeTime, resultExpiry } from './dashscope-video-provider.js';
export type { DashScopeProvider, DashScopeTaskReference } from './dashscope-video-provider.js';
export {
  DASHSCOPE_BASE_URLS,
  DEFAULT_DASHSCOPE_REGION,
  DASHSCOPE_API_KEY_ENV,
  DASHSCOPE_BASE_URL_ENV,
} from './dashscope-video-settings.js';
export type { DashScopeVideoModelId, DashScopeRegion, DashScopeProviderSettings, DashScopeRetrySettings } from './dashscope-video-settings.js';
export { dashscopeModels, dashscopeCapabilities, DASHSCOPE_T2V_SIZES, DASHSCOPE_RESULT_TTL_SECONDS } from './dashscope-capabilities.js';
export { buildRequest, requestKindOf, submitPathOf, t2vSize, wireResolution, imageReference, VIDEO_GENERATION_PATH, IMAGE_TO_VIDEO_PATH } from './dashscope-request.js';
export type { DashScopeBuiltRequest, DashScopeSubmitBody, DashScopeRequestKind, BuildRequestOptions } from './dashscope-request.js';
export { mapDashScopeHttpError, mapDashScopeTaskFailure, isContentPolicyCode } from './dashscope-error.js';

/**
 * The default DashScope provider. It reads `DASHSCOPE_API_KEY` and `DASHSCOPE_BASE_URL` at each call (not at import),
 * and calls the international (Singapore) endpoint unless `DASHSCOPE_BASE_URL` says otherwise.
 */
export const dashscope: DashScopeProvider = createDashScope();
