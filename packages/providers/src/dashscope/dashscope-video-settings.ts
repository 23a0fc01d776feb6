/**
 * DashScope (Alibaba Cloud Model Studio) Wan video model ids and provider settings.
 *
 * Model reference:
 * - text-to-video: https://www.alibabacloud.com/help/en/model-studio/text-to-video-api-reference
 * - image-to-video: https://www.alibabacloud.com/help/en/model-studio/image-to-video-api-reference
 * - first/last frame (kf2v): https://www.alibabacloud.com/help/en/model-studio/image-to-video-by-first-and-last-frame-api-reference
 * - Beijing region docs: https://help.aliyun.com/zh/model-studio/developer-reference/text-to-video-api-reference
 */

/**
 * Known Wan video model ids. Any other string is accepted too (new models appear often); requests for them are
 * built from the model name's kind (`t2v`, `i2v`, `kf2v`) and the request's mode, with no capability check.
 */
export type DashScopeVideoModelId =
  | 'wan2.2-t2v-plus'
  | 'wan2.5-t2v-preview'
  | 'wan2.6-t2v'
  | 'wan2.6-t2v-us'
  | 'wanx2.1-t2v-turbo'
  | 'wanx2.1-t2v-plus'
  | 'wanx2.1-i2v-turbo'
  | 'wanx2.1-i2v-plus'
  | 'wan2.2-i2v-flash'
  | 'wan2.2-i2v-plus'
  | 'wan2.5-i2v-preview'
  | 'wan2.6-i2v'
  | 'wan2.6-i2v-flash'
  | 'wan2.6-i2v-us'
  | 'wanx2.1-kf2v-plus'
  | 'wan2.2-kf2v-flash'
  | 'wan2.7-i2v-2026-04-25'
  | (string & {});

/** DashScope regions with a fixed API host. */
export type DashScopeRegion = 'intl' | 'cn' | 'us';

/** API roots per region. Keys, models and endpoints must all be from the same region. */
export const DASHSCOPE_BASE_URLS: Readonly<Record<DashScopeRegion, string>> = {
  /** International (Singapore). The default of this SDK. */
  intl: 'https://dashscope-intl.aliyuncs.com/api/v1',
  /** China (Beijing). The default of Alibaba's own SDKs. */
  cn: 'https://dashscope.aliyuncs.com/api/v1',
  /** US (Virginia). */
  us: 'https://dashscope-us.aliyuncs.com/api/v1',
};

/** The region used when neither `baseURL`, `region` nor `DASHSCOPE_BASE_URL` says otherwise. */
export const DEFAULT_DASHSCOPE_REGION: DashScopeRegion = 'intl';

/** Environment variable holding the API key. */
export const DASHSCOPE_API_KEY_ENV = 'DASHSCOPE_API_KEY';
/** Environment variable overriding the API root (regions, proxies, mock servers). */
export const DASHSCOPE_BASE_URL_ENV = 'DASHSCOPE_BASE_URL';

/** Retry tuning of the DashScope provider. */
export interface DashScopeRetrySettings {
  /** Extra attempts of a status GET after HTTP 503/504 or a network error. Default 2. */
  statusRetries?: number;
  /** First wait between status attempts in ms (doubles). Default 500. */
  statusMinTimeoutMs?: number;
  /**
   * Extra attempts of a submission that DashScope throttled (HTTP 429 `Throttling*`, rejected before any task was
   * created). Default 2. Submissions are never repeated after a 5xx, a timeout or a dropped connection.
   */
  submitRateLimitRetries?: number;
  /** A throttled submission waits at most this long (ms) before trying again; a longer `Retry-After` is thrown as `rate_limited`. Default 10 000. */
  maxSubmitRetryWaitMs?: number;
}

/** Settings of `createDashScope`. Every field is optional. */
export interface DashScopeProviderSettings {
  /** API key. Default: the `DASHSCOPE_API_KEY` environment variable, read at each call. */
  apiKey?: string;
  /**
   * API root, for example `https://dashscope.aliyuncs.com/api/v1`. Default: the `DASHSCOPE_BASE_URL` environment
   * variable at each call, else the `region`'s root, else the international (Singapore) root.
   */
  baseURL?: string;
  /** Region whose root to use when `baseURL` is not set. Default `intl` (or `DASHSCOPE_BASE_URL` when set). */
  region?: DashScopeRegion;
  /** Model Studio workspace id, sent as `X-DashScope-WorkSpace`. Default: none (the key's default workspace). */
  workspaceId?: string;
  /** Extra headers for every request, or a function read per request. */
  headers?: Record<string, string> | (() => Record<string, string>);
  /** `fetch` implementation. Default `globalThis.fetch` at call time. */
  fetch?: typeof fetch;
  /** Per-request time limit in ms until the response headers arrive. Default 60 000. */
  timeoutMs?: number;
  /** Retry tuning. */
  retry?: DashScopeRetrySettings;
  /** Clock for expiry calculations (ms since epoch). Default `Date.now`. */
  now?: () => number;
}
