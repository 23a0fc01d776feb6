export { main, CliError, EXTRA_COMMANDS } from './main.js';
export type { CliIo } from './main.js';
export { createGalleryFromEnv, resolveDataDir, REMOTE_PROVIDERS } from './env.js';
export type { GalleryFromEnvOptions, EnvGallery } from './env.js';
export { ProgressBar, progressOf } from './progress.js';
