import type { Redis, RedisOptions } from 'ioredis';
import { GalleryError } from '../errors.js';

/**
 * How to reach Redis: a `redis://` / `rediss://` URL, ioredis options (`{ host, port, db, password, tls }`), or an
 * ioredis instance you own (it is shared, never closed by video-gallery; connections that must block or subscribe
 * are made with `duplicate()`).
 */
export type RedisConnectionInput = string | RedisOptions | Redis;

/** True for an ioredis client (or anything shaped like one). */
export function isRedisInstance(value: unknown): value is Redis {
  return typeof value === 'object' && value !== null
    && typeof (value as Redis).duplicate === 'function'
    && typeof (value as Redis).quit === 'function'
    && typeof (value as { options?: unknown }).options === 'object';
}

let ioredisModule: Promise<typeof import('ioredis')> | undefined;

/** Loads ioredis (an optional peer dependency) the first time it is needed. */
export async function loadIORedis(): Promise<typeof import('ioredis')> {
  ioredisModule ??= import('ioredis').catch((error: unknown) => {
    ioredisModule = undefined;
    throw new GalleryError(
      'unsupported',
      "@video-gallery/core/bullmq needs the optional peer dependencies 'bullmq' and 'ioredis'. Install them: npm install bullmq ioredis",
      { cause: error, retryable: false },
    );
  });
  return ioredisModule;
}

let bullmqModule: Promise<typeof import('bullmq')> | undefined;

/** Loads bullmq (an optional peer dependency) the first time it is needed. */
export async function loadBullMQ(): Promise<typeof import('bullmq')> {
  bullmqModule ??= import('bullmq').catch((error: unknown) => {
    bullmqModule = undefined;
    throw new GalleryError(
      'unsupported',
      "@video-gallery/core/bullmq needs the optional peer dependencies 'bullmq' and 'ioredis'. Install them: npm install bullmq ioredis",
      { cause: error, retryable: false },
    );
  });
  return bullmqModule;
}

/** Checks the connection option early, with a message that says what to pass instead. */
export function assertConnection(connection: unknown, who: string): asserts connection is RedisConnectionInput {
  if (typeof connection === 'string') {
    if (!/^rediss?:\/\//i.test(connection)) {
      throw new GalleryError('invalid_input', `${who}: connection must be a redis:// or rediss:// URL (got ${JSON.stringify(connection.slice(0, 40))}), ioredis options or an ioredis instance.`, { field: 'connection', retryable: false });
    }
    return;
  }
  if (typeof connection !== 'object' || connection === null) {
    throw new GalleryError('invalid_input', `${who}: connection is required: a redis:// URL, ioredis options ({ host, port }) or an ioredis instance.`, { field: 'connection', retryable: false });
  }
}

/**
 * Makes a client for `connection`. A URL or options give a new client that the caller owns (`owned: true`,
 * close it with `quit()`); an instance is returned as is (`owned: false`) unless `duplicate` asks for a copy.
 * `overrides` apply to clients created here (and to duplicates).
 */
export async function connectRedis(
  connection: RedisConnectionInput,
  overrides: Partial<RedisOptions> = {},
  duplicate = false,
): Promise<{ client: Redis; owned: boolean }> {
  if (isRedisInstance(connection)) {
    if (!duplicate) return { client: connection, owned: false };
    return { client: connection.duplicate(overrides), owned: true };
  }
  const { Redis: RedisClient } = await loadIORedis();
  const client = typeof connection === 'string' ? new RedisClient(connection, overrides) : new RedisClient({ ...connection, ...overrides });
  return { client, owned: true };
}

/** Closes a client politely, falling back to a hard disconnect when Redis does not answer. */
export async function closeRedis(client: Redis, timeoutMs = 2000): Promise<void> {
  if (client.status === 'end') return;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      client.quit().then(() => undefined),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
  } catch {
    // Already closed or not connected.
  } finally {
    clearTimeout(timer);
    if ((client.status as string) !== 'end') client.disconnect();
  }
}

/** A logger wrapper that prints the same kind of message at most once per `intervalMs`. */
export function throttled(warn: (message: string) => void, intervalMs = 30_000): (key: string, message: string) => void {
  const last = new Map<string, number>();
  return (key, message) => {
    const now = Date.now();
    const previous = last.get(key);
    if (previous !== undefined && now - previous < intervalMs) return;
    last.set(key, now);
    warn(message);
  };
}
