/**
 * Model ids on KIE.ai. `veo3*` go through KIE's Veo 3.1 API (https://docs.kie.ai/veo3-api/quickstart); the
 * others through the generic Market "jobs" API (https://docs.kie.ai/market/common/get-task-detail), one page
 * per model, for example https://docs.kie.ai/market/kling/v2-1-standard.
 * Any other string is sent to the jobs API with a generic input (`prompt`, `image_url`, `duration`).
 */
export type KieModelId =
  | 'veo3_fast'
  | 'veo3'
  | 'veo3_lite'
  | 'kling/v2-1-standard'
  | 'hailuo/02-text-to-video-standard'
  | 'hailuo/02-image-to-video-standard'
  | 'wan/2-6-text-to-video'
  | (string & {});

/** Settings of {@link createKie}. Every field is optional; environment variables are read per request. */
export interface KieProviderSettings {
  /**
   * KIE API key, sent as `Authorization: Bearer <key>`.
   * @default process.env.KIE_API_KEY, read at each request
   */
  apiKey?: string;
  /**
   * API root. Results and tasks served from this origin are trusted by the download guard.
   * @default process.env.KIE_BASE_URL ?? 'https://api.kie.ai'
   */
  baseURL?: string;
  /**
   * Root of KIE's file upload API, used to upload local images that have no public URL.
   * @default process.env.KIE_UPLOAD_BASE_URL ?? 'https://kieai.redpandaai.co'
   */
  uploadBaseURL?: string;
  /**
   * Public URL KIE POSTs to when a task ends (`callBackUrl`). Optional: the gallery polls either way, and a
   * callback only makes it poll sooner. Point it at the gallery's `POST /webhooks/kie` route.
   * @default undefined (no callback)
   */
  callbackUrl?: string;
  /**
   * Key that signs callbacks (KIE settings → webhook HMAC key). Needed by `verifyWebhook`.
   * @default process.env.KIE_WEBHOOK_HMAC_KEY
   */
  webhookHmacKey?: string;
  /** How far a callback's `X-Webhook-Timestamp` may be from now, in milliseconds. @default 300_000 */
  webhookToleranceMs?: number;
  /** Clock used by `verifyWebhook`, for tests. @default Date.now */
  now?: () => number;
  /**
   * Extra headers sent with every request. A browser-like `User-Agent` is sent by default because KIE's
   * Cloudflare front answers requests without one with a bare `403 error code: 1010`.
   */
  headers?: Record<string, string>;
  /** A `fetch` implementation, for tests or a custom agent. @default globalThis.fetch */
  fetch?: typeof globalThis.fetch;
  /** Time limit of one HTTP request in milliseconds. @default 60_000 */
  timeoutMs?: number;
  /** Folder name given to KIE's upload API for input images. @default 'video-gallery' */
  uploadPath?: string;
}
