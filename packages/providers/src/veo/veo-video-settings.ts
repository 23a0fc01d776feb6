/**
 * Veo model ids on the Gemini API (generativelanguage.googleapis.com).
 *
 * Model list and limits: https://ai.google.dev/gemini-api/docs/video#model-versions
 * Any other string is passed through unchecked (with an `unknown-model` warning from the gallery).
 */
export type VeoModelId =
  | 'veo-3.1-fast-generate-preview'
  | 'veo-3.1-generate-preview'
  | 'veo-3.1-lite-generate-preview'
  | 'veo-3.0-generate-001'
  | 'veo-3.0-fast-generate-001'
  | 'veo-2.0-generate-001'
  | (string & {});

/** Who may appear in a video; the Gemini API allows a different set per model and mode. */
export type VeoPersonGeneration = 'allow_all' | 'allow_adult' | 'dont_allow';

/** Settings of {@link createVeo}. Every field is optional; environment variables are read per request. */
export interface VeoProviderSettings {
  /**
   * Gemini API key, sent as the `x-goog-api-key` header.
   * @default process.env.GEMINI_API_KEY, read at each request
   */
  apiKey?: string;
  /**
   * API root including the version, without a trailing slash. Point it at a proxy or at the mock server.
   * Results served from this origin are trusted by the download guard.
   * @default process.env.VEO_BASE_URL ?? 'https://generativelanguage.googleapis.com/v1beta'
   */
  baseURL?: string;
  /** Extra headers sent with every request (after the defaults, so they can override them). */
  headers?: Record<string, string>;
  /** A `fetch` implementation, for tests or a custom agent. @default globalThis.fetch */
  fetch?: typeof globalThis.fetch;
  /** Time limit of one HTTP request in milliseconds. @default 60_000 */
  timeoutMs?: number;
  /**
   * `parameters.personGeneration` to send. Left out by default so the API applies its own default, which is
   * the only value that works in every region (the EU, UK, CH and MENA allow `allow_adult` only on Veo 3).
   * A value the model and mode do not accept is dropped with a warning instead of failing the request.
   * @default undefined (not sent)
   */
  personGeneration?: VeoPersonGeneration;
  /**
   * Whether to send a requested `seed`. The Gemini API docs list `seed` for Veo 3 models, but the official
   * `@google/genai` SDK refuses it in Gemini-API mode. `'send'` passes it through (a 400 INVALID_ARGUMENT
   * naming `seed` then says the endpoint refuses it); `'drop'` leaves it out with an `unsupported` warning.
   * @default 'send'
   */
  seed?: 'send' | 'drop';
}
