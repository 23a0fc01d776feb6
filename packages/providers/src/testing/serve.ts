/**
 * Serves a Web-standard `(Request) => Promise<Response>` handler over node:http, with streaming bodies both ways.
 * Node only; `node:http` is imported when `serveHandler` is called, so importing this module stays browser-safe.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Options of {@link serveHandler}. */
export interface ServeOptions {
  /** TCP port. Default 0 (a free port is picked; read it from `url`). */
  port?: number;
  /** Interface to listen on. Default `127.0.0.1` (loopback only). */
  host?: string;
}

/** A running server. */
export interface ServedHandler {
  /** `http://host:port` with no trailing slash. */
  url: string;
  /** Stops listening and drops open connections (including slow or stalled responses). */
  close(): Promise<void>;
}

/** The `Request → Response` function a server runs. */
export type FetchHandler = (request: Request) => Promise<Response>;

function toRequest(incoming: IncomingMessage, origin: string, signal: AbortSignal): Request {
  const headers = new Headers();
  for (let index = 0; index < incoming.rawHeaders.length; index += 2) {
    const name = incoming.rawHeaders[index];
    const value = incoming.rawHeaders[index + 1];
    if (name !== undefined && value !== undefined) headers.append(name, value);
  }
  const method = incoming.method ?? 'GET';
  const hasBody = method !== 'GET' && method !== 'HEAD';
  const body = hasBody
    ? new ReadableStream<Uint8Array>({
        start(controller) {
          incoming.on('data', (chunk: Buffer) => controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
          incoming.on('end', () => controller.close());
          incoming.on('error', (error) => controller.error(error));
        },
        cancel() {
          incoming.destroy();
        },
      })
    : null;
  const init: RequestInit & { duplex?: 'half' } = { method, headers, signal };
  if (body !== null) {
    init.body = body;
    init.duplex = 'half';
  }
  return new Request(new URL(incoming.url ?? '/', origin), init);
}

async function writeResponse(response: Response, outgoing: ServerResponse, method: string): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (name === 'set-cookie') return;
    headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  outgoing.writeHead(response.status, response.statusText, headers);
  if (response.body === null || method === 'HEAD') {
    outgoing.end();
    return;
  }
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (outgoing.destroyed) break;
      if (!outgoing.write(value)) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            outgoing.off('drain', done);
            outgoing.off('close', done);
            resolve();
          };
          outgoing.on('drain', done);
          outgoing.on('close', done);
        });
      }
    }
  } finally {
    if (outgoing.destroyed) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
  outgoing.end();
}

/**
 * Serves `handler` on `host:port` (loopback by default). The request passed to the handler carries a `signal` that
 * aborts when the client goes away, so slow handlers can stop.
 */
export async function serveHandler(handler: FetchHandler, options: ServeOptions = {}): Promise<ServedHandler> {
  const { createServer } = await import('node:http');
  const host = options.host ?? '127.0.0.1';
  const urlHost = host.includes(':') ? `[${host}]` : host;

  const server = createServer((incoming, outgoing) => {
    const controller = new AbortController();
    outgoing.on('close', () => {
      if (!outgoing.writableFinished) controller.abort(new DOMException('The client closed the connection.', 'AbortError'));
    });
    const origin = `http://${incoming.headers.host ?? `${urlHost}:${port}`}`;
    void (async () => {
      let response: Response;
      try {
        response = await handler(toRequest(incoming, origin, controller.signal));
      } catch (error) {
        if (controller.signal.aborted) return;
        const message = error instanceof Error ? error.message : String(error);
        response = new Response(JSON.stringify({ error: { code: 'handler_error', message } }), {
          status: 500,
          headers: { 'content-type': 'application/json' },
        });
      }
      try {
        await writeResponse(response, outgoing, incoming.method ?? 'GET');
      } catch {
        outgoing.destroy();
      }
    })();
  });

  let port = options.port ?? 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address !== null && typeof address === 'object') port = address.port;

  return {
    url: `http://${urlHost}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeAllConnections();
      }),
  };
}
