import type { Redis } from 'ioredis';
import type { GalleryEntry } from '../contracts/entry.js';
import { GalleryError } from '../errors.js';
import type { Logger, VideoGallery } from '../gallery.js';
import { assertConnection, closeRedis, connectRedis, throttled, type RedisConnectionInput } from './redis.js';

/** The gallery events a bridge carries between processes. */
export type BridgedEvent = 'entry-create' | 'entry-update' | 'entry-delete' | 'job-end';

const ALL_EVENTS: readonly BridgedEvent[] = ['entry-create', 'entry-update', 'entry-delete', 'job-end'];

/** Options of {@link createRedisEventBridge}. Only `connection` is required. */
export interface RedisEventBridgeOptions {
  /** Required. Redis: a `redis://` URL, ioredis options, or an ioredis instance (duplicated; yours is not closed). */
  connection: RedisConnectionInput;
  /** Pub/sub channel. Every process of one gallery must use the same. Default `'video-gallery:events'`. */
  channel?: string;
  /**
   * `'both'` publishes local changes and re-emits remote ones (web servers); `'publish'` only publishes (workers: no
   * process listens to their events locally); `'subscribe'` only listens. Default `'both'`.
   */
  direction?: 'both' | 'publish' | 'subscribe';
  /** Events carried. Default all: `entry-create`, `entry-update`, `entry-delete`, `job-end`. */
  events?: readonly BridgedEvent[];
  /** Where warnings go (Redis unreachable, a malformed message). Default `console`. */
  logger?: Logger;
}

/** A running bridge between one local `VideoGallery` and every other process on the channel. */
export interface RedisEventBridge {
  /** This process's id; it tags every message so a process never re-emits its own changes. */
  readonly processId: string;
  /** The channel in use. */
  readonly channel: string;
  /**
   * True while a remote change is being re-emitted on the local gallery (listeners run synchronously, so a listener
   * can tell local changes from remote ones, for example to send a notification only where the change happened).
   */
  readonly replaying: boolean;
  /**
   * Connects the gallery: its local changes are published and remote changes are emitted on it. Resolves once the
   * subscription is active (no remote change after that is missed). Returns the function that detaches it.
   */
  attach(gallery: VideoGallery): Promise<() => void>;
  /** Detaches and closes the bridge's Redis connections. */
  close(): Promise<void>;
}

interface BridgeMessage {
  v: 1;
  origin: string;
  event: BridgedEvent;
  entry: GalleryEntry;
  previous?: GalleryEntry;
}

const ATTACH_WAIT_MS = 5000;

function readyOf(client: Redis): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => client.once('ready', () => resolve()));
}

/** Waits for `promise` at most `ms`; on timeout calls `onTimeout` and goes on (the promise keeps running). */
async function within(promise: Promise<unknown>, ms: number, onTimeout: () => void): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const settled = promise.then(() => true, () => true);
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    if (!(await Promise.race([settled, timedOut]))) onTimeout();
  } finally {
    clearTimeout(timer);
  }
}

function isEntry(value: unknown): value is GalleryEntry {
  return typeof value === 'object' && value !== null && typeof (value as GalleryEntry).id === 'string' && typeof (value as GalleryEntry).status === 'string';
}

function parseMessage(text: string): BridgeMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const message = value as Partial<BridgeMessage>;
  if (message.v !== 1 || typeof message.origin !== 'string' || !ALL_EVENTS.includes(message.event as BridgedEvent) || !isEntry(message.entry)) return null;
  if (message.previous !== undefined && !isEntry(message.previous)) return null;
  return message as BridgeMessage;
}

/**
 * Carries gallery events between processes over Redis pub/sub, so the SSE stream of every web server sees the
 * changes that workers (or other web servers) make.
 *
 * Every local `entry-create`, `entry-update`, `entry-delete` and `job-end` is published with this process's id;
 * messages from other processes are emitted on the local gallery as if they had happened here (`subscribe()`
 * listeners and the HTTP handler's event stream receive them). A process ignores its own messages and never
 * re-publishes a remote change, so there are no echo loops. Delivery is best effort (Redis pub/sub): while Redis
 * is unreachable, changes are not carried; the entry store stays the truth, so clients re-read on reconnect.
 *
 * ```ts
 * const bridge = createRedisEventBridge({ connection: process.env.REDIS_URL! });
 * await bridge.attach(gallery);
 * ```
 */
