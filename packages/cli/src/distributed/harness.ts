// Test support for the multi-process tests: child processes running the TypeScript sources, loopback mocks with
// slow stages, a throw-away PostgreSQL database, s3rver, private redis-server / PostgreSQL instances. Not published.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BlobStorage } from '@video-gallery/core';
import { sampleVideoBytes, serveHandler, type FetchHandler, type ServedHandler } from '@video-gallery/providers/testing';

export const REQUIRE_ALL = process.env.VG_REQUIRE_ALL === '1';
/** The repository root (child processes run from there so `--import tsx` resolves). */
export const ROOT = resolve(fileURLToPath(new URL('../../../../', import.meta.url)));
export const CLI_BIN = join(ROOT, 'packages/cli/src/bin.ts');
export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const NODE_ARGS = ['--conditions=@video-gallery/source', '--import', 'tsx'];

/** Skips loudly, or fails with VG_REQUIRE_ALL=1. Returns whether to skip. */
export function skipUnless(ok: boolean, reason: string): boolean {
  if (ok) return false;
  if (REQUIRE_ALL) throw new Error(`${reason} VG_REQUIRE_ALL=1 makes this a failure.`);
  console.warn(`skipped: ${reason}`);
  return true;
}

export function reachable(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ port, host });
    const finish = (ok: boolean) => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(1000, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

export function uniqueName(kind: string): string {
  return `vg_${kind}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}

export async function until<T>(what: string, check: () => T | Promise<T>, timeoutMs = 60_000, everyMs = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A child process running TypeScript sources, with its output kept for assertions and diagnostics. */
export class Proc {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;

  constructor(readonly label: string, file: string, args: string[], env: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, [...NODE_ARGS, file, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (chunk: Buffer) => {
      this.stdout += chunk.toString();
    });
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.exited = new Promise((done) => this.child.once('exit', (code, signal) => done(code ?? (signal ? -1 : null))));
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits for `pattern` on stdout or stderr. */
  async waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
    return until(`${this.label} to print ${pattern}`, () => {
      if (!this.alive && !pattern.test(this.stdout + this.stderr)) throw new Error(`${this.label} exited: ${this.tail()}`);
      return (this.stdout.match(pattern) ?? this.stderr.match(pattern)) || null;
    }, timeoutMs, 25);
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.alive) this.child.kill(signal);
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 20_000): Promise<number | null> {
    if (!this.alive) return this.child.exitCode;
    this.kill('SIGTERM');
    const timer = setTimeout(() => this.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  tail(lines = 15): string {
    return `${this.label} stderr:\n${this.stderr.split('\n').slice(-lines).join('\n')}\nstdout:\n${this.stdout.split('\n').slice(-lines).join('\n')}`;
  }
}

/** Runs a TypeScript file (`FIXTURES` or the CLI) as a child process. */
export function spawnTs(label: string, file: string, args: string[], env: NodeJS.ProcessEnv): Proc {
  return new Proc(label, file, args, env);
}

// ---------------------------------------------------------------- PostgreSQL

function psql(port: number, sql: string, database = 'postgres'): { ok: boolean; output: string } {
  const result = spawnSync('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', database, '-v', 'ON_ERROR_STOP=1', '-tAc', sql], { encoding: 'utf8', timeout: 20_000 });
  return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}`.trim() };
}

/** True when the Postgres entry store adapter can be imported in this checkout. */
export async function postgresStoreAvailable(): Promise<boolean> {
  try {
    const mod = await import('@video-gallery/storage-adapters/postgres');
    return typeof mod.createPostgresEntryStore === 'function';
  } catch {
    return false;
  }
}

