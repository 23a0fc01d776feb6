// The live part of RemoteGallery: one reconnecting event stream (fetch streaming, or an injected EventSource).
import { GalleryError } from '../errors.js';
import { reasonOf, type Http } from './http.js';
import { SseParser, type SseMessage } from './sse.js';

/** The parts of the standard `EventSource` RemoteGallery uses. */
export interface EventSourceLike {
  readonly readyState: number;
  addEventListener(type: string, listener: (event: MessageEvent) => void): void;
  onopen: ((event: Event) => void) | null;
  onerror: ((event: Event) => void) | null;
  close(): void;
}

/** A constructor compatible with the standard `EventSource` (the browser's, or a polyfill). */
export type EventSourceConstructor = new (url: string, init?: { withCredentials?: boolean }) => EventSourceLike;

/** State of the live connection, as the `connection` event reports it. */
export interface ConnectionState {
  /** `connecting` (first attempt or a scheduled reconnect), `open`, or `closed` (stopped: no listeners left, or a fatal error). */
  status: 'connecting' | 'open' | 'closed';
  /** Failed attempts since the stream was last open. */
  attempt: number;
  /** Why the last connection ended, when it failed. */
  error?: GalleryError;
  /** When reconnecting: the wait before the next attempt, ms. */
  retryInMs?: number;
}

/** Reconnection schedule of the event stream. */
export interface ReconnectOptions {
  /** Wait before the first reconnect, ms; it doubles on each failed attempt. Default: the server's `retry:` field, else `1000`. */
  initialDelayMs?: number;
  /** Longest wait between reconnects, ms. Default `30000`. */
  maxDelayMs?: number;
  /**
   * Reconnect when nothing (not even a heartbeat comment) arrived for this long, ms: catches connections a
   * network change left half-open. Should exceed the server's `heartbeatMs` (15 s by default). `false` turns it
   * off. Default `45000`. (fetch streaming only; an EventSource watches its connection itself.)
   */
  idleTimeoutMs?: number | false;
}

export interface EventStreamOptions {
  http: Http;
  path: string;
  /** Event names the server sends, for an EventSource (which needs them up front). */
  eventNames: readonly string[];
  EventSource: EventSourceConstructor | undefined;
  reconnect: { initialDelayMs: number | undefined; maxDelayMs: number; idleTimeoutMs: number | false };
  random: () => number;
  onMessage(message: SseMessage): void;
  onState(state: ConnectionState): void;
}

interface Connection {
  close(): void;
}

const EVENT_SOURCE_CLOSED = 2;
const EVENT_STREAM = /^text\/event-stream\b/i;

/** An error that ends the stream for good: the server answered, and answered no (401, 403, 404...). */
function isFatal(error: GalleryError): boolean {
  return !error.retryable && error.status !== undefined && error.status >= 400 && error.status < 500 && error.status !== 408 && error.status !== 429;
}

/**
 * Keeps one event stream open while `start()`ed: reconnects with exponential backoff and jitter, sends the
 * last event id it saw as `Last-Event-ID`, reports a `reset` message when events may have been missed and
 * cannot be replayed, and stops on `stop()` or on a fatal HTTP answer (401, 403, 404...).
 */
export class EventStream {
  readonly #o: EventStreamOptions;
  #running = false;
  #connection: Connection | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #attempt = 0;
  #serverRetryMs: number | undefined;
  #lastEventId = '';
  /** The stream was open at least once since `start()`: a later connection that cannot resume must say `reset`. */
  #wasOpen = false;
  /** Bumped on every (re)connect and stop, so callbacks of an old connection are ignored. */
  #generation = 0;

  constructor(options: EventStreamOptions) {
    this.#o = options;
  }

  get running(): boolean {
    return this.#running;
  }

  get lastEventId(): string {
    return this.#lastEventId;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#attempt = 0;
    this.#wasOpen = false;
    // A new start has new listeners: they begin with the present, not with what happened while nobody listened.
    this.#lastEventId = '';
    this.#connect();
  }

  stop(): void {
    if (!this.#running) return;
    this.#running = false;
    this.#generation++;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#connection?.close();
    this.#connection = null;
    this.#o.onState({ status: 'closed', attempt: this.#attempt });
  }

  #connect(): void {
    const generation = ++this.#generation;
    const current = () => this.#running && generation === this.#generation;
    this.#o.onState({ status: 'connecting', attempt: this.#attempt });
    const handlers: Handlers = {
      open: (resumed: boolean) => {
        if (!current()) return;
        const missedEvents = this.#wasOpen && !resumed;
        this.#wasOpen = true;
        this.#attempt = 0;
        this.#o.onState({ status: 'open', attempt: 0 });
        // Events may have been missed while disconnected, and the server cannot replay them to this connection.
        if (missedEvents) this.#o.onMessage({ event: 'reset', data: '{}', lastEventId: this.#lastEventId });
      },
      reconnecting: () => {
        if (current()) this.#o.onState({ status: 'connecting', attempt: this.#attempt });
      },
      message: (message: SseMessage) => {
        if (current()) this.#o.onMessage(message);
      },
      id: (id: string) => {
        if (current()) this.#lastEventId = id;
      },
      retry: (ms: number) => {
        if (current()) this.#serverRetryMs = ms;
      },
      end: (error?: GalleryError) => {
        if (current()) this.#ended(error);
      },
    };
    this.#connection = this.#o.EventSource ? this.#openEventSource(handlers) : this.#openFetch(handlers);
  }

