// Test-only helpers: loopback HTTP servers and a counting wrapper around the memory storage.
// Not exported from the package.
import { createHash } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMemoryStorage } from '../memory-storage.js';
import { readAll } from '../streams.js';

export interface SeenRequest {
  url: string;
  headers: http.IncomingHttpHeaders;
}

export interface LoopbackServer {
  /** e.g. `http://127.0.0.1:1234` */
  origin: string;
  port: number;
  requests: SeenRequest[];
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, index: number) => void;

/** Starts an HTTP server on a loopback address (127.0.0.1 by default) and records every request it sees. */
export async function startServer(handler: Handler, host = '127.0.0.1'): Promise<LoopbackServer> {
  const requests: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    const index = requests.length;
    requests.push({ url: req.url ?? '', headers: req.headers });
    handler(req, res, index);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    origin,
    port,
    requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

export interface FileServerOptions {
  /** Content-Type header; `null` sends none. Default `video/mp4`. */
  contentType?: string | null;
  /** Honour `Range: bytes=N-` with 206. Default false. */
  ranges?: boolean;
  /** For request `index`, send only this many body bytes, then destroy the connection. */
  cutAfter?: (index: number) => number | undefined;
  /** Send Content-Length. Default true (false: chunked transfer encoding). */
  contentLength?: boolean;
  /** For request `index`, answer with this status and an empty body instead. */
  status?: (index: number) => number | undefined;
  etag?: string;
}

/** A handler serving `body` like a static file server or a CDN would. */
export function fileHandler(body: Uint8Array, options: FileServerOptions = {}): Handler {
  return (req, res, index) => {
    const forced = options.status?.(index);
    if (forced !== undefined) {
      res.writeHead(forced, { 'content-type': 'text/plain' }).end(`status ${forced}`);
      return;
    }
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const headers: Record<string, string> = {};
    if (options.contentType !== null) headers['content-type'] = options.contentType ?? 'video/mp4';
    if (options.etag) headers.etag = options.etag;
    if (options.ranges) headers['accept-ranges'] = 'bytes';
    let status = 200;
    if (options.ranges && range) {
      start = Number(range[1]);
      status = 206;
      headers['content-range'] = `bytes ${start}-${body.byteLength - 1}/${body.byteLength}`;
    }
    const slice = body.subarray(start);
    if (options.contentLength !== false) headers['content-length'] = String(slice.byteLength);
    res.writeHead(status, headers);
    const cut = options.cutAfter?.(index);
    if (cut === undefined) {
      res.end(slice);
      return;
    }
    res.write(slice.subarray(0, cut), () => {
      // Let the bytes leave, then cut the connection as a failing network would.
      setImmediate(() => req.socket.destroy());
    });
  };
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Deterministic pseudo-random bytes (fast xorshift), optionally starting with an MP4 `ftyp` box. */
export function videoBytes(size: number, seed = 1, mp4Header = true): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i += 4) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
    if (i + 1 < size) out[i + 1] = (x >>> 8) & 0xff;
    if (i + 2 < size) out[i + 2] = (x >>> 16) & 0xff;
    if (i + 3 < size) out[i + 3] = (x >>> 24) & 0xff;
  }
  if (mp4Header && size >= 16) out.set([0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70, 0x69, 0x73, 0x6f, 0x6d, 0, 0, 2, 0]); // ....ftypisom
  return out;
}

/** The core memory storage, counting `put` calls and reading objects back whole (for assertions). */
export function createCountingStorage() {
  const inner = createMemoryStorage();
  const storage = {
    ...inner,
    putCalls: 0,
    put(...args: Parameters<typeof inner.put>) {
      storage.putCalls++;
      return inner.put(...args);
    },
    /** The whole stored object, or `null`. */
    async read(key: string): Promise<Uint8Array | null> {
      const object = await inner.get(key);
      return object ? readAll(object.body) : null;
    },
  };
  return storage;
}
export type CountingStorage = ReturnType<typeof createCountingStorage>;
