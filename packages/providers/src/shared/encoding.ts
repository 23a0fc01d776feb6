/** Byte ⇄ base64 helpers that work in Node, browsers and edge runtimes. */

const CHUNK = 0x8000;

/** Standard (not URL-safe) base64 of `bytes`, with padding. */
export function bytesToBase64(bytes: Uint8Array): string {
  const buffer = (globalThis as { Buffer?: { from(data: Uint8Array): { toString(encoding: 'base64'): string } } }).Buffer;
  if (buffer !== undefined) return buffer.from(bytes).toString('base64');
  let binary = '';
  for (let offset = 0; offset < bytes.length; offset += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(offset, offset + CHUNK));
  }
  return btoa(binary);
}

/** Decodes standard base64 (whitespace ignored). Throws `TypeError` on invalid input. */
export function base64ToBytes(base64: string): Uint8Array {
  const clean = base64.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 === 1) throw new TypeError('not valid base64');
  const binary = atob(clean);
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index += 1) bytes[index] = binary.charCodeAt(index);
  return bytes;
}

/** A `data:<mediaType>;base64,<data>` URI. */
export function toDataURI(bytes: Uint8Array, mediaType: string): string {
  return `data:${mediaType};base64,${bytesToBase64(bytes)}`;
}