/** A fresh database on the machine's PostgreSQL (127.0.0.1:5432), dropped by `drop()`. */
export async function createTestDatabase(port = 5432): Promise<{ url: string; drop(): void } | { reason: string }> {
  if (!(await reachable(port))) return { reason: `PostgreSQL is not answering on 127.0.0.1:${port}` };
  const name = uniqueName('dist');
  const created = psql(port, `CREATE DATABASE ${name}`);
  if (!created.ok) return { reason: `cannot create a test database: ${created.output}` };
  return {
    url: `postgres://postgres@127.0.0.1:${port}/${name}`,
    drop: () => {
      psql(port, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

const PG_BIN = '/usr/lib/postgresql/15/bin';

/** A private throw-away PostgreSQL cluster (tooling.md §12) that can be stopped and started again. */
export async function privatePostgres(): Promise<{ url: string; stop(): void; start(): void; destroy(): void } | { reason: string }> {
  if (!existsSync(join(PG_BIN, 'initdb'))) return { reason: `no PostgreSQL binaries in ${PG_BIN}` };
  const dir = mkdtempSync(join(tmpdir(), 'vg-pg-'));
  const data = join(dir, 'data');
  mkdirSync(data);
  const port = await freePort();
  const asPostgres = (args: string[]) => spawnSync('runuser', ['-u', 'postgres', '--', ...args], { encoding: 'utf8', timeout: 60_000 });
  try {
    spawnSync('chown', ['-R', 'postgres:postgres', dir]);
    chownSync(dir, Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim()), Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim()));
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    return { reason: `cannot hand ${dir} to the postgres user: ${String(error)}` };
  }
  const init = asPostgres([join(PG_BIN, 'initdb'), '-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8']);
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return { reason: `initdb failed: ${(init.stderr || init.stdout).trim().split('\n').slice(-2).join(' ')}` };
  }
  const start = () => {
    const result = asPostgres([join(PG_BIN, 'pg_ctl'), '-D', data, '-l', join(dir, 'log'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, '-w', 'start']);
    if (result.status !== 0) throw new Error(`pg_ctl start failed: ${result.stderr || result.stdout}`);
  };
  const stop = () => {
    asPostgres([join(PG_BIN, 'pg_ctl'), '-D', data, '-m', 'fast', '-w', 'stop']);
  };
  try {
    start();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    return { reason: String(error) };
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop,
    start,
    destroy: () => {
      stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------- Redis

/** A private redis-server on a free port, without persistence (a restart loses every key). */
export async function privateRedis(): Promise<{ url: string; port: number; stop(): Promise<void>; start(): Promise<void>; destroy(): Promise<void> } | { reason: string }> {
  const which = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  if (which.status !== 0) return { reason: 'redis-server is not installed' };
  const dir = mkdtempSync(join(tmpdir(), 'vg-redis-'));
  const port = await freePort();
  let child: ChildProcess | null = null;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
    await until('redis-server to listen', () => reachable(port), 10_000);
  };
  const stop = async () => {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((done) => running.once('exit', done));
    running.kill('SIGKILL');
    await exited;
  };
  try {
    await start();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    return { reason: `redis-server did not start: ${String(error)}` };
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    stop,
    destroy: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------- S3 (s3rver)

export interface S3Fixture {
  endpoint: string;
  bucket: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  close(): Promise<void>;
}

/** s3rver in a child process (the storage adapters' test harness), or the reason it is not available. */
export async function startS3(): Promise<S3Fixture | { reason: string }> {
  let harnessModule: typeof import('../../../storage-adapters/src/s3/testing/s3rver-harness.js');
  try {
    harnessModule = await import('../../../storage-adapters/src/s3/testing/s3rver-harness.js');
  } catch (error) {
    return { reason: `the s3rver harness is not available: ${String(error)}` };
  }
  const bucket = 'vg-dist';
  const started = await harnessModule.startS3rver([bucket]);
  if (!started.harness) return { reason: `s3rver did not start: ${started.reason}` };
  const { harness } = started;
  return { endpoint: harness.endpoint, bucket, credentials: harness.credentials, close: () => harness.close() };
}

/** Environment for the `s3` storage against `s3`. */
export function s3Env(s3: S3Fixture, prefix: string): NodeJS.ProcessEnv {
  return {
    VIDEO_GALLERY_STORAGE: 's3', S3_BUCKET: s3.bucket, S3_ENDPOINT: s3.endpoint, S3_REGION: 'us-east-1', S3_FORCE_PATH_STYLE: 'true',
    AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey, S3_PREFIX: prefix,
  };
}

// ---------------------------------------------------------------- slow provider mocks

export interface SlowOptions {
  /** Delay before a submission is handled (the task is created after it, even when the client went away). */
  submitDelayMs?: number;
  /** How long the result download takes (the body is sent in 20 parts). */
  downloadMs?: number;
  /** Called as a submission arrives, before its delay (tests wait for it before killing a worker). */
  onSubmit?: () => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Serves `handle` on loopback with slow submissions and slow result downloads. */
export async function serveSlow(handle: FetchHandler, isSubmit: (request: Request) => boolean, isDownload: (url: URL) => boolean, options: SlowOptions): Promise<ServedHandler> {
  return serveHandler(async (request) => {
    const url = new URL(request.url);
    if (isSubmit(request)) {
      options.onSubmit?.();
      if (options.submitDelayMs) await sleep(options.submitDelayMs);
    }
    const response = await handle(request);
    if (!options.downloadMs || !isDownload(url) || !response.body || response.status >= 300) return response;
    const bytes = new Uint8Array(await response.arrayBuffer());
    const parts = 20;
    const size = Math.ceil(bytes.byteLength / parts);
    const perPart = options.downloadMs / parts;
    let index = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (index * size >= bytes.byteLength) {
          controller.close();
          return;
        }
        await sleep(perPart);
        controller.enqueue(bytes.subarray(index * size, (index + 1) * size));
        index++;
      },
    });
    return new Response(body, { status: response.status, headers: response.headers });
  }, { port: 0 });
}

// ---------------------------------------------------------------- storage checks

export const SAMPLE_SHA256 = createHash('sha256').update(sampleVideoBytes()).digest('hex');

/** One stored object, read whole. */
export interface ObjectSummary {
  key: string;
  size: number;
  sha256: string;
  /** First and last two bytes (JPEG: ff d8 … ff d9). */
  head: number[];
  tail: number[];
}

/** Every key in the storage under test: an S3 bucket prefix (ListObjectsV2) or an fs root (walk; `.vg-*` skipped). */
export async function listKeys(target: { s3: S3Fixture; prefix: string } | { root: string }): Promise<string[]> {
  if ('root' in target) {
    const { readdir } = await import('node:fs/promises');
    const keys: string[] = [];
    const walk = async (dir: string, rel: string) => {
      for (const item of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
        if (item.name.startsWith('.vg-')) continue;
        const key = rel ? `${rel}/${item.name}` : item.name;
        if (item.isDirectory()) await walk(join(dir, item.name), key);
        else keys.push(key);
      }
    };
    await walk(target.root, '');
    return keys.sort();
  }
  const { createRequire } = await import('node:module');
  // The SDK is a dependency of the storage adapters, not of the CLI: load it from there (test-only).
  interface ListPage { Contents?: { Key?: string }[]; IsTruncated?: boolean; NextContinuationToken?: string }
  interface Sdk {
    S3Client: new (config: Record<string, unknown>) => { send(command: unknown): Promise<ListPage>; destroy(): void };
    ListObjectsV2Command: new (input: Record<string, unknown>) => unknown;
  }
  const sdk = createRequire(join(ROOT, 'packages/storage-adapters/package.json'))('@aws-sdk/client-s3') as Sdk;
  const client = new sdk.S3Client({ endpoint: target.s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: target.s3.credentials });
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new sdk.ListObjectsV2Command({ Bucket: target.s3.bucket, Prefix: `${target.prefix}/`, ...(token ? { ContinuationToken: token } : {}) }));
    for (const item of page.Contents ?? []) if (item.Key) keys.push(item.Key.slice(target.prefix.length + 1));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  client.destroy();
  return keys.sort();
}

/** Reads `key` whole from `storage`. */
export async function readObject(storage: BlobStorage, key: string): Promise<ObjectSummary | null> {
  const object = await storage.get(key);
  if (!object) return null;
  const chunks: Uint8Array[] = [];
  const reader = object.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
  }
  const bytes = Buffer.concat(chunks);
  return { key, size: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex'), head: [...bytes.subarray(0, 2)], tail: [...bytes.subarray(-2)] };
}

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

// ---------------------------------------------------------------- SSE

export interface SseEvent {
  id: string | null;
  event: string;
  data: string;
}

/** Reads a `text/event-stream` with fetch; resolves once the response headers arrived (the stream is subscribed). */
export async function openEventStream(url: string, headers: Record<string, string>): Promise<{ events: SseEvent[]; close(): void; status: number }> {
  const controller = new AbortController();
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
  const events: SseEvent[] = [];
  if (response.ok && response.body) {
    void (async () => {
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          buffer += value;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const event: SseEvent = { id: null, event: 'message', data: '' };
            const data: string[] = [];
            for (const line of block.split('\n')) {
              if (line.startsWith(':')) continue;
              const colon = line.indexOf(':');
              const field = colon < 0 ? line : line.slice(0, colon);
              const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
              if (field === 'id') event.id = text;
              else if (field === 'event') event.event = text;
              else if (field === 'data') data.push(text);
            }
            if (data.length > 0) {
              event.data = data.join('\n');
              events.push(event);
            }
          }
        }
      } catch {
        // closed
      }
    })();
  }
  return { events, status: response.status, close: () => controller.abort() };
}

// ---------------------------------------------------------------- cleanup

/** Removes a test's BullMQ queue and every other key under `prefix` from the Redis at `url`. Returns keys left after obliterate. */
export async function dropQueue(url: string, prefix: string): Promise<number> {
  const { bullmqRunner } = await import('@video-gallery/core/bullmq');
  const runner = bullmqRunner({ connection: url, prefix, role: 'web', logger: { warn() {} } });
  try {
    await (await runner.queue()).obliterate({ force: true });
  } finally {
    await runner.close();
  }
  // ioredis is a dependency of the core package, not of the CLI: load it from there (test-only).
  const { createRequire } = await import('node:module');
  interface Client { keys(pattern: string): Promise<string[]>; del(...keys: string[]): Promise<number>; quit(): Promise<unknown> }
  const { Redis } = createRequire(join(ROOT, 'packages/core/package.json'))('ioredis') as { Redis: new (url: string) => Client };
  const client = new Redis(url);
  try {
    const left = await client.keys(`${prefix}:*`);
    if (left.length > 0) await client.del(...left);
    return left.length;
  } finally {
    await client.quit();
  }
}
