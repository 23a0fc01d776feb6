export { createNodeDownloader } from './download.js';
export type { NodeDownloaderOptions } from './download.js';
export { createNodeGallery } from './gallery.js';
export type { NodeGalleryOptions } from './gallery.js';
export { findFfmpeg, findFfprobe } from './ffmpeg-binaries.js';
export { createFfmpegMediaProcessor, jpegSize } from './ffmpeg-media.js';
export type { FfmpegMediaProcessorOptions } from './ffmpeg-media.js';
export { runBinary } from './ffmpeg-run.js';
export type { RunOptions } from './ffmpeg-run.js';
