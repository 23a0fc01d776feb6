export { main, CliError, EXTRA_COMMANDS } from './main.js';
export type { CliIo } from './main.js';
export { createGalleryFromEnv, resolveDataDir } from './env.js';
export type { GalleryFromEnvOptions, EnvGallery } from './env.js';
export { ProgressBar, progressOf } from './progress.js';
