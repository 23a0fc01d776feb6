// Serves stored videos and thumbnails with ranges, validators and caching. Streams from BlobStorage.get, never buffers.
import type { BlobStorage, ObjectInfo, StoredObject } from '../contracts/storage.js';
import { GalleryError } from '../errors.js';
import { ifRangeAllows, noneMatch, notModifiedSince, parseRange, type RangeDecision } from './conditional.js';
import { HttpError } from './http-errors.js';

/** What to serve: a storage key plus what the entry already knows about it. */
export interface MediaTarget {
  key: string;
  /** Entry id and attempt: part of the ETag, so a retry that overwrites the key changes it. */
  entryId: string;
  attempt: number;
  /** Size recorded on the entry, if any: lets the common request skip a `head` round trip. */
  knownSize: number | null;
  kind: 'video' | 'thumbnail';
  /** Base name (without extension) for `?download=1`. */
  downloadName: string;
}

export interface MediaOptions {
  /** `private` for owner routes, `public` for the feed. */
  cacheScope: 'private' | 'public';
  /** The request's `?v=` equals the entry's attempt: the bytes at this URL never change. */
  versioned: boolean;
  download: boolean;
  redirect: boolean;
}

const VIDEO_TYPE = /^video\/[a-z0-9][a-z0-9.+-]*$/i;
const IMAGE_TYPE = /^image\/(?:jpeg|png|webp|gif|bmp|avif)$/i;
const EXTENSIONS: Record<string, string> = {
  'video/mp4': 'mp4', 'video/webm': 'webm', 'video/quicktime': 'mov', 'video/x-matroska': 'mkv', 'video/ogg': 'ogv',
  'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp', 'image/gif': 'gif', 'image/bmp': 'bmp', 'image/avif': 'avif',
};

/** Only video (or image) types are served as such; anything else is an opaque download (no sniffing, no HTML). */
function safeContentType(kind: MediaTarget['kind'], type: string): string {
  const base = type.split(';')[0]!.trim();
  if (kind === 'video' ? VIDEO_TYPE.test(base) : IMAGE_TYPE.test(base)) return base.toLowerCase();
  return 'application/octet-stream';
}

