export { GalleryError, GALLERY_ERROR_CODES, isAbortError, invalidInput } from './errors.js';
export type { GalleryErrorCode, GalleryErrorOptions, EntryError } from './errors.js';
export type { JSONValue, JSONObject } from './contracts/json.js';
export type { GenerationMode, CapabilityRule, ModelCapabilities } from './contracts/capabilities.js';
export { JOB_STATUSES, TERMINAL_STATUSES, ACTIVE_STATUSES } from './contracts/entry.js';
export type {
  JobStatus, Visibility, ImageInput, StoredImage, GenerateRequest, ResolvedRequest, StoredVideo, StoredThumbnail,
  PersistedOutput, Warning, GalleryEntry,
} from './contracts/entry.js';
export type {
  ProviderImage, ProviderRequest, OutputOpener, ProviderOutput, ProviderStatus, StartResult, VideoProvider,
} from './contracts/provider.js';
export type { ObjectInfo, StoredObject, BlobBody, PutOptions, GetOptions, BlobStorage } from './contracts/storage.js';
export type { ListQuery, ListResult, EntryStore } from './contracts/entry-store.js';
export type { MediaProcessor, MediaSource } from './contracts/media.js';
export type { JobExecutor, JobRunner } from './contracts/runner.js';
export { assertValidKey, isValidKey, MAX_KEY_LENGTH } from './keys.js';
export { toReadableStream, readAll } from './streams.js';
export { TRANSITIONS, JOB_EVENT_TYPES, InvalidTransitionError, transition, canTransition } from './state-machine.js';
export type { JobEvent, JobEventType } from './state-machine.js';
export { backoffDelay, defaultTimeoutMs, DEFAULT_POLL } from './backoff.js';
export type { PollOptions } from './backoff.js';
export { validateRequest } from './validate.js';
export type { ValidatedRequest } from './validate.js';
export { inProcessRunner, sleep } from './runner.js';
export type { InProcessRunnerOptions } from './runner.js';
export { VideoGallery } from './gallery.js';
export type {
  GalleryChange, VideoGalleryEvents, Logger, VideoGalleryOptions, OwnerScope, GenerateOptions, UpdatePatch,
} from './gallery.js';
export { checkDownloadUrl, isForbiddenAddress } from './url-guard.js';
export type { DownloadGuardOptions } from './url-guard.js';
export { rehost, createFetchDownloader, sniffVideoType, DEFAULT_VIDEO_CONTENT_TYPES } from './rehost.js';
export type { Downloader, DownloadRequestOptions, DownloadResponse, FetchDownloaderOptions, RehostOptions, RehostResult } from './rehost.js';
export { createMemoryEntryStore } from './memory-store.js';
export type { MemoryEntryStoreOptions } from './memory-store.js';
export {
  MAX_LIST_LIMIT, foldSearchText, encodeListCursor, decodeListCursor, normalizeListQuery, createdAtMs, assertValidEntry, applyEntryPatch,
  entryNotFound, versionConflict, assertExpectVersion,
} from './entry-store-utils.js';
export type { ListCursorPosition, NormalizedListQuery } from './entry-store-utils.js';
export { createMemoryStorage } from './memory-storage.js';
export type { MemoryStorage } from './memory-storage.js';
export {
  READ_CHUNK_BYTES, abortErrorFor, throwIfAborted, assertContentType, assertMaxBytes, tooLargeError, resolveRange, knownSize, bodyChunks,
} from './blob-utils.js';
