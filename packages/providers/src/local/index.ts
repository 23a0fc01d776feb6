import { createLocal, type LocalProvider } from './local-provider.js';

export { createLocal } from './local-provider.js';
export type { LocalProvider, LocalProviderSettings, LocalTask } from './local-provider.js';
export { LOCAL_MODEL, LOCAL_MODEL_ID, localDimensions } from './local-capabilities.js';
export { findFont, wrap, renderLocalVideo } from './local-render.js';
export type { LocalRenderSpec } from './local-render.js';

/** The local renderer with default settings (renders under the OS temp directory, no added latency). */
export const local: LocalProvider = createLocal();
