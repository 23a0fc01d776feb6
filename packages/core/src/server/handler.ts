// The Web-standard HTTP handler of a VideoGallery. Web APIs only (no node: imports): runs on Node and edge runtimes.
import { JOB_STATUSES, type GalleryEntry, type JobStatus } from '../contracts/entry.js';
import type { JSONValue } from '../contracts/json.js';
import type { ListQuery } from '../contracts/entry-store.js';
import type { Logger, UpdatePatch, VideoGallery } from '../gallery.js';
import { GalleryError } from '../errors.js';
import { generateRequestFromJson, generateRequestFromMultipart, mediaTypeOf, isJsonType, readJson, type BodyLimits } from './body.js';
import { EventHub } from './events.js';
import { errorResponse, HttpError, jsonResponse, notFound } from './http-errors.js';
import { serveMedia, type MediaTarget } from './media.js';
import { toEntryJson, toFeedEntryJson, type CapabilitiesResponse, type FeedEntryJson, type GalleryEntryJson, type ListResponse } from './shapes.js';
import { noneMatch } from './conditional.js';

/** What `rateLimit` answers. */
export type RateLimitResult = { ok: true } | { ok: false; retryAfterMs: number };

/** Options of {@link createGalleryHandler}. */
export interface GalleryHandlerOptions {
  /** Path prefix of every route. Default `'/api/gallery'`. */
  basePath?: string;
  /**
   * **Required.** The caller's owner id, or `null` when unauthenticated (→ 401 unless `allowAnonymous`).
   * A thrown `GalleryError` answers with its status; anything else thrown is a 500.
   */
  authenticate: (request: Request) => Promise<string | null> | string | null;
  /** Accept unauthenticated callers as the `null` owner (single-user or demo setups). Default `false`. */
  allowAnonymous?: boolean;
  /** Largest uploaded image, each of `image` / `lastFrame`, in bytes (→ 413). Default 10 MiB. */
  maxUploadBytes?: number;
  /** Largest JSON body in bytes (→ 413). Default 64 KiB. */
  maxJsonBytes?: number;
  /** Called for `POST /generations` before the body is read; `{ ok: false }` answers 429 with `Retry-After`. Default: none. */
  rateLimit?: (request: Request, owner: string | null) => Promise<RateLimitResult> | RateLimitResult;
  /** Answer media requests with a 302 to `storage.url()` when it gives one (signed S3/R2 URLs). Default `false`. */
  redirectToSignedUrls?: boolean;
  /** Browser origins allowed to call the API (with credentials), or `'*'` for any origin without credentials. Default: none. */
  corsOrigins?: readonly string[] | '*';
  /** Interval of the SSE heartbeat comment, ms. Default 15000. */
  heartbeatMs?: number;
  /** Recent events kept for `Last-Event-ID` resume. Default 1000. */
  eventBufferSize?: number;
  /** Accept `image: { url }` in JSON requests (the server then fetches a URL a user chose; public https only). Default `false`. */
  allowImageUrls?: boolean;
  /** Where unexpected (5xx) errors are logged. Default `console`. */
  logger?: Logger;
}

/** The handler: a Web `fetch`-style function, plus `close()` to end open event streams. */
export interface GalleryHandler {
  (request: Request): Promise<Response>;
  /** Ends every open SSE stream and stops listening to the gallery. */
  close(): void;
  /** Open SSE connections (for metrics and tests). */
  readonly eventClients: number;
}

const ID = /^[A-Za-z0-9._~:-]{1,128}$/;
const MUTATING = new Set(['POST', 'PATCH', 'DELETE', 'PUT']);
const CORS_ALLOW_HEADERS = 'Content-Type, Authorization, Idempotency-Key, Video-Gallery-Request, X-Requested-With, Last-Event-ID, Range, If-Range, If-None-Match, If-Modified-Since';
const CORS_EXPOSE_HEADERS = 'ETag, Last-Modified, Content-Range, Accept-Ranges, Content-Length, Content-Disposition, Retry-After, Location';

function positiveInteger(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new GalleryError('invalid_input', `${name}: must be a positive whole number (got ${String(value)}).`, { field: name, retryable: false });
  }
  return value;
}