  #ended(error: GalleryError | undefined): void {
    this.#connection?.close();
    this.#connection = null;
    if (error && isFatal(error)) {
      this.#running = false;
      this.#generation++;
      this.#o.onState({ status: 'closed', attempt: this.#attempt, error });
      return;
    }
    const { initialDelayMs, maxDelayMs } = this.#o.reconnect;
    const base = Math.min(maxDelayMs, (initialDelayMs ?? this.#serverRetryMs ?? 1000) * 2 ** this.#attempt);
    // "Equal jitter": at least half the backoff, so a crowd of clients does not reconnect in step.
    const delay = Math.round(base / 2 + (base / 2) * this.#o.random());
    this.#attempt++;
    this.#o.onState({ status: 'connecting', attempt: this.#attempt, retryInMs: delay, ...(error ? { error } : {}) });
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#running) this.#connect();
    }, delay);
  }

  #openFetch(on: Handlers): Connection {
    const controller = new AbortController();
    const headers: Record<string, string> = { Accept: 'text/event-stream', 'Cache-Control': 'no-cache' };
    if (this.#lastEventId) headers['Last-Event-ID'] = this.#lastEventId;
    const read = async () => {
      const response = await this.#o.http.send({ method: 'GET', path: this.#o.path, headers, signal: controller.signal, idempotent: false, timeout: false });
      const type = response.headers.get('content-type') ?? '';
      if (!EVENT_STREAM.test(type) || !response.body) {
        await response.body?.cancel();
        throw new GalleryError('unsupported', `GET ${this.#o.path}: got ${type || 'no content type'}, not an event stream: check that baseUrl points at the gallery handler.`, { status: response.status, retryable: false });
      }
      // The server answers a Last-Event-ID it cannot resume from with a `reset` event of its own.
      on.open(headers['Last-Event-ID'] !== undefined);
      const parser = new SseParser({ onMessage: on.message, onId: on.id, onRetry: on.retry }, this.#lastEventId);
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      try {
        for (;;) {
          armIdle();
          const { done, value } = await reader.read();
          if (done) break;
          parser.push(decoder.decode(value, { stream: true }));
        }
      } finally {
        clearTimeout(idle);
        reader.releaseLock();
      }
    };
    const idleMs = this.#o.reconnect.idleTimeoutMs;
    let idle: ReturnType<typeof setTimeout> | undefined;
    const armIdle = () => {
      if (idleMs === false) return;
      clearTimeout(idle);
      idle = setTimeout(() => {
        controller.abort();
        on.end(new GalleryError('timeout', `Event stream silent for ${idleMs} ms (no heartbeat); reconnecting.`, { retryable: true }));
      }, idleMs);
    };
    armIdle();
    read().then(
      () => on.end(),
      (error: unknown) => {
        clearTimeout(idle);
        if (controller.signal.aborted) return;
        on.end(GalleryError.isInstance(error) ? error : new GalleryError('storage_failed', `Event stream broke: ${reasonOf(error)}.`, { cause: error, retryable: true }));
      },
    );
    return {
      close: () => {
        clearTimeout(idle);
        controller.abort();
      },
    };
  }

  #openEventSource(on: Handlers): Connection {
    const EventSourceClass = this.#o.EventSource!;
    const source = new EventSourceClass(this.#o.http.url(this.#o.path), { withCredentials: this.#o.http.credentials === 'include' });
    // The first open of this EventSource cannot send Last-Event-ID (a constructor takes no headers); its own
    // reconnects do, and the server replays what they missed.
    let opened = false;
    for (const name of this.#o.eventNames) {
      source.addEventListener(name, (event) => {
        const id = typeof event.lastEventId === 'string' ? event.lastEventId : '';
        if (id) on.id(id);
        on.message({ event: name, data: typeof event.data === 'string' ? event.data : String(event.data), lastEventId: id });
      });
    }
    source.onopen = () => {
      if (opened) {
        on.open(true);
        return;
      }
      opened = true;
      on.open(false);
    };
    source.onerror = () => {
      // CONNECTING: the EventSource reconnects by itself (after the server's `retry:`), sending Last-Event-ID.
      // CLOSED: it gave up (an HTTP error or a wrong content type); this stream takes over with backoff.
      if (source.readyState !== EVENT_SOURCE_CLOSED) {
        on.reconnecting();
        return;
      }
      source.close();
      on.end(new GalleryError('storage_failed', 'Event stream refused or broke; the EventSource gave up.', { retryable: true }));
    };
    return { close: () => source.close() };
  }
}

interface Handlers {
  open(resumed: boolean): void;
  reconnecting(): void;
  message(message: SseMessage): void;
  id(id: string): void;
  retry(ms: number): void;
  end(error?: GalleryError): void;
}
