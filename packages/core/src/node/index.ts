export { createNodeDownloader } from './download.js';
export type { NodeDownloaderOptions } from './download.js';
export { createNodeGallery } from './gallery.js';
export type { NodeGalleryOptions } from './gallery.js';
