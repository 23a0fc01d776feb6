import { VideoGallery, type VideoGalleryOptions } from '../gallery.js';
import { createNodeDownloader, type NodeDownloaderOptions } from './download.js';
import { createFfmpegMediaProcessor } from './media.js';

export interface NodeGalleryOptions extends VideoGalleryOptions {
  /**
   * Options for the Node downloader used for every provider's results (the provider's own `trustedOrigins()`
   * are always added). Use `{ allowPrivateNetwork: true }` only in tests and local development.
   */
  download?: Omit<NodeDownloaderOptions, 'trustedOrigins'> & { trustedOrigins?: string[] };
}

/**
 * A `VideoGallery` with Node defaults: results are downloaded through `createNodeDownloader` (SSRF guard that
 * also checks the addresses host names resolve to, on every redirect hop) and videos are probed and thumbnailed
 * with ffmpeg (`createFfmpegMediaProcessor`). Pass `media: null` to skip thumbnails.
 */
export function createNodeGallery(options: NodeGalleryOptions): VideoGallery {
  const { download = {}, ...rest } = options;
  return new VideoGallery({
    downloaderFor: (provider) => createNodeDownloader({
      ...download,
      trustedOrigins: [...(download.trustedOrigins ?? []), ...(provider.trustedOrigins?.() ?? [])],
    }),
    ...rest,
    media: options.media === undefined ? createFfmpegMediaProcessor() : options.media,
  });
}
