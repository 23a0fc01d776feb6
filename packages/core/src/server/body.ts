// Request bodies: size-limited reads, JSON, multipart generation requests and image sniffing. Web APIs only.
import type { GenerateRequest, ImageInput } from '../contracts/entry.js';
import { checkDownloadUrl } from '../url-guard.js';
import { GalleryError } from '../errors.js';
import { HttpError } from './http-errors.js';

/** Image types accepted on upload, recognised by their first bytes. */
export type SniffedImageType = 'image/png' | 'image/jpeg' | 'image/webp' | 'image/bmp';

/** The image type by magic bytes (PNG, JPEG, WebP, BMP), or `null`. The declared type is never trusted. */
export function sniffImageType(bytes: Uint8Array): SniffedImageType | null {
  const b = bytes;
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47 && b[4] === 0x0d && b[5] === 0x0a && b[6] === 0x1a && b[7] === 0x0a) return 'image/png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (b.length >= 12 && b[0] === 0x52 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x46 && b[8] === 0x57 && b[9] === 0x45 && b[10] === 0x42 && b[11] === 0x50) return 'image/webp';
  if (b.length >= 14 && b[0] === 0x42 && b[1] === 0x4d) return 'image/bmp';
  return null;
}

/** The media type of a `Content-Type` header, lower-cased, without parameters; `''` when absent. */
export function mediaTypeOf(request: Request): string {
  const header = request.headers.get('content-type');
  if (header === null) return '';
  return header.split(';')[0]!.trim().toLowerCase();
}

export function isJsonType(type: string): boolean {
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

function tooLarge(limit: number, field: string, what: string): HttpError {
  return new HttpError(413, 'invalid_input', `${what} is larger than the ${limit} bytes this server accepts.`, { field });
}

/** Reads the whole body, refusing (413) past `limit` bytes without reading further. */
export async function readBodyLimited(request: Request, limit: number, field: string, what: string): Promise<Uint8Array> {
  const declared = request.headers.get('content-length');
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > limit) throw tooLarge(limit, field, what);
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > limit) {
        reader.cancel().catch(() => {});
        throw tooLarge(limit, field, what);
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** Reads and parses a JSON body (`Content-Type: application/json`, at most `limit` bytes). */
export async function readJson(request: Request, limit: number): Promise<unknown> {
  const type = mediaTypeOf(request);
  if (!isJsonType(type)) {
    throw new HttpError(415, 'unsupported', `Send the body as JSON with Content-Type: application/json (got ${type === '' ? 'no Content-Type' : JSON.stringify(type)}).`, { field: 'body' });
  }
  const bytes = await readBodyLimited(request, limit, 'body', 'The JSON body');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError(400, 'invalid_input', 'The body is not valid UTF-8.', { field: 'body' });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new HttpError(400, 'invalid_input', `The body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`, { field: 'body' });
  }
}

export interface BodyLimits {
  maxUploadBytes: number;
  maxJsonBytes: number;
  allowImageUrls: boolean;
}

const MAX_MULTIPART_FIELDS = 16;
const TEXT_FIELDS = new Set(['prompt', 'negativePrompt', 'provider', 'model', 'aspectRatio', 'resolution']);
const INTEGER_FIELDS = new Set(['durationSeconds', 'seed']);
const FILE_FIELDS = new Set(['image', 'lastFrame']);
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function bad(field: string, message: string): never {
  throw new HttpError(400, 'invalid_input', `${field}: ${message}`, { field });
}

function checkedImage(field: string, bytes: Uint8Array, maxBytes: number): ImageInput {
  if (bytes.byteLength === 0) bad(field, 'the image is empty.');
  if (bytes.byteLength > maxBytes) throw tooLarge(maxBytes, field, `${field}: the image`);
  const type = sniffImageType(bytes);
  if (type === null) throw new HttpError(415, 'unsupported', `${field}: not a PNG, JPEG, WebP or BMP image (checked by its content, not its name or declared type).`, { field });
  return { data: bytes, mediaType: type };
}

