import { createLocal, type LocalProvider } from './local-video-provider.js';

export { createLocal } from './local-video-provider.js';
export type { LocalProvider, LocalTask } from './local-video-provider.js';
export { LOCAL_MODEL, LOCAL_MODEL_ID, LOCAL_IMAGE_TYPES, LOCAL_MAX_IMAGE_BYTES, localDimensions } from './local-video-settings.js';
export type { LocalProviderSettings } from './local-video-settings.js';
export { findFont, wrap, escapeFilterValue, renderLocalVideo } from './local-render.js';
export type { LocalRenderSpec, LocalRenderOptions } from './local-render.js';

/** The local renderer with default settings (works under `<os.tmpdir()>/video-gallery-local`, no added latency). Creating it touches no files. */
export const local: LocalProvider = createLocal();
