import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../gallery.js';

/** A Web-standard handler, such as the one `createGalleryHandler` returns. */
export type WebHandler = (request: Request) => Response | Promise<Response>;

/** Options of {@link toNodeListener}. */
export interface NodeListenerOptions {
  /** Where handler crashes and response-stream failures are logged. Default `console`. */
  logger?: Logger;
}

/** A `node:http` / Express listener. `next` is accepted (and unused) so Express mounts it as middleware. */
export type NodeListener = (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => void;

const NO_BODY = new Set(['GET', 'HEAD']);
const CRASH_BODY = JSON.stringify({ error: { code: 'internal_error', message: 'The server failed unexpectedly. Try again later.' } });

function requestUrl(req: IncomingMessage): string {
  // Express strips its mount path from req.url and keeps the full one in originalUrl.
  const path = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '/';
  const host = req.headers.host ?? 'localhost';
  const secure = (req.socket as { encrypted?: boolean }).encrypted === true;
  return `${secure ? 'https' : 'http'}://${host}${path.startsWith('/') ? path : `/${path}`}`;
}

function requestHeaders(req: IncomingMessage): Headers {
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.charCodeAt(0) === 58 /* ':' HTTP/2 pseudo-header */) continue;
    try {
      headers.append(name, raw[i + 1]!);
    } catch {
      // a header value Node accepted but the Fetch spec does not: drop it
    }
  }
  return headers;
}

/** The request body as a byte stream that pauses the socket while the handler is not reading (backpressure). */
function requestBody(req: IncomingMessage): { stream: ReadableStream<Uint8Array>; discard(): void } {
  let ended = false;
  const discard = (): void => {
    if (ended || req.complete) return;
    ended = true;
    req.resume(); // drain what the handler did not read, so the connection can be reused
  };
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      req.on('data', (chunk: Buffer) => {
        if (ended) return;
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        if ((controller.desiredSize ?? 0) <= 0) req.pause();
      });
      req.once('end', () => {
        if (ended) return;
        ended = true;
        controller.close();
      });
      req.once('error', (error) => {
        if (ended) return;
        ended = true;
        controller.error(error);
      });
      req.once('close', () => {
        // The connection went away before the body ended.
        if (ended || req.complete) return;
        ended = true;
        controller.error(new DOMException('The client closed the connection before sending the whole body.', 'AbortError'));
      });
      req.pause();
    },
    pull() {
      req.resume();
    },
    cancel() {
      discard();
    },
  }, { highWaterMark: 64 * 1024, size: (chunk) => chunk.byteLength });
  return { stream, discard };
}

function toRequest(req: IncomingMessage, signal: AbortSignal): { request: Request; discard(): void } {
  const method = (req.method ?? 'GET').toUpperCase();
  const init: RequestInit & { duplex?: 'half' } = { method, headers: requestHeaders(req) };
  let discard = (): void => {};
  if (!NO_BODY.has(method)) {
    const body = requestBody(req);
    init.body = body.stream;
    init.duplex = 'half';
    discard = body.discard;
  }
  const request = new Request(requestUrl(req), init);
  // Passing `signal` in the init makes Node 20's Request follow it through a new AbortController, an event listener
  // and a FinalizationRegistry entry, which costs more than the rest of the request object. The handler only reads
  // `request.signal`, so hand it the client-close signal directly.
  Object.defineProperty(request, 'signal', { value: signal, enumerable: false, configurable: true });
  return { request, discard };
}

function writeHead(res: ServerResponse, response: Response): void {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of response.headers) {
    if (name === 'set-cookie') continue;
    headers[name] = value;
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  res.writeHead(response.status, response.statusText || undefined, headers);
}

/** Resolves when `res` can take more data, or rejects... never: resolves `false` when the connection closed. */
function drained(res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const onDrain = (): void => {
      res.off('close', onClose);
      resolve(true);
    };
    const onClose = (): void => {
      res.off('drain', onDrain);
      resolve(false);
    };
    res.once('drain', onDrain);
    res.once('close', onClose);
  });
}

async function writeBody(res: ServerResponse, body: ReadableStream<Uint8Array>, length: number | null): Promise<void> {
  const reader = body.getReader();
  let written = 0;
  try {
    for (;;) {
      if (res.destroyed) {
        await reader.cancel();
        return;
      }
      const { done, value } = await reader.read();
      if (done) break;
      written += value.byteLength;
      if (length !== null && written >= length) {
        // The last chunk of a body of known length: send it with the end (one write instead of two).
        res.end(value);
        await reader.cancel().catch(() => {});
        return;
      }
      if (!res.write(value) && !(await drained(res))) {
        await reader.cancel();
        return;
      }
    }
    res.end();
  } catch (error) {
    reader.cancel(error).catch(() => {});
    throw error;
  } finally {
    reader.releaseLock();
  }
}

/**
 * Mounts a Web-standard handler (`createGalleryHandler`) in `node:http` or Express. The request body streams to
 * the handler with backpressure, `request.signal` aborts when the client goes away, and the response body
 * streams back honouring `write()` returning `false` (it waits for `'drain'`). A handler that throws answers a
 * JSON 500 without details; a body stream that fails mid-response closes the connection.
 *
 * @example
 * createServer(toNodeListener(handler)).listen(3000);
 * app.use('/api/gallery', toNodeListener(handler)); // Express: before any body parser
 */
export function toNodeListener(handler: WebHandler, options: NodeListenerOptions = {}): NodeListener {
  const logger = options.logger ?? console;
  const log = (message: string, error: unknown): void => (logger.error ?? logger.warn).call(logger, message, { error });
  return (req, res) => {
    const controller = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) controller.abort(new DOMException('The client closed the connection.', 'AbortError'));
    });
    void (async () => {
      let response: Response;
      try {
        const { request, discard } = toRequest(req, controller.signal);
        res.once('finish', discard);
        response = await handler(request);
      } catch (error) {
        log(`video-gallery: ${req.method} ${req.url} crashed: ${error instanceof Error ? error.message : String(error)}`, error);
        if (res.headersSent || res.destroyed) {
          res.destroy();
          return;
        }
        res.writeHead(500, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': String(Buffer.byteLength(CRASH_BODY)) });
        res.end(CRASH_BODY);
        return;
      }
      if (res.destroyed) {
        response.body?.cancel().catch(() => {});
        return;
      }
      writeHead(res, response);
      if (!response.body || req.method === 'HEAD') {
        response.body?.cancel().catch(() => {});
        res.end();
        return;
      }
      if (typeof res.flushHeaders === 'function' && response.headers.get('content-type')?.startsWith('text/event-stream')) res.flushHeaders();
      try {
        const declared = response.headers.get('content-length');
        await writeBody(res, response.body, declared !== null && /^\d+$/.test(declared) ? Number(declared) : null);
      } catch (error) {
        if (!controller.signal.aborted) log(`video-gallery: ${req.method} ${req.url}: the response stream failed: ${error instanceof Error ? error.message : String(error)}`, error);
        res.destroy();
      }
    })();
  };
}
