/**
 * In-memory blob storage. It lives in `@video-gallery/core` (so the core, its tests and browser apps can use it
 * without this package); this subpath re-exports it for symmetry with the other adapters.
 */
export { createMemoryStorage } from '@video-gallery/core';
export type { MemoryStorage } from '@video-gallery/core';