function entityTag(target: MediaTarget, info: ObjectInfo): string {
  const raw = info.etag;
  let weak = false;
  let tag: string;
  if (raw) {
    weak = raw.startsWith('W/');
    tag = raw.replace(/^W\//, '').replace(/^"|"$/g, '').replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80);
  } else {
    tag = `${info.size.toString(36)}-${info.lastModified ? info.lastModified.getTime().toString(36) : 'x'}`;
    weak = !info.lastModified;
  }
  const value = `"${target.entryId}.${target.attempt}.${tag}"`;
  return weak ? `W/${value}` : value;
}

/** `attachment; filename="ascii"; filename*=UTF-8''…` from any text (a prompt), safe for every browser. */
export function contentDisposition(name: string, extension: string): string {
  let base = name
    .normalize('NFC')
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, ' ') // controls, line/bidi marks
    .replace(/[/\\:*?"<>|]/g, ' ') // path separators, quotes, characters Windows refuses
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^\.+/, '');
  base = Array.from(base).slice(0, 80).join('').trim();
  if (base === '') base = 'video';
  const filename = `${base}.${extension}`;
  let ascii = filename.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/[^\x20-\x7e]|[%"\\]/g, '_');
  if (/^[_ .]*$/.test(ascii.slice(0, -(extension.length + 1)))) ascii = `video.${extension}`;
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

function baseHeaders(target: MediaTarget, info: ObjectInfo, etag: string, options: MediaOptions): Headers {
  const headers = new Headers();
  headers.set('content-type', safeContentType(target.kind, info.contentType));
  headers.set('accept-ranges', 'bytes');
  headers.set('etag', etag);
  if (info.lastModified) headers.set('last-modified', info.lastModified.toUTCString());
  headers.set('x-content-type-options', 'nosniff');
  headers.set('cache-control', cacheControl(options));
  if (options.download) {
    const type = safeContentType(target.kind, info.contentType);
    headers.set('content-disposition', contentDisposition(target.downloadName, EXTENSIONS[type] ?? 'bin'));
  }
  return headers;
}

function cacheControl(options: MediaOptions): string {
  if (!options.versioned) return `${options.cacheScope}, no-cache`;
  // Feed entries can be unpublished: shared caches keep them an hour at most.
  return options.cacheScope === 'private' ? 'private, max-age=31536000, immutable' : 'public, max-age=3600';
}

/** Decides the response from the validators: 304, a range, or the whole body. */
function evaluate(request: Request, info: ObjectInfo, etag: string, isGet: boolean): { notModified: true } | { notModified: false; range: RangeDecision } {
  const inm = request.headers.get('if-none-match');
  if (inm !== null) {
    if (noneMatch(inm, etag)) return { notModified: true };
  } else {
    const ims = request.headers.get('if-modified-since');
    if (ims !== null && notModifiedSince(ims, info.lastModified)) return { notModified: true };
  }
  if (!isGet) return { notModified: false, range: { kind: 'full', reason: 'none' } };
  const rangeHeader = request.headers.get('range');
  if (rangeHeader === null) return { notModified: false, range: { kind: 'full', reason: 'none' } };
  const ifRange = request.headers.get('if-range');
  if (ifRange !== null && !ifRangeAllows(ifRange, etag)) return { notModified: false, range: { kind: 'full', reason: 'none' } };
  return { notModified: false, range: parseRange(rangeHeader, info.size) };
}

function cancelQuietly(object: StoredObject): void {
  object.body.cancel().catch(() => {});
}

function unsatisfiable(size: number): HttpError {
  return new HttpError(416, 'invalid_input', `The requested range is not satisfiable: the representation is ${size} bytes long.`, {
    field: 'range', headers: { 'content-range': `bytes */${size}`, 'accept-ranges': 'bytes' },
  });
}

/**
 * Answers a GET or HEAD for a stored object. The common request (no validators) opens the object once,
 * with the range computed from the size the entry recorded; validators and unknown sizes take a `head` first.
 */
export async function serveMedia(request: Request, storage: BlobStorage, target: MediaTarget, options: MediaOptions): Promise<Response> {
  const isGet = request.method === 'GET';
  if (options.redirect && typeof storage.url === 'function') {
    const url = await storage.url(target.key, { expiresInSeconds: 3600, ...(options.download ? { downloadName: target.downloadName } : {}) });
    if (url) return new Response(null, { status: 302, headers: { location: url, 'cache-control': 'private, no-store' } });
  }
  const hasValidators = request.headers.has('if-none-match') || request.headers.has('if-modified-since') || request.headers.has('if-range');
  let info: ObjectInfo | null = null;
  if (!isGet || hasValidators || target.knownSize === null) {
    info = await storage.head(target.key);
    if (!info) throw gone(target);
  }
  for (let attempt = 0; attempt < 3; attempt++) {
    const assumed: ObjectInfo = info ?? { size: target.knownSize!, contentType: '' };
    let decision: RangeDecision;
    let etag: string | null = null;
    if (info) {
      etag = entityTag(target, info);
      const result = evaluate(request, info, etag, isGet);
      if (result.notModified) {
        const headers = baseHeaders(target, info, etag, options);
        headers.delete('content-type');
        headers.delete('content-disposition');
        return new Response(null, { status: 304, headers });
      }
      decision = result.range;
    } else {
      decision = parseRange(request.headers.get('range'), assumed.size);
    }
    if (decision.kind === 'unsatisfiable') {
      if (info) throw unsatisfiable(info.size);
      info = await storage.head(target.key); // the recorded size may be stale: check before answering 416
      if (!info) throw gone(target);
      continue;
    }
    if (!isGet) {
      const headers = baseHeaders(target, info!, etag!, options);
      headers.set('content-length', String(info!.size));
      return new Response(null, { status: 200, headers });
    }
    const range = decision.kind === 'partial' ? { start: decision.start, end: decision.end } : undefined;
    let object: StoredObject | null;
    try {
      object = await storage.get(target.key, range ? { range, signal: request.signal } : { signal: request.signal });
    } catch (error) {
      // The object shrank since the size we used: look again.
      if (range && GalleryError.isInstance(error) && error.code === 'invalid_input' && error.field === 'range') {
        info = await storage.head(target.key);
        if (!info) throw gone(target);
        continue;
      }
      throw error;
    }
    if (!object) throw gone(target);
    // The object changed between our look and the read (or the recorded size was stale): decide again.
    if (object.size !== assumed.size || (info && info.etag !== object.etag)) {
      cancelQuietly(object);
      info = { size: object.size, contentType: object.contentType, ...(object.etag ? { etag: object.etag } : {}), ...(object.lastModified ? { lastModified: object.lastModified } : {}) };
      continue;
    }
    const headers = baseHeaders(target, object, etag ?? entityTag(target, object), options);
    if (range) {
      const served = object.range ?? range;
      headers.set('content-range', `bytes ${served.start}-${served.end}/${object.size}`);
      headers.set('content-length', String(served.end - served.start + 1));
      return new Response(object.body, { status: 206, headers });
    }
    headers.set('content-length', String(object.size));
    return new Response(object.body, { status: 200, headers });
  }
  throw new HttpError(503, 'storage_failed', 'The stored file kept changing while it was being read. Try again.', { headers: { 'retry-after': '1' } });
}

function gone(target: MediaTarget): HttpError {
  return new HttpError(404, 'not_found', `The ${target.kind} of entry ${target.entryId} is missing from storage.`);
}
