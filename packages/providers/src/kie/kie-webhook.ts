import { bytesToBase64 } from '../shared/encoding.js';

/** Headers KIE signs callbacks with (https://docs.kie.ai/common-api/webhook-verification). */
export const KIE_TIMESTAMP_HEADER = 'X-Webhook-Timestamp';
export const KIE_SIGNATURE_HEADER = 'X-Webhook-Signature';

/**
 * base64(HMAC-SHA256(`${taskId}.${timestamp}`, key)), computed with Web Crypto so it runs on Node 20,
 * browsers and edge runtimes alike.
 */
export async function kieWebhookSignature(taskId: string, timestamp: string, key: string): Promise<string> {
  const encoder = new TextEncoder();
  const cryptoKey = await crypto.subtle.importKey('raw', encoder.encode(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = await crypto.subtle.sign('HMAC', cryptoKey, encoder.encode(`${taskId}.${timestamp}`));
  return bytesToBase64(new Uint8Array(mac));
}

/** Compares two strings in time that depends only on their lengths. */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = new TextEncoder().encode(a);
  const right = new TextEncoder().encode(b);
  let diff = left.length ^ right.length;
  const length = Math.max(left.length, right.length);
  for (let i = 0; i < length; i++) diff |= (left[i] ?? 0) ^ (right[i] ?? 0);
  return diff === 0;
}

/**
 * Remembers deliveries seen within the tolerance window, so a replayed or duplicated callback is ignored.
 * In memory and per provider instance: enough for a hint that only makes the gallery poll sooner.
 */
export class DeliveryCache {
  readonly #seen = new Map<string, number>();
  readonly #maxEntries: number;

  constructor(maxEntries = 10_000) {
    this.#maxEntries = maxEntries;
  }

  /** Records `id` until `expiresAt`; returns false when it was already recorded and not yet expired. */
  remember(id: string, now: number, expiresAt: number): boolean {
    for (const [key, until] of this.#seen) {
      if (until > now && this.#seen.size < this.#maxEntries) break;
      this.#seen.delete(key);
    }
    const until = this.#seen.get(id);
    if (until !== undefined && until > now) return false;
    this.#seen.set(id, expiresAt);
    return true;
  }
}