function normalizeBasePath(basePath: string | undefined): string {
  const base = basePath ?? '/api/gallery';
  if (typeof base !== 'string' || !base.startsWith('/') || /[?#\s]/.test(base)) {
    throw new GalleryError('invalid_input', `basePath: must be a path starting with "/" such as "/api/gallery" (got ${JSON.stringify(base)}).`, { field: 'basePath', retryable: false });
  }
  return base.replace(/\/+$/, '');
}

/** Path and query of an absolute request URL, without the cost of a full URL parse. */
function splitUrl(url: string): { path: string; query: string } {
  const scheme = url.indexOf('://');
  let start = scheme < 0 ? 0 : url.indexOf('/', scheme + 3);
  if (start < 0) start = url.length;
  const hash = url.indexOf('#', start);
  const end = hash < 0 ? url.length : hash;
  const q = url.indexOf('?', start);
  if (q < 0 || q > end) return { path: url.slice(start, end) || '/', query: '' };
  return { path: url.slice(start, q) || '/', query: url.slice(q + 1, end) };
}

function methodNotAllowed(allow: string): HttpError {
  return new HttpError(405, 'unsupported', `Method not allowed here; use ${allow}.`, { headers: { allow } });
}

function decodeId(segment: string | undefined): string {
  if (segment === undefined) throw notFound();
  let id: string;
  try {
    id = decodeURIComponent(segment);
  } catch {
    throw notFound(`No entry ${JSON.stringify(segment.slice(0, 140))}.`);
  }
  if (!ID.test(id)) throw notFound(`No entry ${JSON.stringify(id.slice(0, 140))}.`);
  return id;
}

function parseBoolean(value: string, field: string): boolean {
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new HttpError(400, 'invalid_input', `${field}: must be true or false (got ${JSON.stringify(value.slice(0, 40))}).`, { field });
}

function parseLimit(params: URLSearchParams): number | undefined {
  const value = params.get('limit');
  if (value === null) return undefined;
  if (!/^\d{1,3}$/.test(value) || Number(value) < 1 || Number(value) > 100) {
    throw new HttpError(400, 'invalid_input', `limit: must be a whole number from 1 to 100 (got ${JSON.stringify(value.slice(0, 40))}).`, { field: 'limit' });
  }
  return Number(value);
}

function parseSort(params: URLSearchParams): 'newest' | 'oldest' | undefined {
  const sort = params.get('sort');
  if (sort === null) return undefined;
  if (sort !== 'newest' && sort !== 'oldest') throw new HttpError(400, 'invalid_input', `sort: must be "newest" or "oldest" (got ${JSON.stringify(sort.slice(0, 40))}).`, { field: 'sort' });
  return sort;
}

function listQuery(params: URLSearchParams): Partial<ListQuery> {
  const query: Partial<ListQuery> = {};
  const limit = parseLimit(params);
  if (limit !== undefined) query.limit = limit;
  const cursor = params.get('cursor');
  if (cursor !== null && cursor !== '') query.cursor = cursor;
  const status = params.get('status');
  if (status !== null && status !== '') {
    const statuses = status.split(',').map((s) => s.trim()).filter((s) => s !== '');
    for (const s of statuses) {
      if (!JOB_STATUSES.includes(s as JobStatus)) {
        throw new HttpError(400, 'invalid_input', `status: ${JSON.stringify(s.slice(0, 40))} is not a job status; use a comma-separated list of ${JOB_STATUSES.join(', ')}.`, { field: 'status' });
      }
    }
    query.status = statuses as JobStatus[];
  }
  const q = params.get('q');
  if (q !== null && q !== '') {
    if (q.length > 500) throw new HttpError(400, 'invalid_input', 'q: must be at most 500 characters.', { field: 'q' });
    query.q = q;
  }
  const favorite = params.get('favorite');
  if (favorite !== null && favorite !== '') query.favorite = parseBoolean(favorite, 'favorite');
  const visibility = params.get('visibility');
  if (visibility !== null && visibility !== '') {
    if (visibility !== 'draft' && visibility !== 'published') throw new HttpError(400, 'invalid_input', `visibility: must be "draft" or "published" (got ${JSON.stringify(visibility.slice(0, 40))}).`, { field: 'visibility' });
    query.visibility = visibility;
  }
  const sort = parseSort(params);
  if (sort !== undefined) query.sort = sort;
  return query;
}

/** Whether every field of `verified` equals the same field of `stored` (a webhook often carries only the id). */
function taskMatches(stored: JSONValue, verified: JSONValue): boolean {
  if (typeof verified !== 'object' || verified === null || Array.isArray(verified)) return JSON.stringify(stored) === JSON.stringify(verified);
  if (typeof stored !== 'object' || stored === null || Array.isArray(stored)) return false;
  const keys = Object.keys(verified);
  if (keys.length === 0) return false;
  return keys.every((key) => JSON.stringify(stored[key]) === JSON.stringify(verified[key]));
}

function isCustomHeaderRequest(request: Request): boolean {
  return request.headers.get('video-gallery-request') === '1' || request.headers.has('x-requested-with');
}

/**
 * Creates the HTTP API of a gallery as a Web-standard `(request: Request) => Promise<Response>` function that any
 * server framework can mount (see docs/server.md for the route table). Every read and write is scoped to the
 * owner `authenticate` returns; another owner's entry answers 404.
 *
 * @example
 * const handler = createGalleryHandler(gallery, { authenticate: (request) => userIdFrom(request) });
 * export default { fetch: handler };
 */
export function createGalleryHandler(gallery: VideoGallery, options: GalleryHandlerOptions): GalleryHandler {
  if (!options || typeof options.authenticate !== 'function') {
    throw new GalleryError('invalid_input', 'authenticate: a function returning the caller\'s owner id (or null) is required; pass allowAnonymous: true as well for a single-user setup.', { field: 'authenticate', retryable: false });
  }
  const basePath = normalizeBasePath(options.basePath);
  const limits: BodyLimits = {
    maxUploadBytes: positiveInteger(options.maxUploadBytes, 'maxUploadBytes', 10 * 1024 * 1024),
    maxJsonBytes: positiveInteger(options.maxJsonBytes, 'maxJsonBytes', 64 * 1024),
    allowImageUrls: options.allowImageUrls === true,
  };
  const heartbeatMs = positiveInteger(options.heartbeatMs, 'heartbeatMs', 15_000);
  const eventBufferSize = positiveInteger(options.eventBufferSize, 'eventBufferSize', 1000);
  const logger: Logger = options.logger ?? console;
  const allowAnonymous = options.allowAnonymous === true;
  const redirect = options.redirectToSignedUrls === true;
  const cors = options.corsOrigins;
  const corsSet = Array.isArray(cors) ? new Set(cors.map((o) => o.replace(/\/+$/, ''))) : null;
  const hub = new EventHub(gallery, { heartbeatMs, bufferSize: eventBufferSize, retryMs: 3000, maxQueuedFrames: 1000 });
  const storage = gallery.storage;

  async function owner(request: Request): Promise<string | null> {
    const id = await options.authenticate(request);
    if (id === null || id === undefined) {
      if (allowAnonymous) return null;
      throw new HttpError(401, 'auth_failed', 'Sign in first: this request carries no valid credentials.');
    }
    if (typeof id !== 'string' || id.length === 0 || id.length > 255) {
      throw new TypeError('authenticate returned something that is not an owner id (a non-empty string of at most 255 characters, or null).');
    }
    return id;
  }

  async function ownedEntry(id: string, who: string | null): Promise<GalleryEntry> {
    const entry = await gallery.get(id, { owner: who });
    if (!entry) throw notFound(`No entry ${id}.`);
    return entry;
  }

  function mediaTarget(entry: GalleryEntry, kind: 'video' | 'thumbnail'): MediaTarget {
    const stored = kind === 'video' ? entry.video : entry.thumbnail;
    if (!stored) throw notFound(`Entry ${entry.id} has no ${kind} yet (status ${entry.status}).`);
    return {
      key: stored.key, entryId: entry.id, attempt: entry.attempt, kind, downloadName: entry.request.prompt,
      knownSize: kind === 'video' && entry.video ? entry.video.bytes : null,
    };
  }

  function media(request: Request, params: URLSearchParams, entry: GalleryEntry, kind: 'video' | 'thumbnail', scope: 'private' | 'public'): Promise<Response> {
    const v = params.get('v');
    const download = params.get('download');
    return serveMedia(request, storage, mediaTarget(entry, kind), {
      cacheScope: scope,
      versioned: v !== null && v === String(entry.attempt),
      download: download === '1' || download === 'true',
      redirect,
    });
  }

  async function route(request: Request, method: string, segments: string[], query: string): Promise<Response> {
    const [first, second, third, extra] = segments;
    const params = () => new URLSearchParams(query);
    const isRead = method === 'GET' || method === 'HEAD';

    // ---- public routes: no authentication
    if (first === 'feed') {
      if (!isRead) throw methodNotAllowed('GET, HEAD');
      if (second === undefined) {
        const p = params();
        const q: Partial<ListQuery> = { visibility: 'published', status: ['ready'] };
        const limit = parseLimit(p);
        if (limit !== undefined) q.limit = limit;
        const cursor = p.get('cursor');
        if (cursor !== null && cursor !== '') q.cursor = cursor;
        const text = p.get('q');
        if (text !== null && text !== '') q.q = text;
        const sort = parseSort(p);
        if (sort !== undefined) q.sort = sort;
        const page = await gallery.list(q);
        const body: ListResponse<FeedEntryJson> = { items: page.items.map(toFeedEntryJson), total: page.total, nextCursor: page.nextCursor };
        return jsonResponse(200, body, { 'cache-control': 'public, max-age=5' });
      }
      const id = decodeId(second);
      if ((third !== 'video' && third !== 'thumbnail') || extra !== undefined) throw notFound();
      const entry = await gallery.get(id);
      if (!entry || entry.visibility !== 'published' || entry.status !== 'ready') throw notFound(`No published entry ${id}.`);
      return media(request, params(), entry, third, 'public');
    }
    if (first === 'webhooks') {
      if (second === undefined || third !== undefined) throw notFound();
      if (method !== 'POST') throw methodNotAllowed('POST');
      return webhook(request, second);
    }

    // ---- everything else is the owner's
    if (MUTATING.has(method) && !isJsonType(mediaTypeOf(request)) && !isCustomHeaderRequest(request)) {
      throw new HttpError(403, 'forbidden', 'Refused a state-changing request that a cross-site form could have sent: send it with Content-Type: application/json or the header "Video-Gallery-Request: 1".');
    }

    if (first === 'capabilities' && second === undefined) {
      if (!isRead) throw methodNotAllowed('GET, HEAD');
      await owner(request);
      const body: CapabilitiesResponse = gallery.capabilities();
      return jsonResponse(200, body, { 'cache-control': 'private, max-age=60' });
    }

    if (first === 'events' && second === undefined) {
      if (!isRead) throw methodNotAllowed('GET');
      const who = await owner(request);
      return hub.connect(who, request.headers.get('last-event-id'), request.signal);
    }

    if (first !== 'generations') throw notFound();

    if (second === undefined) {
      if (isRead) {
        const who = await owner(request);
        const page = await gallery.list({ ...listQuery(params()), owner: who });
        const body: ListResponse<GalleryEntryJson> = { items: page.items.map(toEntryJson), total: page.total, nextCursor: page.nextCursor };
        return jsonResponse(200, body, { 'cache-control': 'private, no-store' });
      }
      if (method !== 'POST') throw methodNotAllowed('GET, HEAD, POST');
      return create(request);
    }

    const id = decodeId(second);
    if (third === undefined) {
      if (isRead) {
        const who = await owner(request);
        const entry = await ownedEntry(id, who);
        const etag = `"${entry.id}.${entry.version}"`;
        const headers = { etag, 'cache-control': 'private, no-cache' };
        const inm = request.headers.get('if-none-match');
        if (inm !== null && noneMatch(inm, etag)) return new Response(null, { status: 304, headers });
        return jsonResponse(200, toEntryJson(entry), headers);
      }
      if (method === 'PATCH') {
        const who = await owner(request);
        const patch = await readJson(request, limits.maxJsonBytes);
        if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
          throw new HttpError(400, 'invalid_input', 'The body must be a JSON object such as { "favorite": true }.', { field: 'body' });
        }
        const entry = await gallery.update(id, patch as UpdatePatch, { owner: who });
        return jsonResponse(200, toEntryJson(entry), { etag: `"${entry.id}.${entry.version}"` });
      }
      if (method === 'DELETE') {
        const who = await owner(request);
        await gallery.delete(id, { owner: who });
        return new Response(null, { status: 204 });
      }
      throw methodNotAllowed('GET, HEAD, PATCH, DELETE');
    }
    if (extra !== undefined) throw notFound();

    if (third === 'retry' || third === 'cancel') {
      if (method !== 'POST') throw methodNotAllowed('POST');
      const who = await owner(request);
      if (third === 'retry') {
        const entry = await gallery.retry(id, { owner: who });
        return jsonResponse(202, toEntryJson(entry));
      }
      const entry = await gallery.cancel(id, { owner: who });
      return jsonResponse(200, toEntryJson(entry));
    }
    if (third === 'video' || third === 'thumbnail') {
      if (!isRead) throw methodNotAllowed('GET, HEAD');
      const who = await owner(request);
      const entry = await ownedEntry(id, who);
      return media(request, params(), entry, third, 'private');
    }
    throw notFound();
  }

  async function create(request: Request): Promise<Response> {
    const who = await owner(request);
    if (options.rateLimit) {
      const verdict = await options.rateLimit(request, who);
      if (!verdict.ok) {
        const seconds = Math.max(1, Math.ceil((Number.isFinite(verdict.retryAfterMs) ? verdict.retryAfterMs : 1000) / 1000));
        throw new HttpError(429, 'rate_limited', `Too many generation requests; try again in ${seconds} s.`, { headers: { 'retry-after': String(seconds) } });
      }
    }
    const type = mediaTypeOf(request);
    let body;
    if (type === 'multipart/form-data') {
      if (!isCustomHeaderRequest(request)) {
        throw new HttpError(403, 'forbidden', 'A multipart upload must carry the header "Video-Gallery-Request: 1" (cross-site forms cannot send it).');
      }
      body = await generateRequestFromMultipart(request, limits);
    } else if (isJsonType(type)) {
      body = await generateRequestFromJson(request, limits);
    } else {
      throw new HttpError(415, 'unsupported', `Send the generation request as application/json or multipart/form-data (got ${type === '' ? 'no Content-Type' : JSON.stringify(type)}).`, { field: 'body' });
    }
    const key = request.headers.get('idempotency-key');
    const entry = await gallery.generate(body, { owner: who, ...(key !== null ? { idempotencyKey: key.trim() } : {}), signal: request.signal });
    return jsonResponse(202, toEntryJson(entry), { location: `${basePath}/generations/${encodeURIComponent(entry.id)}` });
  }

  async function webhook(request: Request, providerSegment: string): Promise<Response> {
    let providerId: string;
    try {
      providerId = decodeURIComponent(providerSegment);
    } catch {
      throw notFound();
    }
    const provider = gallery.providers().find((p) => p.id === providerId);
    if (!provider || typeof provider.verifyWebhook !== 'function') throw notFound(`No webhook endpoint for provider ${JSON.stringify(providerId.slice(0, 60))}.`);
    const verified = await provider.verifyWebhook(request);
    if (!verified) throw new HttpError(403, 'forbidden', 'The webhook delivery could not be verified.');
    // A webhook is only a hint: find the job running that task and let the poller look now.
    const active = await gallery.store.listActive();
    const entry = active.find((e) => e.request.provider === provider.id && e.task !== null && taskMatches(e.task, verified.task));
    if (entry) await gallery.poke(entry.id);
    return jsonResponse(202, { received: true });
  }

  function withCors(request: Request, response: Response): Response {
    if (!cors) return response;
    const origin = request.headers.get('origin');
    if (origin === null) return response;
    const allowed = cors === '*' || corsSet!.has(origin);
    if (!allowed) return response;
    try {
      response.headers.set('access-control-allow-origin', cors === '*' ? '*' : origin);
      if (cors !== '*') {
        response.headers.set('access-control-allow-credentials', 'true');
        response.headers.append('vary', 'Origin');
      }
      response.headers.set('access-control-expose-headers', CORS_EXPOSE_HEADERS);
    } catch {
      // immutable headers (a fetched Response): leave them
    }
    return response;
  }

  async function handle(request: Request): Promise<Response> {
    const method = request.method.toUpperCase();
    const { path, query } = splitUrl(request.url);
    try {
      if (path !== basePath && !path.startsWith(`${basePath}/`)) throw notFound();
      const rest = path.slice(basePath.length + 1);
      const segments = rest === '' ? [] : rest.split('/');
      if (segments.length > 0 && segments[segments.length - 1] === '') segments.pop(); // a trailing slash
      if (segments.some((s) => s === '')) throw notFound();
      if (method === 'OPTIONS') {
        const headers = new Headers({ allow: 'GET, HEAD, POST, PATCH, DELETE, OPTIONS' });
        const origin = request.headers.get('origin');
        if (cors && origin !== null && (cors === '*' || corsSet!.has(origin))) {
          headers.set('access-control-allow-methods', 'GET, HEAD, POST, PATCH, DELETE');
          headers.set('access-control-allow-headers', CORS_ALLOW_HEADERS);
          headers.set('access-control-max-age', '600');
        }
        return withCors(request, new Response(null, { status: 204, headers }));
      }
      const response = await route(request, method, segments, query);
      if (method === 'HEAD' && response.body) {
        response.body.cancel().catch(() => {});
        return withCors(request, new Response(null, { status: response.status, headers: response.headers }));
      }
      return withCors(request, response);
    } catch (error) {
      return withCors(request, errorResponse(error, logger, { method, path }));
    }
  }

  const handler = handle as GalleryHandler;
  Object.defineProperty(handler, 'close', { value: () => hub.close() });
  Object.defineProperty(handler, 'eventClients', { get: () => hub.clientCount });
  return handler;
}