/** A JSON image: `{ data: base64, mediaType }`, or `{ url }` when URLs are allowed. */
function jsonImage(field: string, value: unknown, limits: BodyLimits): ImageInput {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) bad(field, 'must be { "data": "<base64>", "mediaType": "image/png" } (or send multipart/form-data).');
  const image = value as Record<string, unknown>;
  if ('url' in image) {
    if (!limits.allowImageUrls) bad(field, 'image URLs are not accepted by this server; upload the file (multipart/form-data) or send { "data": "<base64>" }.');
    if (typeof image.url !== 'string') bad(field, 'url must be a string.');
    try {
      checkDownloadUrl(image.url);
    } catch (error) {
      bad(field, GalleryError.isInstance(error) ? error.message : 'url is not allowed.');
    }
    return { url: image.url };
  }
  if (typeof image.data !== 'string' || !BASE64.test(image.data) || image.data.length % 4 === 1) bad(field, 'data must be the image bytes in base64.');
  if ((image.data.length / 4) * 3 > limits.maxUploadBytes + 3) throw tooLarge(limits.maxUploadBytes, field, `${field}: the image`);
  let binary: string;
  try {
    binary = atob(image.data);
  } catch {
    return bad(field, 'data must be the image bytes in base64.');
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return checkedImage(field, bytes, limits.maxUploadBytes);
}

/** A generation request from a JSON body. */
export async function generateRequestFromJson(request: Request, limits: BodyLimits): Promise<GenerateRequest> {
  const body = await readJson(request, limits.maxJsonBytes);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) bad('body', 'must be a JSON object such as { "prompt": "…" }.');
  const out = { ...(body as Record<string, unknown>) };
  for (const field of FILE_FIELDS) if (out[field] !== undefined) out[field] = jsonImage(field, out[field], limits);
  return out as unknown as GenerateRequest;
}

/** A generation request from `multipart/form-data`: file fields `image` / `lastFrame` plus text fields. */
export async function generateRequestFromMultipart(request: Request, limits: BodyLimits): Promise<GenerateRequest> {
  const total = 2 * limits.maxUploadBytes + limits.maxJsonBytes + 64 * 1024;
  const bytes = await readBodyLimited(request, total, 'body', 'The multipart body');
  let form: FormData;
  try {
    form = await new Response(bytes as Uint8Array<ArrayBuffer>, { headers: { 'content-type': request.headers.get('content-type') ?? '' } }).formData();
  } catch {
    throw new HttpError(400, 'invalid_input', 'The multipart/form-data body could not be parsed (check the boundary).', { field: 'body' });
  }
  const entries = [...form.entries()];
  if (entries.length > MAX_MULTIPART_FIELDS) bad('body', `too many fields (${entries.length}); at most ${MAX_MULTIPART_FIELDS} are accepted.`);
  const out: Record<string, unknown> = {};
  for (const [name, value] of entries) {
    if (name in out) bad(name, 'is given more than once.');
    if (FILE_FIELDS.has(name)) {
      if (typeof value === 'string') bad(name, 'must be a file.');
      if (value.size > limits.maxUploadBytes) throw tooLarge(limits.maxUploadBytes, name, `${name}: the image`);
      out[name] = checkedImage(name, new Uint8Array(await value.arrayBuffer()), limits.maxUploadBytes);
      continue;
    }
    if (typeof value !== 'string') bad(name, 'must be a text field, not a file.');
    if (value.length > limits.maxJsonBytes) throw tooLarge(limits.maxJsonBytes, name, `${name}`);
    if (TEXT_FIELDS.has(name)) out[name] = value;
    else if (INTEGER_FIELDS.has(name)) {
      if (!/^-?\d{1,15}$/.test(value.trim())) bad(name, `must be a whole number (got ${JSON.stringify(value.slice(0, 40))}).`);
      out[name] = Number(value.trim());
    } else if (name === 'audio') {
      if (value !== 'true' && value !== 'false') bad(name, 'must be "true" or "false".');
      out[name] = value === 'true';
    } else {
      bad(name, `is not a known field; known fields are ${[...FILE_FIELDS, ...TEXT_FIELDS, ...INTEGER_FIELDS, 'audio'].join(', ')}.`);
    }
  }
  return out as unknown as GenerateRequest;
}
