// @video-gallery/core/client: the browser's typed client of the gallery HTTP API. Browser-safe (no node: imports).
export { RemoteGallery } from './remote-gallery.js';
export type {
  RemoteGalleryOptions, RemoteGalleryEvents, RemoteGenerateRequest, RemoteGenerateOptions, RemoteImageInput, RemoteListQuery,
  RemoteEntry, RemoteChange, RequestOptions,
} from './remote-gallery.js';
export type { ConnectionState, ReconnectOptions, EventSourceConstructor, EventSourceLike } from './events.js';
export type { FetchLike, HeadersOption, RetryOptions } from './http.js';
export { CSRF_HEADER } from './http.js';
export { SseParser } from './sse.js';
export type { SseMessage, SseParserHandlers } from './sse.js';
export { GalleryError } from '../errors.js';
export type { GalleryErrorCode, EntryError } from '../errors.js';
export type { GalleryEntry, GenerateRequest, JobStatus, Visibility, ImageInput } from '../contracts/entry.js';
export type { ModelCapabilities } from '../contracts/capabilities.js';
export type { UpdatePatch } from '../gallery.js';
export type { GalleryEntryJson, ListResponse, CapabilitiesResponse } from '../server/shapes.js';
