// Server-Sent Events of entry changes, scoped per owner, resumable from a bounded ring buffer. Web APIs only.
import type { GalleryChange, VideoGallery } from '../gallery.js';
import { toEntryJson, type GalleryEventJson } from './shapes.js';

interface Buffered {
  seq: number;
  owner: string | null;
  frame: Uint8Array;
}

interface Client {
  owner: string | null;
  send(frame: Uint8Array): void;
  close(): void;
}

export interface EventHubOptions {
  heartbeatMs: number;
  bufferSize: number;
  /** Reconnect delay suggested to clients (`retry:`), ms. */
  retryMs: number;
  /** Queued frames a client may fall behind before it is disconnected. */
  maxQueuedFrames: number;
}

const encoder = new TextEncoder();
const HEARTBEAT = encoder.encode(': heartbeat\n\n');
const RESET = encoder.encode('event: reset\ndata: {}\n\n');

/**
 * Fans the gallery's entry changes out to SSE clients. One gallery subscription per hub (taken at the first
 * connection, kept until `close()`), so every change gets a sequence number and lands in the ring buffer even
 * while a client is reconnecting.
 */
export class EventHub {
  readonly #gallery: VideoGallery;
  readonly #options: EventHubOptions;
  /** Distinguishes this hub's ids from another process's or an earlier run's. */
  readonly #instance = Math.floor(Math.random() * 36 ** 6).toString(36).padStart(6, '0');
  readonly #ring: (Buffered | undefined)[];
  readonly #clients = new Set<Client>();
  #seq = 0;
  #unsubscribe: (() => void) | null = null;

  constructor(gallery: VideoGallery, options: EventHubOptions) {
    this.#gallery = gallery;
    this.#options = options;
    this.#ring = new Array<Buffered | undefined>(Math.max(1, options.bufferSize));
  }

  /** Connected clients (for tests and metrics). */
  get clientCount(): number {
    return this.#clients.size;
  }

  #id(seq: number): string {
    return `${this.#instance}.${seq}`;
  }

  #onChange = (change: GalleryChange): void => {
    const seq = ++this.#seq;
    const data: GalleryEventJson = { type: change.type, entry: toEntryJson(change.entry) };
    const frame = encoder.encode(`id: ${this.#id(seq)}\nevent: ${change.type}\ndata: ${JSON.stringify(data)}\n\n`);
    const owner = change.entry.owner;
    this.#ring[seq % this.#ring.length] = { seq, owner, frame };
    for (const client of this.#clients) if (client.owner === owner) client.send(frame);
  };

  /** The frames a client that last saw `lastEventId` missed, or `null` when they cannot be known (send `reset`). */
  #missed(lastEventId: string, owner: string | null): Uint8Array[] | null {
    const dot = lastEventId.lastIndexOf('.');
    if (dot < 0 || lastEventId.slice(0, dot) !== this.#instance) return null;
    const digits = lastEventId.slice(dot + 1);
    if (!/^\d{1,15}$/.test(digits)) return null;
    const last = Number(digits);
    if (last > this.#seq) return null;
    const oldest = Math.max(1, this.#seq - this.#ring.length + 1);
    if (last + 1 < oldest) return null; // evicted
    const frames: Uint8Array[] = [];
    for (let seq = last + 1; seq <= this.#seq; seq++) {
      const item = this.#ring[seq % this.#ring.length];
      if (item && item.seq === seq && item.owner === owner) frames.push(item.frame);
    }
    return frames;
  }

  /** Opens an event stream for `owner`. Cleans up when the client cancels the stream or `signal` aborts. */
  connect(owner: string | null, lastEventId: string | null, signal: AbortSignal | undefined): Response {
    this.#unsubscribe ??= this.#gallery.subscribe(this.#onChange);
    const { heartbeatMs, retryMs, maxQueuedFrames } = this.#options;
    let timer: ReturnType<typeof setInterval> | undefined;
    let client: Client | undefined;
    let done = false;
    const cleanup = (): void => {
      if (done) return;
      done = true;
      if (timer !== undefined) clearInterval(timer);
      if (client) this.#clients.delete(client);
      signal?.removeEventListener('abort', onAbort);
    };
    let controllerRef: ReadableStreamDefaultController<Uint8Array> | undefined;
    const onAbort = (): void => {
      cleanup();
      try {
        controllerRef?.close();
      } catch {
        // already closed or errored
      }
    };
    const stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        controllerRef = controller;
        const send = (frame: Uint8Array): void => {
          if (done) return;
          if ((controller.desiredSize ?? 0) <= 0) {
            // The client stopped reading: drop it; it reconnects and resumes with Last-Event-ID.
            onAbort();
            return;
          }
          controller.enqueue(frame);
        };
        client = { owner, send, close: onAbort };
        controller.enqueue(encoder.encode(`retry: ${retryMs}\n\n`));
        if (lastEventId !== null) {
          const missed = this.#missed(lastEventId, owner);
          if (missed === null) controller.enqueue(RESET);
          else for (const frame of missed) controller.enqueue(frame);
        }
        // A frame with only an id sets the client's last event id without dispatching an event.
        controller.enqueue(encoder.encode(`id: ${this.#id(this.#seq)}\n\n: connected\n\n`));
        if (signal?.aborted) {
          onAbort();
          return;
        }
        this.#clients.add(client);
        signal?.addEventListener('abort', onAbort, { once: true });
        timer = setInterval(() => send(HEARTBEAT), heartbeatMs);
      },
      cancel: () => {
        cleanup();
      },
    }, new CountQueuingStrategy({ highWaterMark: maxQueuedFrames }));
    return new Response(stream, {
      status: 200,
      headers: {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        'x-accel-buffering': 'no',
        'x-content-type-options': 'nosniff',
      },
    });
  }

  /** Ends every stream and stops listening to the gallery. */
  close(): void {
    for (const client of [...this.#clients]) client.close();
    this.#unsubscribe?.();
    this.#unsubscribe = null;
  }
}
