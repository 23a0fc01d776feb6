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