export function createRedisEventBridge(options: RedisEventBridgeOptions): RedisEventBridge {
  if (!options || typeof options !== 'object') throw new GalleryError('invalid_input', 'createRedisEventBridge: options are required ({ connection }).', { retryable: false });
  assertConnection(options.connection, 'createRedisEventBridge');
  const channel = options.channel ?? 'video-gallery:events';
  if (typeof channel !== 'string' || channel.length === 0) throw new GalleryError('invalid_input', 'createRedisEventBridge: channel must be a non-empty string.', { field: 'channel', retryable: false });
  const direction = options.direction ?? 'both';
  if (direction !== 'both' && direction !== 'publish' && direction !== 'subscribe') {
    throw new GalleryError('invalid_input', `createRedisEventBridge: direction must be 'both', 'publish' or 'subscribe' (got ${JSON.stringify(direction)}).`, { field: 'direction', retryable: false });
  }
  const events = new Set(options.events ?? ALL_EVENTS);
  for (const event of events) {
    if (!ALL_EVENTS.includes(event)) throw new GalleryError('invalid_input', `createRedisEventBridge: events: unknown event ${JSON.stringify(event)}; use ${ALL_EVENTS.join(', ')}.`, { field: 'events', retryable: false });
  }
  const logger = options.logger ?? console;
  const warnOnce = throttled((message) => logger.warn(message));
  const processId = crypto.randomUUID();
  let replaying = false;
  let gallery: VideoGallery | null = null;
  let detachLocal: (() => void) | null = null;
  let publisher: { client: Redis; owned: boolean } | null = null;
  let subscriber: { client: Redis; owned: boolean } | null = null;
  let closed = false;

  const publish = (event: BridgedEvent, entry: GalleryEntry, previous?: GalleryEntry) => {
    if (replaying || !publisher) return;
    const message: BridgeMessage = { v: 1, origin: processId, event, entry, ...(previous ? { previous } : {}) };
    publisher.client.publish(channel, JSON.stringify(message)).catch((error: unknown) => {
      warnOnce('publish', `video-gallery: could not publish a gallery event to Redis (${error instanceof Error ? error.message : String(error)}); other processes miss it.`);
    });
  };

  const onMessage = (from: string, text: string) => {
    if (from !== channel || !gallery) return;
    const message = parseMessage(text);
    if (!message) {
      warnOnce('malformed', `video-gallery: ignored a malformed message on ${channel}.`);
      return;
    }
    if (message.origin === processId || !events.has(message.event)) return;
    replaying = true;
    try {
      switch (message.event) {
        case 'entry-create':
          gallery.emit('entry-create', message.entry);
          break;
        case 'entry-update':
          gallery.emit('entry-update', message.entry, message.previous ?? message.entry);
          break;
        case 'entry-delete':
          gallery.emit('entry-delete', message.entry);
          break;
        case 'job-end':
          gallery.emit('job-end', message.entry);
          break;
      }
    } catch (error) {
      warnOnce('listener', `video-gallery: a listener threw on a remote ${message.event}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      replaying = false;
    }
  };

  return {
    processId,
    channel,
    get replaying() {
      return replaying;
    },
    async attach(target) {
      if (closed) throw new GalleryError('invalid_input', 'createRedisEventBridge: the bridge is closed.', { retryable: false });
      if (gallery) throw new GalleryError('invalid_input', 'createRedisEventBridge: a bridge serves one gallery; create another bridge for another gallery.', { retryable: false });
      gallery = target;
      try {
        if (direction !== 'subscribe') {
          // No offline queue: while Redis is away, events are dropped (with a warning) instead of piling up in memory.
          publisher = await connectRedis(options.connection, { enableOfflineQueue: false, maxRetriesPerRequest: 1 }, true);
          publisher.client.on('error', (error: Error) => warnOnce('redis-pub', `video-gallery: Redis (events): ${error.message}`));
          await within(readyOf(publisher.client), ATTACH_WAIT_MS, () => warnOnce('attach-pub', `video-gallery: Redis did not answer within ${ATTACH_WAIT_MS} ms; gallery events are published once it does.`));
          const onCreate = (entry: GalleryEntry) => publish('entry-create', entry);
          const onUpdate = (entry: GalleryEntry, previous: GalleryEntry) => publish('entry-update', entry, previous);
          const onDelete = (entry: GalleryEntry) => publish('entry-delete', entry);
          const onEnd = (entry: GalleryEntry) => publish('job-end', entry);
          if (events.has('entry-create')) target.on('entry-create', onCreate);
          if (events.has('entry-update')) target.on('entry-update', onUpdate);
          if (events.has('entry-delete')) target.on('entry-delete', onDelete);
          if (events.has('job-end')) target.on('job-end', onEnd);
          detachLocal = () => {
            target.off('entry-create', onCreate).off('entry-update', onUpdate).off('entry-delete', onDelete).off('job-end', onEnd);
          };
        }
        if (direction !== 'publish') {
          subscriber = await connectRedis(options.connection, { maxRetriesPerRequest: null }, true);
          subscriber.client.on('error', (error: Error) => warnOnce('redis-sub', `video-gallery: Redis (events): ${error.message}`));
          subscriber.client.on('message', onMessage);
          await within(subscriber.client.subscribe(channel), ATTACH_WAIT_MS, () => warnOnce('attach-sub', `video-gallery: Redis did not answer within ${ATTACH_WAIT_MS} ms; remote gallery events arrive once it does.`));
        }
      } catch (error) {
        detachLocal?.();
        detachLocal = null;
        gallery = null;
        await Promise.all([publisher, subscriber].map((c) => (c ? closeRedis(c.client) : undefined)));
        publisher = null;
        subscriber = null;
        throw error;
      }
      return () => {
        detachLocal?.();
        detachLocal = null;
        subscriber?.client.off('message', onMessage);
        gallery = null;
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      detachLocal?.();
      detachLocal = null;
      gallery = null;
      await Promise.all([publisher, subscriber].map((c) => (c ? closeRedis(c.client) : undefined)));
    },
  };
}
